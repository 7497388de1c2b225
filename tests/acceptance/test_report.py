"""验收报告: the panel writes it, five roles sign the exact content, an edit voids them."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from acceptance.choices import ItemResult, ReportState, SignatureRole
from acceptance.models import AcceptanceState, ContractorLink, PanelRole
from acceptance.services.onsite import (
    add_comparison,
    confirm_onsite,
    declare_no_conflict,
    finish_record,
    propose_onsite,
    record_steps,
    set_panel,
)
from acceptance.services.report import (
    draft_report,
    put_for_signature,
    sign_by_link,
    sign_report,
    update_report,
)
from portal.models import Region
from portal.workflow import TransitionRefused
from telemetry.models import DataItem

from ..portal.factories import (
    EnterpriseFactory,
    GovernmentViewerFactory,
    PanelMemberFactory,
    ReviewerFactory,
    member_of,
)
from .factories import AcceptanceApplicationFactory
from .test_onsite import proposal

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery"

WRITTEN = {
    "materials_result": ItemResult.PASS,
    "consistency_result": ItemResult.PASS,
    "data_result": ItemResult.PASS,
    "om_result": ItemResult.PASS,
    "overall_opinion": "系统按设计方案建成，数据上传稳定，同意通过验收。",
    "result": ItemResult.PASS,
    "fail_conditions": {},
}


@pytest.fixture
def panel():
    enterprise = EnterpriseFactory(region=Region.WUHAN)
    people = {
        "institute": ReviewerFactory(),
        "ndrc": GovernmentViewerFactory(region=Region.WUHAN),
        "samr": GovernmentViewerFactory(region=Region.WUHAN),
        "expert": PanelMemberFactory(),
        "owner": member_of(enterprise),
    }
    for user in people.values():
        user.set_password(PASSWORD)
        user.save()
    application = AcceptanceApplicationFactory(
        enterprise=enterprise, state=AcceptanceState.ACCEPTED
    )
    onsite = propose_onsite(people["owner"], application, proposal())
    set_panel(
        onsite,
        people["institute"],
        [
            {"user": people["institute"], "role": PanelRole.INSTITUTE},
            {"user": people["ndrc"], "role": PanelRole.NDRC},
            {"user": people["samr"], "role": PanelRole.SAMR},
            {"user": people["expert"], "role": PanelRole.EXPERT},
        ],
    )
    onsite = confirm_onsite(onsite, people["institute"])
    for key in ("institute", "ndrc", "samr", "expert"):
        declare_no_conflict(onsite, people[key])
    record_steps(
        onsite,
        people["institute"],
        {
            "qa_minutes": "问答",
            "findings_layout": "布点合理",
            "findings_devices": "符合",
            "findings_collection": "正常",
            "panel_evaluation": "同意通过",
        },
    )
    item = DataItem.objects.create(
        enterprise=enterprise, data_code="000012340233000000", name="全厂电耗", unit="kWh"
    )
    add_comparison(
        onsite,
        people["institute"],
        item_id=item.pk,
        meter="1#",
        read_at=timezone.now() - timedelta(hours=1),
        site_value=Decimal("1"),
    )
    onsite = finish_record(onsite, people["institute"])
    return onsite, people


@pytest.fixture
def signing(panel, django_capture_on_commit_callbacks):
    onsite, people = panel
    report = draft_report(onsite, people["institute"])
    update_report(report, people["institute"], WRITTEN)
    with django_capture_on_commit_callbacks(execute=True):
        report = put_for_signature(report, people["institute"])
    return report, people


def contractor_token() -> str:
    return re.search(r"/acceptance/sign/([^/\s]+)/", mail.outbox[-1].body).group(1)


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
    assert client.get(reverse("acceptance:report_edit", args=[report.pk])).status_code in (403, 404)
    for name in ("report_put", "report_sign"):
        response = client.post(
            reverse(f"acceptance:{name}", args=[report.pk]), {"role": "ndrc", "password": PASSWORD}
        )
        assert response.status_code in (403, 404), name
    assert not report.signatures.exists()
