"""Demo: the conformance test reports of the demo's passed trials, issued through the chain
(周建华 drafts and compiles, 林晓雯 checks, 陈立平 approves), so the demo has a real signed
PDF to download and verify. Idempotent: a trial that already has a report is left alone."""

from django.contrib.auth.models import Permission

from portal.models import User
from telemetry.models import Connection, ConnectionState

from .conformance import refusal_to_draft
from .models import DocumentKind, IssuedDocument
from .services import documents as engine
from .services.conformance import draft_from_trial
from .tasks import render_document

BOTH = {"enterprise": True, "government": True}


def _approver() -> User:
    approver = User.objects.get(username="approver")
    approver.user_permissions.add(
        Permission.objects.get(codename="approve_documents", content_type__app_label="portal")
    )
    return User.objects.get(pk=approver.pk)  # without the cached permissions


def seed(context, log=print):
    drafter = User.objects.get(username="reviewer")
    checker = User.objects.get(username="reviewer2")
    approver = _approver()
    issued = []
    for connection in Connection.objects.filter(state=ConnectionState.TRIAL_PASSED).order_by("pk"):
        if IssuedDocument.objects.filter(
            kind=DocumentKind.CONFORMANCE, connection=connection
        ).exists():
            continue
        reason = refusal_to_draft(connection)
        if reason:
            log(f"报告：{connection.enterprise.name} 暂不出具（{reason}）")
            continue
        document = draft_from_trial(connection, drafter, BOTH)
        document = engine.compile_document(document, drafter)
        document = engine.review_document(document, checker)
        document = engine.approve_document(document, approver)
        # Rendered here as well, so the demo's PDF is there without a worker.
        render_document.apply(args=[document.pk])
        issued.append(document.number)
    if issued:
        log(f"报告：出具符合性测试报告 {len(issued)} 份（{'，'.join(issued)}）")
