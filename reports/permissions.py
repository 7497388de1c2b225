"""Who sees which issued documents, and who may take each step.

Enterprise members see their enterprise's issued (and revoked) documents, government
viewers those of their region, reviewers everything including drafts; anyone else nothing
(object URLs answer 404). Verification by number and check code is public (views/verify.py).
"""

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from portal.permissions import scope_to_enterprises
from portal.roles import is_document_approver, is_institute_reviewer, is_staff_reviewer

from .models import DocumentState, IssuedDocument

PUBLISHED_STATES = (DocumentState.ISSUED, DocumentState.REVOKED)


def documents_visible_to(user) -> QuerySet[IssuedDocument]:
    qs = IssuedDocument.objects.select_related("enterprise")
    if not user.is_authenticated:
        return qs.none()
    if is_staff_reviewer(user):
        return qs
    return scope_to_enterprises(qs.filter(state__in=PUBLISHED_STATES), user)


def get_document_or_404(user, pk) -> IssuedDocument:
    return get_object_or_404(documents_visible_to(user), pk=pk)


def can_draft_reports(user) -> bool:
    return is_institute_reviewer(user)


def can_approve_documents(user) -> bool:
    return is_document_approver(user)


def can_preview(user, document) -> bool:
    return is_staff_reviewer(user)


def can_download(user, document) -> bool:
    """The stored PDF of a document the user can see."""
    return bool(document.sha256) and document.state in PUBLISHED_STATES
