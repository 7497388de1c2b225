"""Scopers and predicates for this app's records, built on portal.permissions and the role
predicates of portal.roles.

Enterprise members see their own enterprise's records (never a scheme still in draft);
institute reviewers and operators see all; other roles see none of these records.
"""

from django.db.models import QuerySet
from django.http import Http404

from portal.permissions import enterprises_visible_to, scope_to_enterprises
from portal.roles import (
    is_enterprise_user,
    is_government_viewer,
    is_member,
    is_staff_reviewer,
)

from .models import (
    AccessApplication,
    ChangeRecord,
    DesignScheme,
    DeviceCertificate,
    Meter,
    SchemeFeedback,
    SchemeState,
    VpnAccount,
)


def _scoped(qs: QuerySet, user, path: str = "enterprise") -> QuerySet:
    if is_staff_reviewer(user):
        return qs
    if is_enterprise_user(user):
        return scope_to_enterprises(qs, user, path)
    return qs.none()


def design_schemes_visible_to(user) -> QuerySet[DesignScheme]:
    qs = _scoped(DesignScheme.objects.select_related("enterprise"), user)
    if not is_staff_reviewer(user):
        qs = qs.exclude(state=SchemeState.DRAFT)
    return qs


def feedback_visible_to(user) -> QuerySet[SchemeFeedback]:
    """7.1 forms (and their stamped scans) go with their scheme."""
    return SchemeFeedback.objects.filter(scheme__in=design_schemes_visible_to(user))


def change_records_visible_to(user) -> QuerySet[ChangeRecord]:
    return _scoped(
        ChangeRecord.objects.select_related(
            "scheme", "scheme__enterprise", "recorded_by", "decided_by"
        ),
        user,
        "scheme__enterprise",
    )


def access_applications_visible_to(user) -> QuerySet[AccessApplication]:
    return _scoped(
        AccessApplication.objects.select_related("enterprise", "design_scheme", "reviewer"), user
    )


def certificates_visible_to(user) -> QuerySet[DeviceCertificate]:
    return _scoped(DeviceCertificate.objects.select_related("enterprise"), user)


def vpn_accounts_visible_to(user) -> QuerySet[VpnAccount]:
    return _scoped(VpnAccount.objects.select_related("enterprise"), user)


def credential_enterprise_or_404(user, pk):
    """The enterprise whose credentials `user` may see: its own members, or staff."""
    if not (is_staff_reviewer(user) or is_enterprise_user(user)):
        raise Http404
    enterprise = enterprises_visible_to(user).filter(pk=pk).first()
    if enterprise is None:
        raise Http404
    return enterprise


def can_manage_credentials(user, enterprise) -> bool:
    """Members submit CSRs and set the VPN password; reviewers may do it for them."""
    return is_staff_reviewer(user) or is_member(user, enterprise)


def meters_visible_to(user) -> QuerySet[Meter]:
    """计量器具台账: the enterprise's members, staff, and government viewers of its region
    (read only; DESIGN section 1)."""
    qs = Meter.objects.select_related("enterprise")
    if is_staff_reviewer(user):
        return qs
    if is_enterprise_user(user) or is_government_viewer(user):
        return scope_to_enterprises(qs, user)
    return qs.none()


def ledger_enterprise_or_404(user, pk):
    """The enterprise whose ledger `user` may see."""
    if not (is_staff_reviewer(user) or is_enterprise_user(user) or is_government_viewer(user)):
        raise Http404
    enterprise = enterprises_visible_to(user).filter(pk=pk).first()
    if enterprise is None:
        raise Http404
    return enterprise


def can_manage_meters(user, enterprise) -> bool:
    """Members keep their ledger; reviewers may correct it (as with credentials)."""
    return is_staff_reviewer(user) or is_member(user, enterprise)
