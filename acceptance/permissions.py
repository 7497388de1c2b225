"""Scopers and predicates for acceptance records (DESIGN §1 roles).

Enterprise members see their own records; institute reviewers all; a government viewer the
records of its region, but not their files; a member of an on-site panel the panels they sit
on, and the application and its files only once they have declared no conflict of interest.
Everyone else sees none.
"""

from django.db.models import Q, QuerySet

from portal.permissions import scope_to_enterprises
from portal.roles import is_enterprise_user, is_government_viewer, is_staff_reviewer

from .models import (
    AcceptanceApplication,
    AcceptanceReport,
    AnnualAudit,
    AuditAnswer,
    Dossier,
    OnSiteAcceptance,
    RectificationNotice,
    RectificationReport,
)


def _declared(user) -> Q:
    """Applications on whose panel `user` sits and has declared no conflict of interest."""
    return Q(onsite__seats__user=user, onsite__seats__declared_at__isnull=False)


def acceptance_applications_visible_to(user) -> QuerySet[AcceptanceApplication]:
    qs = AcceptanceApplication.objects.select_related("enterprise")
    if not user.is_authenticated:
        return qs.none()
    if is_staff_reviewer(user):
        return qs
    if is_enterprise_user(user):
        return scope_to_enterprises(qs, user)
    if is_government_viewer(user):
        region = Q(enterprise__region=user.region) if user.region else Q(pk__in=[])
        return qs.filter(region | _declared(user)).distinct()
    return qs.filter(_declared(user)).distinct()


def acceptance_files_visible_to(user) -> QuerySet[AcceptanceApplication]:
    """Owners whose material files `user` may open (ATTACHMENT_OWNER_SCOPERS): a viewer
    only as a declared panel member."""
    if is_staff_reviewer(user) or is_enterprise_user(user):
        return acceptance_applications_visible_to(user)
    if not user.is_authenticated:
        return AcceptanceApplication.objects.none()
    return AcceptanceApplication.objects.filter(_declared(user)).distinct()


def onsites_visible_to(user) -> QuerySet[OnSiteAcceptance]:
    qs = OnSiteAcceptance.objects.select_related("application", "application__enterprise")
    if not user.is_authenticated:
        return qs.none()
    if is_staff_reviewer(user):
        return qs
    if is_enterprise_user(user):
        return scope_to_enterprises(qs, user, "application__enterprise")
    seated = Q(seats__user=user)
    if is_government_viewer(user) and user.region:
        seated |= Q(application__enterprise__region=user.region)
    return qs.filter(seated).distinct()


def onsite_files_visible_to(user) -> QuerySet[OnSiteAcceptance]:
    if is_staff_reviewer(user) or is_enterprise_user(user):
        return onsites_visible_to(user)
    if not user.is_authenticated:
        return OnSiteAcceptance.objects.none()
    return OnSiteAcceptance.objects.filter(
        seats__user=user, seats__declared_at__isnull=False
    ).distinct()


def panel_enterprise_ids(user) -> list[int]:
    """PANEL_ENTERPRISE_SCOPERS: the enterprises whose panels `user` sits on, declared."""
    return list(
        OnSiteAcceptance.objects.filter(
            seats__user=user, seats__declared_at__isnull=False
        ).values_list("application__enterprise_id", flat=True)
    )


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


def acceptance_reports_visible_to(user) -> QuerySet[AcceptanceReport]:
    """Reports follow their on-site acceptance; a panel member sees it once declared."""
    qs = AcceptanceReport.objects.select_related("onsite", "onsite__application__enterprise")
    visible = onsites_visible_to(user).values("pk")
    if is_staff_reviewer(user) or is_enterprise_user(user):
        return qs.filter(onsite__in=visible)
    if not user.is_authenticated:
        return qs.none()
    declared = Q(onsite__seats__user=user, onsite__seats__declared_at__isnull=False)
    region = (
        Q(onsite__application__enterprise__region=user.region)
        if is_government_viewer(user) and user.region
        else Q(pk__in=[])
    )
    return qs.filter(declared | region).distinct()


def notices_visible_to(user) -> QuerySet[RectificationNotice]:
    """The enterprise its own, reviewers all, a government viewer its region's."""
    qs = RectificationNotice.objects.select_related("enterprise")
    if not user.is_authenticated:
        return qs.none()
    if is_staff_reviewer(user):
        return qs
    if is_enterprise_user(user) or is_government_viewer(user):
        return scope_to_enterprises(qs, user)
    return qs.none()


def audits_visible_to(user) -> QuerySet[AnnualAudit]:
    """The enterprise its own, reviewers all, a government viewer its region's."""
    qs = AnnualAudit.objects.select_related("plan", "enterprise")
    if not user.is_authenticated:
        return qs.none()
    if is_staff_reviewer(user):
        return qs
    if is_enterprise_user(user) or is_government_viewer(user):
        return scope_to_enterprises(qs, user)
    return qs.none()


def audit_answers_visible_to(user) -> QuerySet[AuditAnswer]:
    """Owners of written-review evidence (ATTACHMENT_OWNER_SCOPERS): the enterprise its own,
    reviewers all; a government viewer sees the audit and its result, not the enterprise's
    evidence files (DESIGN section 1: stages, upload health and results)."""
    if is_government_viewer(user):
        return AuditAnswer.objects.none()
    return AuditAnswer.objects.filter(audit__in=audits_visible_to(user).values("pk"))


def rectification_reports_visible_to(user) -> QuerySet[RectificationReport]:
    """Owners of rectification evidence (ATTACHMENT_OWNER_SCOPERS): follow the notice, but a
    government viewer sees the notice, not the enterprise's evidence files."""
    if is_government_viewer(user):
        return RectificationReport.objects.none()
    return RectificationReport.objects.filter(notice__in=notices_visible_to(user).values("pk"))


def dossiers_visible_to(user) -> QuerySet[Dossier]:
    """档案: reviewers all; an enterprise member or a region's viewer the dossiers they asked
    for, of enterprises they see. A dossier holds what its requester may see (the builder
    reads through the requester's scopers), so it is not handed to anyone who sees less."""
    qs = Dossier.objects.select_related("enterprise")
    if not user.is_authenticated:
        return qs.none()
    if is_staff_reviewer(user):
        return qs
    if is_enterprise_user(user) or is_government_viewer(user):
        return scope_to_enterprises(qs, user).filter(requested_by=user)
    return qs.none()


def can_request_dossier(user, enterprise) -> bool:
    from portal.permissions import enterprises_visible_to

    if not (is_staff_reviewer(user) or is_enterprise_user(user) or is_government_viewer(user)):
        return False
    return enterprises_visible_to(user).filter(pk=enterprise.pk).exists()
