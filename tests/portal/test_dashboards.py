"""Each role lands on its own dashboard; the enterprise list is bounded and filterable."""

import json
import re

import pytest

from portal.models import Region, Role, Stage
from tests.portal.factories import EnterpriseFactory, member_of

pytestmark = pytest.mark.django_db


def html_of(response):
    assert response.status_code == 200
    return response.content.decode()


def element(html, element_id):
    """The opening tag and content of the element with `element_id` (up to the next card)."""
    start = html.index(f'id="{element_id}"')
    return html[html.rindex("<", 0, start) :]


def test_an_enterprise_member_sees_the_stage_tracker_and_next_action(client_for):
    enterprise = EnterpriseFactory(stage=Stage.CONNECTION)
    html = html_of(client_for(member_of(enterprise)).get("/dashboard/"))
    assert 'id="stage-tracker-card"' in html
    tracker = element(html, "stage-tracker-card")
    current = re.findall(r'class="stage stage-current[^"]*"[^>]*>(.*?)</li>', tracker, re.S)
    assert len(current) == 1
    assert "数据对接" in current[0]
    assert tracker.count("stage-done") == 2
    assert tracker.count("stage stage-todo") == 3
    next_action = element(html, "next-action")
    assert "15 天" in next_action[: next_action.index("</div>")]


def test_a_pending_enterprise_is_told_to_wait_for_review(client_for):
    enterprise = EnterpriseFactory(registration_status="pending")
    html = html_of(client_for(member_of(enterprise)).get("/dashboard/"))
    next_action = element(html, "next-action")
    assert "等待省计量院审核" in next_action[: next_action.index("</div>")]


def test_an_enterprise_user_without_an_enterprise_is_told_so(client_for):
    from tests.portal.factories import UserFactory

    html = html_of(client_for(UserFactory(role=Role.ENTERPRISE)).get("/dashboard/"))
    assert "尚未关联任何企业" in html
    assert "stage-tracker-card" not in html


def test_a_reviewer_sees_the_work_queues_with_pending_registrations(reviewer, client_for):
    for _ in range(3):
        EnterpriseFactory(registration_status="pending")
    EnterpriseFactory()
    response = client_for(reviewer).get("/dashboard/")
    html = html_of(response)
    assert 'id="work-queues"' in html
    counts = {str(queue.label): count for queue, count in response.context["queues"]}
    assert counts["待审核的企业注册"] == 3
    queues = element(html, "work-queues")
    assert re.search(r'<div class="display-6">3</div><div>待审核的企业注册</div>', queues)


def test_the_registration_queue_lists_the_pending_ones(reviewer, client_for):
    waiting = EnterpriseFactory(registration_status="pending")
    done = EnterpriseFactory()
    response = client_for(reviewer).get("/enterprises/registrations/", follow=True)
    assert [e.pk for e in response.context["page"]] == [waiting.pk]
    assert done.name not in html_of(response)


def test_a_government_viewer_sees_only_their_regions_counts(viewer, client_for):
    EnterpriseFactory(region=Region.WUHAN, stage=Stage.DESIGN)
    EnterpriseFactory(region=Region.WUHAN, stage=Stage.CONNECTION)
    EnterpriseFactory(region=Region.WUHAN, stage=Stage.CONNECTION)
    EnterpriseFactory(region=Region.XIANGYANG, stage=Stage.CONNECTION)
    EnterpriseFactory(region=Region.YICHANG, stage=Stage.SUPERVISION)
    response = client_for(viewer).get("/dashboard/")
    html = html_of(response)
    assert '<canvas id="stage-chart"' in html
    assert "武汉市" in html
    per_stage = {stage: n for stage, n in response.context["per_stage"]}
    assert per_stage[Stage.DESIGN] == 1
    assert per_stage[Stage.CONNECTION] == 2
    assert per_stage[Stage.SUPERVISION] == 0
    assert response.context["total"] == 3
    chart = re.search(
        r'<script id="stage-chart-data" type="application/json">(.*?)</script>', html, re.S
    )
    data = json.loads(chart.group(1))
    assert data["values"] == [1, 0, 2, 0, 0, 0]
    assert len(data["labels"]) == 6


def test_a_viewer_of_another_region_counts_only_theirs(other_viewer, client_for):
    EnterpriseFactory(region=Region.WUHAN)
    EnterpriseFactory(region=Region.XIANGYANG, stage=Stage.BUILD)
    response = client_for(other_viewer).get("/dashboard/")
    assert response.context["total"] == 1
    assert "襄阳市" in html_of(response)


def test_a_panel_member_sees_the_panel_page(panel_member, client_for):
    response = client_for(panel_member).get("/dashboard/")
    html = html_of(response)
    assert "专家工作台" in html
    assert "portal/dashboard_panel.html" in [t.name for t in response.templates]


def test_an_operator_sees_user_counts(operator, reviewer, viewer, member, client_for):
    response = client_for(operator).get("/dashboard/")
    html = html_of(response)
    assert "运维工作台" in html
    counts = {str(label): n for label, n in response.context["user_counts"]}
    assert counts == {
        "企业用户": 1,
        "审核人员（省计量院）": 1,
        "专家组成员": 0,
        "政府用户": 1,
        "平台运维": 1,
    }
    assert response.context["enterprise_count"] == 1


def test_the_public_home_shows_to_anonymous_users(client):
    EnterpriseFactory()
    EnterpriseFactory(registration_status="pending")
    response = client.get("/")
    html = html_of(response)
    assert "重点用能单位注册" in html
    assert response.context["enterprise_count"] == 1


def test_anonymous_dashboard_goes_to_login(client):
    response = client.get("/dashboard/")
    assert response.status_code == 302


# --- the enterprise list --------------------------------------------------------------------


def list_ids(response):
    assert response.status_code == 200
    return sorted(e.pk for e in response.context["page"])


@pytest.mark.parametrize("count", [3, 30])
def test_the_enterprise_list_needs_a_bounded_number_of_queries(
    count, reviewer, client_for, django_assert_max_num_queries
):
    for index in range(count):
        enterprise = EnterpriseFactory(region=list(Region)[index % 5])
        member_of(enterprise)
    client = client_for(reviewer)
    with django_assert_max_num_queries(8):
        response = client.get("/enterprises/")
    assert len(response.context["page"]) == min(count, 25)


def test_the_enterprise_list_filters_by_region_stage_and_status(reviewer, client_for):
    wuhan = EnterpriseFactory(region=Region.WUHAN, stage=Stage.BUILD)
    wuhan_pending = EnterpriseFactory(region=Region.WUHAN, registration_status="pending")
    yichang = EnterpriseFactory(region=Region.YICHANG, stage=Stage.BUILD)
    client = client_for(reviewer)
    assert list_ids(client.get("/enterprises/?region=420100")) == sorted(
        [wuhan.pk, wuhan_pending.pk]
    )
    assert list_ids(client.get("/enterprises/?stage=2")) == sorted([wuhan.pk, yichang.pk])
    assert list_ids(client.get("/enterprises/?status=pending")) == [wuhan_pending.pk]
    assert list_ids(client.get("/enterprises/?region=420100&stage=2")) == [wuhan.pk]
    assert list_ids(client.get(f"/enterprises/?q={yichang.uscc}")) == [yichang.pk]


def test_the_enterprise_list_of_a_viewer_stays_in_their_region(viewer, client_for):
    mine = EnterpriseFactory(region=Region.WUHAN)
    EnterpriseFactory(region=Region.YICHANG)
    client = client_for(viewer)
    assert list_ids(client.get("/enterprises/")) == [mine.pk]
    assert list_ids(client.get("/enterprises/?region=420500")) == []


def test_the_enterprise_list_is_refused_to_enterprise_members(member, client_for):
    assert client_for(member).get("/enterprises/").status_code == 403
