"""What this app adds to the dashboards (registered in ApplicationsConfig.ready)."""

from portal import access

from .models import AccessApplication, ApplicationState, DesignScheme, SchemeState


def insider(user) -> bool:
    """Enterprise members and institute staff: the people these records concern."""
    return access.enterprise_user(user) or access.reviewer(user)


def ledger_reader(user) -> bool:
    """Who reads 计量器具台账: members, staff, and government viewers (their region)."""
    return insider(user) or access.government(user)


def schemes_due() -> int:
    return DesignScheme.objects.filter(
        state__in=[SchemeState.CHANGES_REQUESTED, SchemeState.ENTERPRISE_CONFIRMED]
    ).count()


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
