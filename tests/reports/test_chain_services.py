"""The conformance report's chain through the services: who may do what, and its effects."""

import pytest

from portal.models import AuditEvent, Notification, Stage
from portal.workflow import TransitionRefused
from reports.models import DocumentImmutable, DocumentState, IssuedDocument, RenderStatus
from reports.services import documents as engine
from reports.services.conformance import draft_from_trial
from telemetry.models import ConnectionState
from tests.portal.factories import ReviewerFactory

from .chain import BOTH, checked, draft, issue


def test_issue_numbers_moves_the_connection_and_the_stage_and_tells_the_enterprise(
    passed, drafter, checker, approver, member, ca, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        document = issue(passed, drafter, checker, approver)
    document.refresh_from_db()
    passed.connection.refresh_from_db()
    passed.enterprise.refresh_from_db()
    assert document.state == DocumentState.ISSUED
    assert document.number.startswith("HBJL-FH-") and document.number.endswith("-0001")
    assert (document.compiled_by, document.checked_by, document.approved_by) == (
        drafter,
        checker,
        approver,
    )
    assert passed.connection.state == ConnectionState.REPORT_ISSUED
    assert passed.enterprise.stage == Stage.ACCEPTANCE_APPLICATION
    assert Notification.objects.filter(recipient=member, link__contains=f"/reports/{document.pk}/")
    # Rendered and signed by the task (eager in tests) after the commit.
    assert document.render_status == RenderStatus.DONE, document.render_error
    assert len(document.sha256) == 64
    assert document.pdf.read()[:5] == b"%PDF-"


def test_revoke_moves_back_and_a_new_draft_replaces_it(passed, drafter, checker, approver, ca):
    document = issue(passed, drafter, checker, approver)
    engine.revoke_document(document, checker, "数据口径有误")
    document.refresh_from_db()
    passed.connection.refresh_from_db()
    passed.enterprise.refresh_from_db()
    assert document.state == DocumentState.REVOKED
    assert document.revoke_reason == "数据口径有误" and document.revoked_by == checker
    assert passed.connection.state == ConnectionState.TRIAL_PASSED
    assert passed.enterprise.stage == Stage.CONNECTION
    again = draft(passed, drafter)
    assert again.replaces == document


@pytest.mark.parametrize("who", ["drafter", "checker"])
def test_approval_by_someone_earlier_in_the_chain_is_refused(passed, drafter, checker, who):
    from .conftest import grant_approver

    document = checked(passed, drafter, checker)
    person = grant_approver({"drafter": drafter, "checker": checker}[who])
    with pytest.raises(TransitionRefused, match="三位不同人员"):
        engine.approve_document(document, person)
    document.refresh_from_db()
    assert document.state == DocumentState.CHECKED and document.number == ""


def test_check_by_the_compiler_is_refused(passed, drafter):
    document = engine.compile_document(draft(passed, drafter), drafter)
    with pytest.raises(TransitionRefused, match="编制人"):
        engine.review_document(document, drafter)


def test_approval_without_the_permission_is_refused_and_takes_no_number(
    passed, drafter, checker
):
    document = checked(passed, drafter, checker)
    with pytest.raises(TransitionRefused, match="批准出具编号文书"):
        engine.approve_document(document, ReviewerFactory())
    document.refresh_from_db()
    assert document.state == DocumentState.CHECKED
    passed.connection.refresh_from_db()
    assert passed.connection.state == ConnectionState.TRIAL_PASSED
    # The number was given back: the next approval takes 0001.
    from .conftest import grant_approver

    issued = engine.approve_document(document, grant_approver(ReviewerFactory()))
    assert issued.number.endswith("-0001")


def test_a_second_report_for_the_same_trial_is_refused(passed, drafter):
    draft(passed, drafter)
    count = IssuedDocument.objects.count()
    with pytest.raises(TransitionRefused):
        draft_from_trial(passed.connection, drafter, BOTH)
    assert IssuedDocument.objects.count() == count


def test_a_trial_that_has_not_passed_is_refused(enterprise, drafter):
    from tests.telemetry.factories import trial_connection

    from datetime import date

    connection = trial_connection(enterprise, date(2026, 3, 1))
    with pytest.raises(TransitionRefused, match="尚未通过"):
        draft_from_trial(connection, drafter, BOTH)
    assert not IssuedDocument.objects.exists()


def test_display_must_be_confirmed_in_both_subsystems(passed, drafter):
    with pytest.raises(TransitionRefused, match="政府子系统") as refusal:
        draft_from_trial(passed.connection, drafter, {"enterprise": True})
    assert refusal.value.field == "display_confirmed"
    assert not IssuedDocument.objects.exists()


def test_an_issued_document_refuses_edits(
    passed, drafter, checker, approver, ca, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        document = issue(passed, drafter, checker, approver)
    document.refresh_from_db()
    events = AuditEvent.objects.count()
    for field, value in (("content", {"x": 1}), ("number", "HBJL-FH-2026-9999")):
        stale = IssuedDocument.objects.get(pk=document.pk)
        setattr(stale, field, value)
        with pytest.raises(DocumentImmutable, match=field):
            stale.save()
    stale = IssuedDocument.objects.get(pk=document.pk)
    stale.sha256 = "0" * 64
    with pytest.raises(DocumentImmutable):
        stale.save()
    document.refresh_from_db()
    assert document.content["enterprise"]["name"] == passed.enterprise.name
    assert AuditEvent.objects.count() == events
