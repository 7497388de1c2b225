"""The document engine's steps: draft, 编制, 审核, 批准 (issue with a number), revoke.

Every step is one ``run_transition``. Approval takes the next number of the kind and year
from ``portal.numbering`` inside the same transaction, so a refused or failed approval
gives its number back and two approvals at once never share one. The owning service passes
``effects(document)`` to run its own record changes in that transaction too (the
conformance report moves the connection and the enterprise's stage). The PDF is rendered
and signed by ``reports.tasks.render_document`` after the commit.
"""

from urllib.parse import urlencode

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from portal.models import AuditEvent
from portal.notifications import enterprise_users, reviewers, tell
from portal.numbering import next_number
from portal.queueing import enqueue_on_commit
from portal.sentences import Sentence
from portal.workflow import RefusalReason, TransitionRefused, run_transition

from ..kinds import spec_of
from ..models import DocumentKind, DocumentState, IssuedDocument, RenderStatus
from ..tasks import render_document


def format_number(kind: str, year: int, seq: int) -> str:
    return settings.REPORT_NUMBER_PATTERNS[kind].format(year=year, seq=seq)


def counter_kind(kind: str) -> str:
    return f"report:{kind}"


def _link(document) -> str:
    return reverse("reports:document_detail", args=[document.pk])


def _kind_label(document):
    """The kind's lazy label, so a notification names it in each reader's language (the
    ``get_kind_display()`` text is already in the actor's)."""
    labels = {kind.value: kind.label for kind in DocumentKind}
    return labels.get(document.kind) or document.get_kind_display()


def create_draft(kind, enterprise, actor, *, title, content, connection=None, trial_run=None):
    """A new draft with its content snapshot; refused when one already counts for the
    subject (``one_active_document_per_trial``)."""
    try:
        with transaction.atomic():
            document = IssuedDocument.objects.create(
                kind=kind,
                enterprise=enterprise,
                connection=connection,
                trial_run=trial_run,
                title=title,
                content=content,
                created_by=actor,
            )
    except IntegrityError as clash:
        raise TransitionRefused(
            RefusalReason.CONDITION_UNMET,
            field="trial_run",
            detail=_("该试运行已有一份有效或在办的报告；如需重新出具，请先撤销或作废原报告。"),
        ) from clash
    AuditEvent.record(document, actor, "document_drafted", to_state=document.state)
    return document


def compile_document(document, actor, comment=""):
    return run_transition(
        document, "compile", actor, event="document_compiled", comment=comment
    ).obj


def review_document(document, actor, comment=""):
    return run_transition(document, "review", actor, event="document_reviewed", comment=comment).obj


def send_back(document, actor, comment):
    return run_transition(
        document,
        "send_back",
        actor,
        event="document_sent_back",
        comment=comment,
        require_comment=True,
        notify=tell(
            lambda d: [d.created_by] if d.created_by else [],
            Sentence(gettext_noop("文书退回修改")),
            _link,
        ),
    ).obj


def withdraw_document(document, actor, comment=""):
    return run_transition(
        document, "withdraw", actor, event="document_withdrawn", comment=comment
    ).obj


def approve_document(document, actor, comment=""):
    """批准: number, issue, run the kind's ``on_issue(document, actor)``, tell the
    enterprise, and queue the PDF, all or nothing."""
    effects = spec_of(document.kind).on_issue
    with transaction.atomic():
        year = timezone.localdate().year
        number = format_number(document.kind, year, next_number(counter_kind(document.kind), year))
        outcome = run_transition(
            document,
            "approve",
            actor,
            event="document_issued",
            comment=comment,
            number=number,
            notify=tell(
                lambda d: enterprise_users(d.enterprise),
                Sentence(gettext_noop("省计量院已出具%(kind)s"), kind=_kind_label(document)),
                _link,
                body=lambda d: str(d),
            ),
        )
        issued = outcome.obj
        if effects is not None:
            effects(issued, actor)
        enqueue_on_commit(render_document, issued.pk)
    return issued


def revoke_document(document, actor, reason):
    """Revoke an issued document (the verification page shows it revoked with the reason);
    the kind's ``on_revoke(document, actor)`` runs in the same transaction."""
    effects = spec_of(document.kind).on_revoke
    with transaction.atomic():
        outcome = run_transition(
            document,
            "revoke",
            actor,
            event="document_revoked",
            comment=reason,
            require_comment=True,
            reason=reason,
            notify=tell(
                lambda d: list(enterprise_users(d.enterprise)) + list(reviewers()),
                Sentence(gettext_noop("%(kind)s已撤销"), kind=_kind_label(document)),
                _link,
            ),
        )
        if effects is not None:
            effects(outcome.obj, actor)
    return outcome.obj


def link_replacement(revoked, replacement) -> None:
    """Mark a new draft as replacing a revoked document (before it is issued)."""
    if revoked.state != DocumentState.REVOKED:
        raise TransitionRefused(
            RefusalReason.CONDITION_UNMET,
            field="replaces",
            detail=_("只能替代已撤销的文书。"),
        )
    IssuedDocument.objects.filter(pk=replacement.pk, state=DocumentState.DRAFT).update(
        replaces=revoked
    )
    replacement.replaces = revoked


def retry_render(document) -> bool:
    """Queue the PDF again for an issued document whose rendering failed or never ran."""
    updated = IssuedDocument.objects.filter(
        pk=document.pk,
        state__in=[DocumentState.ISSUED, DocumentState.REVOKED],
        sha256="",
    ).update(render_status=RenderStatus.QUEUED, render_progress=0, render_error="")
    if updated:
        enqueue_on_commit(render_document, document.pk)
    return bool(updated)


def issue_signed_off(kind, enterprise, actor, *, title, content):
    """Draft and issue at once a kind whose sign-off happened in its owning app (the
    acceptance report after its five signatures, a rectification notice): the number from
    the gapless counter and the PDF queued, in the caller's transaction."""
    with transaction.atomic():
        document = IssuedDocument.objects.create(
            kind=kind, enterprise=enterprise, title=title, content=content, created_by=actor
        )
        year = timezone.localdate().year
        number = format_number(kind, year, next_number(counter_kind(kind), year))
        issued = run_transition(
            document, "issue_signed_off", actor, event="document_issued", number=number
        ).obj
        enqueue_on_commit(render_document, issued.pk)
    return issued


def valid_conformance_report(enterprise):
    """The enterprise's issued, unrevoked conformance report (附件1), or None."""
    return (
        IssuedDocument.objects.filter(
            enterprise=enterprise, kind=DocumentKind.CONFORMANCE, state=DocumentState.ISSUED
        )
        .order_by("-approved_at")
        .first()
    )


def verify_path(document) -> str:
    """The public verification page of an issued document, with its check code."""
    query = urlencode({"code": document.check_code})
    return f"{reverse('verify', args=[document.number])}?{query}"
