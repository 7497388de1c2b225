"""Scopers and predicates for acceptance records (DESIGN §1 roles).

Enterprise members see their own applications; institute reviewers all; a government viewer
the applications of its region (not their files: materials stay between the enterprise and
the institute); everyone else none.
"""

from django.db.models import QuerySet

from portal.permissions import scope_to_enterprises
from portal.roles import is_enterprise_user, is_government_viewer, is_staff_reviewer

from .models import AcceptanceApplication


def acceptance_applications_visible_to(user) -> QuerySet[AcceptanceApplication]:
    qs = AcceptanceApplication.objects.select_related("enterprise")
    if not user.is_authenticated:
        return qs.none()
    if is_staff_reviewer(user):
        return qs
    if is_enterprise_user(user) or is_government_viewer(user):
        return scope_to_enterprises(qs, user)
    return qs.none()


def acceptance_files_visible_to(user) -> QuerySet[AcceptanceApplication]:
    """Owners whose material files `user` may open (ATTACHMENT_OWNER_SCOPERS)."""
    if is_government_viewer(user):
        return AcceptanceApplication.objects.none()
    return acceptance_applications_visible_to(user)


def can_file(user, application) -> bool:
    return (
        is_enterprise_user(user)
        and application.is_editable
        and (
            scope_to_enterprises(
                AcceptanceApplication.objects.filter(pk=application.pk), user
            ).exists()
        )
    )
