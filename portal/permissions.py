"""Who may see what across the portal: the base every `<app>/permissions.py` builds on.

Scopers (`<records>_visible_to(user)`) return the querysets a user may see; every list
starts from one. Fetchers (`get_<record>_or_404`) answer 404 for records outside that
scope, so an outsider cannot even learn that a record exists. Predicates
(`can_<verb>_<record>`) decide actions on records the user can already see.
"""

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from .models import Attachment, AuditEvent, Enterprise, Membership, Notification
from .roles import (
    is_enterprise_user,
    is_government_viewer,
    is_member,
    is_panel_member,
    is_staff_reviewer,
)

# Other apps add the enterprises a panel member may see (the panels they sit on) here,
# so this module never imports upward into them.
PANEL_ENTERPRISE_SCOPERS: list = []


def enterprises_visible_to(user) -> QuerySet[Enterprise]:
    qs = Enterprise.objects.all()
    if not user.is_authenticated:
        return qs.none()
    if is_staff_reviewer(user):
        return qs
    if is_government_viewer(user):
        return qs.filter(region=user.region) if user.region else qs.none()
    if is_enterprise_user(user):
        return qs.filter(memberships__user=user)
    if is_panel_member(user):
        ids = set()
        for scoper in PANEL_ENTERPRISE_SCOPERS:
            ids.update(scoper(user))
        return qs.filter(pk__in=ids)
    return qs.none()


def scope_to_enterprises(qs: QuerySet, user, path: str = "enterprise") -> QuerySet:
    """Any enterprise-owned queryset cut down to the enterprises `user` may see."""
    if is_staff_reviewer(user):
        return qs
    return qs.filter(**{f"{path}__in": enterprises_visible_to(user).values("pk")})


def get_enterprise_or_404(user, pk) -> Enterprise:
    return get_object_or_404(enterprises_visible_to(user), pk=pk)


def get_visible_or_404(qs: QuerySet, user, path: str = "enterprise", **lookup):
    return get_object_or_404(scope_to_enterprises(qs, user, path), **lookup)


def own_enterprise(user) -> Enterprise | None:
    """The enterprise an enterprise user acts for (the first membership)."""
    if not is_enterprise_user(user):
        return None
    membership = (
        Membership.objects.filter(user=user).select_related("enterprise").order_by("pk").first()
    )
    return membership.enterprise if membership else None


def memberships_visible_to(user) -> QuerySet[Membership]:
    return scope_to_enterprises(Membership.objects.select_related("user", "enterprise"), user)


# Attachments of these owner records follow their owner's visibility, not only the
# enterprise's: a draft scheme's document is the institute's until the scheme is sent, and
# a region's government viewer does not see access-application materials. Other apps add
# {model class: scoper(user) -> queryset of visible owners} in their AppConfig.ready().
ATTACHMENT_OWNER_SCOPERS: dict = {}


def attachments_visible_to(user) -> QuerySet[Attachment]:
    qs = scope_to_enterprises(Attachment.objects.all(), user)
    for owner_model, scoper in ATTACHMENT_OWNER_SCOPERS.items():
        owner_type = ContentType.objects.get_for_model(owner_model)
        qs = qs.exclude(Q(content_type=owner_type) & ~Q(object_id__in=scoper(user).values("pk")))
    return qs


def audit_events_visible_to(user) -> QuerySet[AuditEvent]:
    """The audit trail (with reviewers' comments) is for the enterprise and the institute;
    government viewers see stages, upload health and results, not the file (DESIGN §1)."""
    if is_government_viewer(user):
        return AuditEvent.objects.none()
    return scope_to_enterprises(AuditEvent.objects.select_related("actor"), user)


def notifications_visible_to(user) -> QuerySet[Notification]:
    return (
        Notification.objects.filter(recipient=user)
        if user.is_authenticated
        else (Notification.objects.none())
    )


def can_review_registration(user, enterprise) -> bool:
    return is_staff_reviewer(user)


def can_edit_enterprise(user, enterprise) -> bool:
    """Members with the admin flag keep their enterprise's profile current."""
    if is_staff_reviewer(user):
        return True
    return Membership.objects.filter(user=user, enterprise=enterprise, is_admin=True).exists()


# Applications, certificates and the region's government view are keyed on these: once a
# reviewer has approved the registration, only the institute may correct them.
FIELDS_LOCKED_AFTER_APPROVAL = ("name", "uscc", "region")


def locked_enterprise_fields(user, enterprise) -> tuple[str, ...]:
    """The profile fields `user` may no longer change on `enterprise`."""
    if enterprise.is_approved and not is_staff_reviewer(user):
        return FIELDS_LOCKED_AFTER_APPROVAL
    return ()


def can_file_for(user, enterprise) -> bool:
    """Members of an approved enterprise may file applications for it."""
    return enterprise.is_approved and is_member(user, enterprise)
