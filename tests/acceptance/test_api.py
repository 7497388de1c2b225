"""The acceptance API: the same path as the pages, scoped the same way."""

import pytest
from rest_framework.test import APIClient

from acceptance.models import AcceptanceApplication, AcceptanceState, Material
from portal.models import Region

from ..applications.factories import pdf
from ..portal.factories import (
    EnterpriseFactory,
    GovernmentViewerFactory,
    ReviewerFactory,
    member_of,
)
from .factories import form_data, ready_enterprise, upload_every_material

pytestmark = pytest.mark.django_db

BASE = "/api/v1/acceptance-applications/"


def api_as(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def payload(enterprise) -> dict:
    data = form_data(enterprise)
    return {
        **data,
        "investment": str(data["investment"]),
        "started_on": data["started_on"].isoformat(),
        "completed_on": data["completed_on"].isoformat(),
        "no_change_declared": True,
    }


def test_the_whole_path_through_the_api():
    ready = ready_enterprise()
    member = api_as(ready.member)
    created = member.post(BASE, payload(ready.enterprise), format="json")
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    application = AcceptanceApplication.objects.get(pk=pk)
    refused = member.post(f"{BASE}{pk}/submit/")
    assert refused.status_code == 409
    assert refused.json()["errors"][0]["field"] == "materials"
    upload = member.post(
        f"{BASE}{pk}/materials/",
        {"material": Material.OM_PLAN, "part": "", "file": pdf("om.pdf")},
        format="multipart",
    )
    assert upload.status_code == 201 and upload.json()["original_name"] == "om.pdf"
    upload_every_material(application, ready.member, ready.device)
    detail = member.get(f"{BASE}{pk}/").json()
    assert all(line["complete"] for line in detail["checklist"])
    assert member.post(f"{BASE}{pk}/submit/").json()["state"] == AcceptanceState.SUBMITTED
    reviewer = api_as(ReviewerFactory())
    assert reviewer.post(f"{BASE}{pk}/start-review/").status_code == 200
    bad = reviewer.post(
        f"{BASE}{pk}/verdicts/", {"material": "12_om_plan", "verdict": "needs_correction"}
    )
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "note"
    for material in Material:
        assert (
            reviewer.post(
                f"{BASE}{pk}/verdicts/", {"material": material.value, "verdict": "acceptable"}
            ).status_code
            == 200
        )
    assert reviewer.post(f"{BASE}{pk}/accept/", {}).json()["state"] == AcceptanceState.ACCEPTED


def test_outsiders_and_other_regions_get_404_on_every_endpoint(other_enterprise):
    ready = ready_enterprise()
    member = api_as(ready.member)
    pk = member.post(BASE, payload(ready.enterprise), format="json").json()["id"]
    for user in (member_of(other_enterprise), GovernmentViewerFactory(region=Region.YICHANG)):
        client = api_as(user)
        assert client.get(f"{BASE}{pk}/").status_code == 404
        assert client.get(BASE).json()["count"] == 0
        for action in ("submit", "start-review", "verdicts", "return", "accept", "materials"):
            assert client.post(f"{BASE}{pk}/{action}/", {}).status_code == 404, action
        assert client.patch(f"{BASE}{pk}/", {"summary": "x"}, format="json").status_code == 404


def test_a_viewer_of_the_region_reads_but_cannot_act():
    ready = ready_enterprise()
    pk = api_as(ready.member).post(BASE, payload(ready.enterprise), format="json").json()["id"]
    viewer = api_as(GovernmentViewerFactory(region=ready.enterprise.region))
    assert viewer.get(f"{BASE}{pk}/").status_code == 200
    assert viewer.post(f"{BASE}{pk}/submit/").status_code in (403, 409)
    assert AcceptanceApplication.objects.get(pk=pk).state == AcceptanceState.DRAFT


def test_on_site_and_report_through_the_api(django_capture_on_commit_callbacks):
    from datetime import timedelta

    from django.utils import timezone

    from acceptance.models import OnSiteAcceptance, PanelRole
    from telemetry.models import DataItem

    from ..portal.factories import PanelMemberFactory
    from .factories import AcceptanceApplicationFactory

    enterprise = ready_enterprise().enterprise
    owner = member_of(enterprise)
    owner.set_password("pw-123456")
    owner.save()
    application = AcceptanceApplicationFactory(
        enterprise=enterprise, state=AcceptanceState.ACCEPTED
    )
    institute, expert = ReviewerFactory(), PanelMemberFactory()
    ndrc = GovernmentViewerFactory(region=enterprise.region)
    samr = GovernmentViewerFactory(region=enterprise.region)
    when = (timezone.now() + timedelta(days=3)).isoformat()
    proposed = api_as(owner).post(
        f"{BASE}{application.pk}/onsite/",
        {
            "scheduled_for": when,
            "place": "会议室",
            "owner_representative": "李四",
            "owner_representative_title": "主管",
            "owner_representative_phone": "13800000000",
            "contractor_company": "承建公司",
            "contractor_representative": "王五",
            "contractor_phone": "13900000000",
            "contractor_email": "wang@example.cn",
        },
        format="json",
    )
    assert proposed.status_code == 201, proposed.json()
    onsite_url = f"/api/v1/onsite-acceptances/{proposed.json()['id']}/"
    reviewer = api_as(institute)
    seats = [
        {"user": institute.pk, "role": PanelRole.INSTITUTE, "body": "省计量院"},
        {"user": ndrc.pk, "role": PanelRole.NDRC, "body": "发改委"},
        {"user": samr.pk, "role": PanelRole.SAMR, "body": "市场监管局"},
        {"user": expert.pk, "role": PanelRole.EXPERT, "body": "大学"},
    ]
    assert reviewer.post(f"{onsite_url}panel/", {"seats": seats}, format="json").status_code == 200
    assert reviewer.post(f"{onsite_url}confirm/").json()["state"] == "scheduled"
    for user in (institute, ndrc, samr, expert):
        assert api_as(user).post(f"{onsite_url}declare/").status_code == 200
    steps = {
        "qa_minutes": "问答",
        "findings_layout": "合理",
        "findings_devices": "符合",
        "findings_collection": "正常",
        "panel_evaluation": "同意",
    }
    assert reviewer.patch(onsite_url, steps, format="json").status_code == 200
    item = DataItem.objects.create(
        enterprise=enterprise, data_code="000012340233000000", name="全厂电耗", unit="kWh"
    )
    comparison = reviewer.post(
        f"{onsite_url}comparisons/",
        {"item": item.pk, "meter": "1#", "read_at": timezone.now().isoformat(), "site_value": "1"},
        format="json",
    )
    assert comparison.status_code == 201, comparison.json()
    assert reviewer.post(f"{onsite_url}finish/").json()["state"] == "recorded"
    report = reviewer.post(f"{onsite_url}report/").json()
    report_url = f"/api/v1/acceptance-reports/{report['id']}/"
    written = {
        "materials_result": "pass",
        "consistency_result": "pass",
        "data_result": "pass",
        "om_result": "pass",
        "overall_opinion": "同意通过",
        "result": "pass",
    }
    assert reviewer.patch(report_url, written, format="json").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        put = reviewer.post(f"{report_url}put-for-signature/")
    assert put.json()["state"] == "signing"
    bad = api_as(owner).post(f"{report_url}sign/", {"role": "enterprise", "password": "x"})
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "password"
    good = api_as(owner).post(f"{report_url}sign/", {"role": "enterprise", "password": "pw-123456"})
    assert [s["role"] for s in good.json()["signatures"]] == ["enterprise"]
    stranger = api_as(member_of(EnterpriseFactory()))
    assert stranger.get(onsite_url).status_code == 404
    assert stranger.get(report_url).status_code == 404
    assert (
        stranger.post(f"{report_url}sign/", {"role": "enterprise", "password": "x"}).status_code
        == 404
    )
    assert OnSiteAcceptance.objects.get().state == "recorded"
