"""Rendering (and signing) an issued document's PDF after the approval commits.

Progress is written to the document as the work goes (the page polls it); the file, its
SHA-256 and the status are stored together in one transaction at the end, so a document is
never half stored. A failure is recorded on the document with its reason and retried; a
reviewer can also queue it again from the page.
"""

import hashlib
import logging

from celery import shared_task
from django.core.files.base import ContentFile
from django.db import transaction

from portal.models import AuditEvent

from .kinds import spec_of
from .models import DocumentState, IssuedDocument, RenderStatus
from .services.documents import document_pdf
from .signing import SigningUnavailable, sign_pdf

logger = logging.getLogger(__name__)


def _progress(document_id: int, percent: int, **fields) -> None:
    IssuedDocument.objects.filter(pk=document_id).update(render_progress=percent, **fields)


def store_pdf(document_id: int, pdf: bytes) -> bool:
    """File, SHA-256 and status at once; False when another run stored it first."""
    digest = hashlib.sha256(pdf).hexdigest()
    with transaction.atomic():
        document = IssuedDocument.objects.select_for_update().get(pk=document_id)
        if document.sha256:
            return False
        document.pdf.save(f"{document.number}.pdf", ContentFile(pdf), save=False)
        try:
            document.sha256 = digest
            document.render_status = RenderStatus.DONE
            document.render_progress = 100
            document.render_error = ""
            document.save(
                update_fields=["pdf", "sha256", "render_status", "render_progress", "render_error"]
            )
            AuditEvent.record(document, None, "document_rendered", context={"sha256": digest})
        except Exception:
            document.pdf.delete(save=False)
            raise
    return True


@shared_task(bind=True, max_retries=3, time_limit=300, soft_time_limit=240)
def render_document(self, document_id: int) -> str:
    document = (
        IssuedDocument.objects.select_related("enterprise", "compiled_by", "checked_by")
        .select_related("approved_by")
        .filter(pk=document_id, state__in=[DocumentState.ISSUED, DocumentState.REVOKED])
        .first()
    )
    if document is None or document.sha256:
        return "gone"
    _progress(
        document_id,
        10,
        render_status=RenderStatus.RUNNING,
        render_error="",
        render_attempts=document.render_attempts + 1,
    )
    try:
        pdf = document_pdf(document)
        _progress(document_id, 60)
        if document.is_signed_kind:
            reason = f"{spec_of(document.kind).sign_reason} {document.number}"
            pdf = sign_pdf(pdf, reason=reason)
        _progress(document_id, 85)
        store_pdf(document_id, pdf)
    except Exception as exc:
        message = (
            exc.reason if isinstance(exc, SigningUnavailable) else f"{type(exc).__name__}: {exc}"
        )
        logger.exception("rendering document %s failed", document_id)
        _progress(document_id, 0, render_status=RenderStatus.FAILED, render_error=message[:2000])
        AuditEvent.record(document, None, "document_render_failed", context={"error": message})
        retryable = not isinstance(exc, SigningUnavailable)
        if retryable and not self.request.is_eager and self.request.retries < self.max_retries:
            raise self.retry(exc=exc, countdown=60 * (self.request.retries + 1)) from exc
        return "failed"
    return "done"
