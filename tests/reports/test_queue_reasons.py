"""The 待出具符合性测试报告 queue says, per passed trial, whether a report can be drafted now
and if not why (the same reasons as the draft form), without a query per row."""

import pytest
from django.urls import reverse

from reports.conformance import draft_facts, refusal_to_draft
from telemetry.models import Connection, RelayFlagStatus
from tests.portal.factories import EnterpriseFactory

from .passed_trial import build_passed_trial
from .test_conformance_figures import relay_flag

pytestmark = pytest.mark.django_db


@pytest.fixture
def queue():
    ready = build_passed_trial(EnterpriseFactory(name="甲可起草有限公司"))
    no_history = build_passed_trial(EnterpriseFactory(name="乙无历史数据有限公司"), history=False)
    flagged = build_passed_trial(EnterpriseFactory(name="丙中转待审有限公司"))
    relay_flag(flagged.enterprise, RelayFlagStatus.OPEN)
    confirmed = build_passed_trial(EnterpriseFactory(name="丁认定中转有限公司"))
    relay_flag(confirmed.enterprise, RelayFlagStatus.CONFIRMED)
    return ready, no_history, flagged, confirmed


def row_of(page: str, name: str) -> str:
    start = page.index(name)
    return page[start : page.index("</tr>", start)]


def test_each_row_says_whether_and_why(queue, reviewer, client_for):
    ready, no_history, flagged, confirmed = queue
    page = client_for(reviewer).get(reverse("reports:conformance_queue")).content.decode()
    assert "可以起草" in row_of(page, ready.enterprise.name)
    assert "起草报告" in row_of(page, ready.enterprise.name)
    assert "历史能耗数据" in row_of(page, no_history.enterprise.name)
    assert "暂不能起草" in row_of(page, no_history.enterprise.name)
    assert "尚待审核人员处理" in row_of(page, flagged.enterprise.name)
    assert "203.0.113.9" in row_of(page, confirmed.enterprise.name)
    assert "可以起草" not in row_of(page, confirmed.enterprise.name)


def test_the_bulk_facts_give_the_same_reasons_as_one_by_one(queue):
    connections = list(Connection.objects.select_related("enterprise").order_by("pk"))
    facts = draft_facts(connections)
    for connection in connections:
        assert refusal_to_draft(connection, facts[connection.pk]) == refusal_to_draft(connection)
    assert [refusal_to_draft(c) is None for c in connections] == [True, False, False, False]


def test_the_queue_with_reasons_takes_a_bounded_number_of_queries(
    queue, reviewer, client_for, django_assert_max_num_queries
):
    browser = client_for(reviewer)
    with django_assert_max_num_queries(16):
        assert browser.get(reverse("reports:conformance_queue")).status_code == 200
    for _index in range(3):
        build_passed_trial(EnterpriseFactory())
    with django_assert_max_num_queries(16):
        assert browser.get(reverse("reports:conformance_queue")).status_code == 200
