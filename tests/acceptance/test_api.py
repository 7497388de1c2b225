"""The acceptance API: the same path as the pages, scoped the same way."""

import pytest
from rest_framework.test import APIClient

from acceptance.models import AcceptanceApplication, AcceptanceState, Material
from portal.models import Region

from ..applications.factories import pdf
from ..portal.factories import GovernmentViewerFactory, ReviewerFactory, member_of
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
