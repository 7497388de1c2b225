"""What this app adds to the dashboards (registered in ApplicationsConfig.ready)."""

from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from portal import access
from portal.roles import is_institute_reviewer

from .models import (
    AccessApplication,
    ApplicationState,
    DesignScheme,
    Meter,
    Party,
    SchemeConfirmation,
    SchemeState,
)


def insider(user) -> bool:
    """Enterprise members and institute staff: the people these records concern."""
    return access.enterprise_user(user) or access.reviewer(user)


def ledger_reader(user) -> bool:
    """Who reads 计量器具台账: members, staff, and government viewers (their region)."""
    return insider(user) or access.government(user)


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
        "meters": ledger_counts(enterprise),
    }


def ledger_counts(enterprise) -> dict:
    """计量器具台账 in one query: meters, expired, expiring within the warning days."""
    today = timezone.localdate()
    horizon = today + timedelta(days=settings.METER_EXPIRY_WARNING_DAYS)
    return Meter.objects.filter(enterprise=enterprise).aggregate(
        total=Count("pk"),
        expired=Count("pk", filter=Q(valid_until__lt=today)),
        expiring=Count("pk", filter=Q(valid_until__gte=today, valid_until__lte=horizon)),
    )
