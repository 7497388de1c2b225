"""The on-site acceptance's and the 验收报告's signing transitions as tables:
state × transition × who × setting → "ok" or the refusal reason."""

import pytest
from django.utils import timezone

from acceptance.choices import ItemResult, ReportState, SignatureRole
from acceptance.models import AcceptanceReport, OnSiteAcceptance, OnSiteState, ReportSignature
from acceptance.services.report import draft_report, update_report
from portal.workflow import TransitionRefused, check_transition

from ..portal.factories import EnterpriseFactory, member_of
from .conftest import WRITTEN

pytestmark = pytest.mark.django_db

ON = OnSiteState
RP = ReportState


def outcome(obj, transition, actor) -> str:
    try:
        check_transition(obj, transition, actor)
    except TransitionRefused as refusal:
        return str(refusal.reason)
    return "ok"


def actor_of(who, people, enterprise):
    if who == "member":
        return people["owner"]
    if who == "outsider":
        return member_of(EnterpriseFactory())
    return people[who]  # institute (staff reviewer), ndrc, samr, expert


# --- 现场验收 ----------------------------------------------------------------------------------

ONSITE = [
    # (state, transition, who, setting, expected)
    (ON.PROPOSED, "confirm", "institute", "full", "ok"),
    (ON.PROPOSED, "confirm", "institute", "no_panel", "condition_unmet"),
    (ON.PROPOSED, "confirm", "institute", "no_leader", "condition_unmet"),
    (ON.PROPOSED, "confirm", "member", "full", "not_permitted"),
    (ON.PROPOSED, "confirm", "expert", "full", "not_permitted"),
    (ON.PROPOSED, "reschedule", "member", "full", "wrong_state"),
    (ON.PROPOSED, "finish_record", "institute", "full", "wrong_state"),
    (ON.SCHEDULED, "confirm", "institute", "full", "wrong_state"),
    (ON.SCHEDULED, "reschedule", "member", "full", "ok"),
    (ON.SCHEDULED, "reschedule", "institute", "full", "not_permitted"),
    (ON.SCHEDULED, "reschedule", "outsider", "full", "not_permitted"),
    (ON.SCHEDULED, "finish_record", "institute", "full", "ok"),
    (ON.SCHEDULED, "finish_record", "expert", "full", "not_permitted"),
    (ON.SCHEDULED, "finish_record", "expert", "expert_leads", "ok"),
    (ON.SCHEDULED, "finish_record", "ndrc", "full", "not_permitted"),
    (ON.SCHEDULED, "finish_record", "member", "full", "not_permitted"),
    (ON.SCHEDULED, "finish_record", "institute", "undeclared", "condition_unmet"),
    (ON.SCHEDULED, "finish_record", "institute", "no_steps", "condition_unmet"),
    (ON.SCHEDULED, "finish_record", "institute", "no_comparisons", "condition_unmet"),
    (ON.RECORDED, "finish_record", "institute", "full", "wrong_state"),
    (ON.RECORDED, "confirm", "institute", "full", "wrong_state"),
    (ON.RECORDED, "reschedule", "member", "full", "wrong_state"),
]


def arrange_onsite(onsite, setting, people):
    if setting == "no_panel":
        onsite.seats.exclude(user=people["institute"]).delete()
    elif setting == "no_leader":
        onsite.seats.update(is_leader=False)
    elif setting == "expert_leads":
        onsite.seats.update(is_leader=False)
        onsite.seats.filter(user=people["expert"]).update(is_leader=True)
    elif setting == "undeclared":
        onsite.seats.filter(user=people["samr"]).update(declared_at=None)
    elif setting == "no_steps":
        OnSiteAcceptance.objects.filter(pk=onsite.pk).update(findings_devices="")
    elif setting == "no_comparisons":
        onsite.comparisons.all().delete()


@pytest.mark.parametrize(("state", "transition", "who", "setting", "expected"), ONSITE)
def test_onsite_transition_table(panel, state, transition, who, setting, expected):
    onsite, people = panel
    arrange_onsite(onsite, setting, people)
    OnSiteAcceptance.objects.filter(pk=onsite.pk).update(state=state)
    onsite = OnSiteAcceptance.objects.get(pk=onsite.pk)
    actor = actor_of(who, people, onsite.application.enterprise)
    assert outcome(onsite, transition, actor) == expected


# --- 验收报告 signing ------------------------------------------------------------------------

REPORT = [
    (RP.DRAFT, "put_for_signature", "institute", "written", "ok"),
    (RP.DRAFT, "put_for_signature", "expert", "expert_leads", "ok"),
    (RP.DRAFT, "put_for_signature", "institute", "blank", "condition_unmet"),
    (RP.DRAFT, "put_for_signature", "institute", "fail_unexplained", "condition_unmet"),
    (RP.DRAFT, "put_for_signature", "member", "written", "not_permitted"),
    (RP.DRAFT, "put_for_signature", "ndrc", "written", "not_permitted"),
    (RP.DRAFT, "reopen", "institute", "written", "wrong_state"),
    (RP.DRAFT, "complete_signatures", "institute", "all_signed", "wrong_state"),
    (RP.DRAFT, "issue", "institute", "all_signed", "wrong_state"),
    (RP.SIGNING, "put_for_signature", "institute", "written", "wrong_state"),
    (RP.SIGNING, "reopen", "institute", "written", "ok"),
    (RP.SIGNING, "reopen", "member", "written", "not_permitted"),
    (RP.SIGNING, "complete_signatures", "member", "all_signed", "ok"),
    (RP.SIGNING, "complete_signatures", "institute", "four_signed", "condition_unmet"),
    (RP.SIGNING, "complete_signatures", "institute", "stale_signatures", "condition_unmet"),
    (RP.SIGNING, "issue", "institute", "all_signed", "wrong_state"),
    (RP.SIGNED, "issue", "institute", "all_signed", "ok"),
    (RP.SIGNED, "issue", "institute", "stale_signatures", "condition_unmet"),
    (RP.SIGNED, "issue", "ndrc", "all_signed", "not_permitted"),
    (RP.SIGNED, "issue", "expert", "expert_leads", "not_permitted"),
    (RP.SIGNED, "issue", "member", "all_signed", "not_permitted"),
    (RP.SIGNED, "reopen", "institute", "all_signed", "ok"),
    (RP.SIGNED, "complete_signatures", "institute", "all_signed", "wrong_state"),
    (RP.SIGNED, "put_for_signature", "institute", "all_signed", "wrong_state"),
    (RP.ISSUED, "issue", "institute", "all_signed", "wrong_state"),
    (RP.ISSUED, "reopen", "institute", "all_signed", "wrong_state"),
    (RP.ISSUED, "put_for_signature", "institute", "all_signed", "wrong_state"),
]

SIGNER_OF = {
    SignatureRole.INSTITUTE: "institute",
    SignatureRole.NDRC: "ndrc",
    SignatureRole.SAMR: "samr",
    SignatureRole.ENTERPRISE: "owner",
}


def arrange_report(report, setting, people):
    if setting != "blank":
        report = update_report(report, people["institute"], WRITTEN)
    if setting == "fail_unexplained":
        AcceptanceReport.objects.filter(pk=report.pk).update(
            result=ItemResult.FAIL, fail_conditions={}
        )
    if setting == "expert_leads":
        report.onsite.seats.update(is_leader=False)
        report.onsite.seats.filter(user=people["expert"]).update(is_leader=True)
    sha = report.compute_sha256()
    AcceptanceReport.objects.filter(pk=report.pk).update(content_sha256=sha)
    if setting in ("all_signed", "four_signed", "stale_signatures", "expert_leads"):
        for role in SignatureRole:
            if setting == "four_signed" and role == SignatureRole.CONTRACTOR:
                continue
            user = people.get(SIGNER_OF.get(role, ""))
            ReportSignature.objects.create(
                report=report,
                role=role,
                user=user,
                signer_name=user.username if user else "王五",
                method="password" if user else "link",
                content_sha256="0" * 64 if setting == "stale_signatures" else sha,
            )


@pytest.mark.parametrize(("state", "transition", "who", "setting", "expected"), REPORT)
def test_report_signing_transition_table(panel, state, transition, who, setting, expected):
    onsite, people = panel
    report = draft_report(onsite, people["institute"])
    arrange_report(report, setting, people)
    AcceptanceReport.objects.filter(pk=report.pk).update(state=state, issued_at=timezone.now())
    report = AcceptanceReport.objects.get(pk=report.pk)
    actor = actor_of(who, people, onsite.application.enterprise)
    assert outcome(report, transition, actor) == expected
