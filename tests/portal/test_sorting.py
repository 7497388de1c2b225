"""Lists sort Chinese names by pinyin, with sort arrows and aria-sort, and filter by region
and search: enterprises, the access-application queue, the trial board."""

import re
from datetime import date

from django.urls import reverse

from portal.models import Enterprise, Region
from portal.pinyin import sort_key
from telemetry.services.trial import evaluate_trials
from tests.applications.factories import AccessApplicationFactory
from tests.portal.factories import EnterpriseFactory
from tests.telemetry.factories import beijing, full_days, realtime_item, trial_connection

# Code-point order is 北 < 张 < 阿; pinyin order is a < bei < zhang.
NAMES = ["张家港能源有限公司", "阿尔法化工有限公司", "北湖钢铁有限公司"]
PINYIN_ORDER = ["阿尔法化工有限公司", "北湖钢铁有限公司", "张家港能源有限公司"]
START = date(2026, 3, 1)


def test_the_pinyin_key_is_kept_on_save(db):
    assert sort_key("武汉钢铁") == "wu han gang tie"
    enterprise = EnterpriseFactory(name="阿尔法化工有限公司")
    assert enterprise.name_pinyin.startswith("a er fa")
    enterprise.name = "北湖钢铁有限公司"
    enterprise.save(update_fields=["name"])
    assert Enterprise.objects.get(pk=enterprise.pk).name_pinyin.startswith("bei hu")


def test_the_data_migration_fills_existing_rows(db):
    from importlib import import_module

    from django.apps import apps

    migration = import_module("portal.migrations.0005_seed_stage_names_and_name_pinyin")
    enterprise = EnterpriseFactory(name="张家港能源有限公司")
    Enterprise.objects.filter(pk=enterprise.pk).update(name_pinyin="")
    migration.fill_name_pinyin(apps, None)
    assert Enterprise.objects.get(pk=enterprise.pk).name_pinyin.startswith("zhang jia gang")


def _header(html, label):
    return re.search(rf'<th scope="col"([^>]*)><a href="([^"]+)"[^>]*>{label}', html)


def test_the_enterprise_list_sorts_by_pinyin_with_aria_sort(
    client_for, reviewer, django_assert_max_num_queries
):
    for name in NAMES:
        EnterpriseFactory(name=name)
    client = client_for(reviewer)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("enterprise_list"))
    assert [e.name for e in response.context["page"]] == PINYIN_ORDER
    html = response.content.decode()
    attrs, url = _header(html, "企业名称").groups()
    assert 'aria-sort="ascending"' in attrs
    assert "sort=-name" in url  # a second click reverses
    attrs, url = _header(html, "地区").groups()
    assert "aria-sort" not in attrs  # only the sorted column carries it
    descending = client.get(reverse("enterprise_list"), {"sort": "-name"})
    assert [e.name for e in descending.context["page"]] == PINYIN_ORDER[::-1]
    assert 'aria-sort="descending"' in _header(descending.content.decode(), "企业名称").group(1)


def test_the_application_queue_sorts_searches_and_filters_by_region(
    client_for, reviewer, django_assert_max_num_queries
):
    for name in NAMES:
        AccessApplicationFactory(enterprise=EnterpriseFactory(name=name), submitted=True)
    AccessApplicationFactory(
        enterprise=EnterpriseFactory(name="宜昌磷化有限公司", region=Region.YICHANG),
        submitted=True,
    )
    client = client_for(reviewer)
    url = reverse("applications:application_list")
    with django_assert_max_num_queries(12):
        response = client.get(url, {"sort": "applicant"})
    names = [a.enterprise.name for a in response.context["page"]]
    assert names == [
        "阿尔法化工有限公司",
        "北湖钢铁有限公司",
        "宜昌磷化有限公司",
        "张家港能源有限公司",
    ]
    assert 'aria-sort="ascending"' in _header(response.content.decode(), "申请单位").group(1)
    only = client.get(url, {"region": Region.YICHANG})
    assert [a.enterprise.name for a in only.context["page"]] == ["宜昌磷化有限公司"]
    found = client.get(url, {"q": "北湖"})
    assert [a.enterprise.name for a in found.context["page"]] == ["北湖钢铁有限公司"]


def test_the_trial_board_sorts_by_pinyin_and_filters(
    client_for, reviewer, django_assert_max_num_queries
):
    for index, name in enumerate(NAMES):
        enterprise = EnterpriseFactory(
            name=name, region=Region.YICHANG if index == 0 else Region.WUHAN
        )
        item = realtime_item(enterprise)
        trial_connection(enterprise, START)
        full_days(item, START, 2)
    evaluate_trials(now=beijing(2026, 3, 5, 12))
    client = client_for(reviewer)
    url = reverse("telemetry:trial_board")
    with django_assert_max_num_queries(10):
        response = client.get(url, {"sort": "enterprise"})
    assert [r.connection.enterprise.name for r in response.context["page"]] == PINYIN_ORDER
    html = response.content.decode()
    assert 'aria-sort="ascending"' in _header(html, "企业").group(1)
    region = client.get(url, {"region": Region.YICHANG})
    assert [r.connection.enterprise.name for r in region.context["page"]] == ["张家港能源有限公司"]
    found = client.get(url, {"q": "阿尔法"})
    assert [r.connection.enterprise.name for r in found.context["page"]] == ["阿尔法化工有限公司"]
