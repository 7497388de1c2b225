import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from acceptance import materials
from acceptance.choices import ItemResult
from acceptance.models import AcceptanceState, PanelRole
from acceptance.services.onsite import (
    add_comparison,
    confirm_onsite,
    declare_no_conflict,
    finish_record,
    propose_onsite,
    record_steps,
    set_panel,
)
from acceptance.services.report import draft_report, put_for_signature, update_report
from portal.models import Region
from telemetry.models import DataItem

from ..portal.factories import (
    EnterpriseFactory,
    GovernmentViewerFactory,
    PanelMemberFactory,
    ReviewerFactory,
    member_of,
)
from .factories import AcceptanceApplicationFactory, fake_report, proposal


@pytest.fixture(autouse=True)
def report(monkeypatch):
    """An issued conformance report stands for every enterprise unless a test says not."""
    monkeypatch.setattr(materials, "conformance_report_for", lambda enterprise: fake_report())


@pytest.fixture
def no_report(monkeypatch):
    monkeypatch.setattr(materials, "conformance_report_for", lambda enterprise: None)


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


def resubmit(report, people, capture):
    """Put the report out for signature again, with the contractor's e-mail sent."""
    with capture(execute=True):
        return put_for_signature(report, people["institute"])
