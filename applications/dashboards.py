"""What this app adds to the dashboards (registered in ApplicationsConfig.ready)."""

from django.db.models import Exists, OuterRef, QuerySet

from portal import access
from portal.roles import is_institute_reviewer

from .models import (
    AccessApplication,
    ApplicationState,
    DesignScheme,
    Party,
    SchemeConfirmation,
    SchemeState,
)


def insider(user) -> bool:
    """Enterprise members and institute staff: the people these records concern."""
    return access.enterprise_user(user) or access.reviewer(user)


def awaiting_confirmation(party: Party) -> QuerySet[DesignScheme]:
    """Schemes the enterprise confirmed that still wait for `party`'s confirmation of the
    current revision (a party that already confirmed is not kept waiting)."""
    confirmed = SchemeConfirmation.objects.filter(
        scheme=OuterRef("pk"), revision=OuterRef("revision"), party=party
    )
    return DesignScheme.objects.filter(state=SchemeState.ENTERPRISE_CONFIRMED).filter(
        ~Exists(confirmed)
    )


def party_waited_for(user) -> Party:
    return Party.INSTITUTE if is_institute_reviewer(user) else Party.DEVELOPER


def schemes_due() -> int:
    """The institute's open scheme work: changes requested, or its confirmation awaited."""
    return (
        DesignScheme.objects.filter(state=SchemeState.CHANGES_REQUESTED).count()
        + awaiting_confirmation(Party.INSTITUTE).count()
    )


def schemes_awaiting_developer() -> int:
    return awaiting_confirmation(Party.DEVELOPER).count()


def queue_count() -> int:
    return AccessApplication.objects.filter(
        state__in=[ApplicationState.SUBMITTED, ApplicationState.UNDER_REVIEW]
    ).count()


def panel(user, enterprise) -> dict:
    """The enterprise's scheme, application and credentials at a glance."""
    scheme = (
        DesignScheme.objects.filter(enterprise=enterprise)
        .exclude(state=SchemeState.DRAFT)
        .order_by("-created_at")
        .first()
    )
    application = (
        AccessApplication.objects.filter(enterprise=enterprise).order_by("-created_at").first()
    )
    return {
        "enterprise": enterprise,
        "scheme": scheme,
        "application": application,
        "certificates": enterprise.certificates.filter(revoked_at__isnull=True).count(),
        "vpn": getattr(enterprise, "vpn_account", None),
    }
