"""The public results page and its feeds show only what may be public."""

from datetime import date

import pytest
from django.urls import reverse

from acceptance.models import Publication, PublicationKind
from portal.models import Region

from ..portal.factories import EnterpriseFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def published():
    enterprise = EnterpriseFactory(region=Region.YICHANG, contact_phone="13712345678")
    passed = Publication.objects.create(
        kind=PublicationKind.ACCEPTANCE_RESULT,
        enterprise=enterprise,
        enterprise_name=enterprise.name,
        region=enterprise.region,
        project_name="能耗在线监测企业接入端系统",
        decided_on=date(2026, 11, 20),
        result="合格",
        document_number="HBJL-YS-2026-0001",
        verify_url="/verify/HBJL-YS-2026-0001?code=ABCD1234",
    )
    notice = Publication.objects.create(
        kind=PublicationKind.RECTIFICATION,
        enterprise=enterprise,
        enterprise_name=enterprise.name,
        region=enterprise.region,
        project_name="能耗在线监测企业接入端系统",
        decided_on=date(2026, 11, 21),
        result="不合格",
        document_number="HBJL-ZG-2026-0001",
        deadline=date(2027, 2, 21),
    )
    return enterprise, passed, notice


def test_anyone_reads_the_results_without_private_details(client, published):
    enterprise, passed, _notice = published
    body = client.get(reverse("acceptance:results")).content.decode()
    assert enterprise.name in body and "HBJL-YS-2026-0001" in body and "2027-02-21" in body
    assert passed.verify_url.replace("&", "&amp;") in body
    assert enterprise.uscc not in body and enterprise.contact_phone not in body


def test_the_json_and_atom_feeds(client, published):
    enterprise, _passed, _notice = published
    data = client.get(reverse("acceptance:results_json")).json()["results"]
    assert {row["kind"] for row in data} == {"acceptance_result", "rectification"}
    assert set(data[0]) == {
        "kind",
        "enterprise_name",
        "region",
        "project_name",
        "date",
        "result",
        "document_number",
        "verify_url",
        "rectification_deadline",
        "published_on",
        "closed_on",
    }
    atom = client.get(reverse("acceptance:results_atom"))
    assert atom["Content-Type"].startswith("application/atom+xml")
    assert enterprise.name in atom.content.decode()


def test_the_home_page_links_to_the_results(client, db):
    assert reverse("acceptance:results") in client.get("/").content.decode()


def test_filtering_by_kind(client, published):
    data = client.get(reverse("acceptance:results_json"), {"kind": "rectification"}).json()
    assert [row["document_number"] for row in data["results"]] == ["HBJL-ZG-2026-0001"]
