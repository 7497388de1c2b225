"""验收报告: the panel writes it, five roles sign the exact content, an edit voids them."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from acceptance.choices import ItemResult, ReportState, SignatureRole
from acceptance.models import ContractorLink
from acceptance.services.report import (
    draft_report,
    put_for_signature,
    sign_by_link,
    sign_report,
    update_report,
)
from portal.models import Region
from portal.workflow import TransitionRefused

from ..portal.factories import (
    EnterpriseFactory,
    GovernmentViewerFactory,
    PanelMemberFactory,
    member_of,
)
from .conftest import PASSWORD, WRITTEN, contractor_token

pytestmark = pytest.mark.django_db


def test_the_report_is_prefilled_from_the_on_site_record(panel):
    onsite, people = panel
    report = draft_report(onsite, people["institute"])
    assert report.owner_name == onsite.application.owner_name
    assert report.contractor_name == onsite.contractor_company
    assert report.place == onsite.place and report.project_name == "能耗在线监测企业接入端系统"


def test_an_incomplete_report_cannot_go_for_signature(panel):
    onsite, people = panel
    report = draft_report(onsite, people["institute"])
    with pytest.raises(TransitionRefused) as refusal:
        put_for_signature(report, people["institute"])
    assert "四项验收内容" in refusal.value.message


def test_a_fail_without_its_conditions_is_refused(panel):
    onsite, people = panel
    report = draft_report(onsite, people["institute"])
    update_report(report, people["institute"], {**WRITTEN, "result": ItemResult.FAIL})
    with pytest.raises(TransitionRefused) as refusal:
        put_for_signature(report, people["institute"])
    assert "不合格情形" in refusal.value.message
    with pytest.raises(ValidationError):
        update_report(report, people["institute"], {**WRITTEN, "fail_conditions": {"9": "x"}})


def test_five_roles_sign_and_the_report_awaits_issue(signing):
    report, people = signing
    for role, key in (
        (SignatureRole.INSTITUTE, "institute"),
        (SignatureRole.NDRC, "ndrc"),
        (SignatureRole.SAMR, "samr"),
        (SignatureRole.ENTERPRISE, "owner"),
    ):
        sign_report(report, people[key], role, PASSWORD)
    sign_by_link(contractor_token(), "王五")
    report.refresh_from_db()
    assert report.state == ReportState.SIGNED
    assert {s.content_sha256 for s in report.signatures.all()} == {report.content_sha256}
    assert ContractorLink.objects.get().used_at is not None


def test_a_wrong_password_another_role_or_a_second_signature_is_refused(signing):
    report, people = signing
    with pytest.raises(ValidationError):
        sign_report(report, people["ndrc"], SignatureRole.NDRC, "wrong")
    with pytest.raises(PermissionDenied):
        sign_report(report, people["expert"], SignatureRole.INSTITUTE, PASSWORD)
    with pytest.raises(PermissionDenied):
        sign_report(report, people["owner"], SignatureRole.NDRC, PASSWORD)
    sign_report(report, people["ndrc"], SignatureRole.NDRC, PASSWORD)
    with pytest.raises(TransitionRefused):
        sign_report(report, people["ndrc"], SignatureRole.NDRC, PASSWORD)
    assert report.signatures.count() == 1


def test_an_edit_voids_every_signature_and_the_link(signing):
    report, people = signing
    token = contractor_token()
    sign_report(report, people["ndrc"], SignatureRole.NDRC, PASSWORD)
    report = update_report(report, people["institute"], {"overall_opinion": "改写后的意见"})
    assert report.state == ReportState.DRAFT and not report.signatures.exists()
    with pytest.raises(PermissionDenied):
        sign_by_link(token, "王五")


def test_the_contractor_link_works_once_and_a_bad_token_says_why(client, signing):
    token = contractor_token()
    url = reverse("acceptance:report_sign_link", args=[token])
    assert client.get(url).status_code == 200
    response = client.post(url, {"name": "王五", "agree": "on"})
    assert "已签字" in response.content.decode()
    again = client.get(url)
    assert again.status_code == 404 and "签字链接无效" in again.content.decode()


def test_signing_through_the_page_needs_the_password(client, signing):
    report, people = signing
    client.force_login(people["samr"])
    detail = reverse("acceptance:report_detail", args=[report.pk])
    assert 'id="sign-samr"' in client.get(detail).content.decode()
    client.post(
        reverse("acceptance:report_sign", args=[report.pk]), {"role": "samr", "password": "x"}
    )
    assert not report.signatures.exists()
    client.post(
        reverse("acceptance:report_sign", args=[report.pk]), {"role": "samr", "password": PASSWORD}
    )
    assert report.signatures.get().role == SignatureRole.SAMR


@pytest.mark.parametrize("who", ["outsider", "viewer_elsewhere", "expert_elsewhere"])
def test_outsiders_get_404_on_every_report_url(client, signing, who):
    report, _people = signing
    user = {
        "outsider": lambda: member_of(EnterpriseFactory()),
        "viewer_elsewhere": lambda: GovernmentViewerFactory(region=Region.YICHANG),
        "expert_elsewhere": lambda: PanelMemberFactory(),
    }[who]()
    client.force_login(user)
    assert client.get(reverse("acceptance:report_detail", args=[report.pk])).status_code == 404
    # An enterprise's member is refused the report's editing by role (reviewers, government,
    # panel only) before any lookup: 403; otherwise the report is out of scope: 404.
    edit_code = 403 if who == "outsider" else 404
    assert client.get(reverse("acceptance:report_edit", args=[report.pk])).status_code == edit_code
    for name, code in (("report_put", edit_code), ("report_sign", 404)):
        response = client.post(
            reverse(f"acceptance:{name}", args=[report.pk]), {"role": "ndrc", "password": PASSWORD}
        )
        assert response.status_code == code, name
    assert not report.signatures.exists()
