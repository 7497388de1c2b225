"""What this app adds to the dashboards (registered in AcceptanceConfig.ready)."""

from portal import access

from .models import AcceptanceApplication, AcceptanceState


def insider(user) -> bool:
    return access.enterprise_user(user) or access.reviewer(user) or access.government(user)


def onsite_viewer(user) -> bool:
    return insider(user) or access.panel_member(user)


def queue_count() -> int:
    """Applications waiting for a reviewer (submitted or under materials review)."""
    return AcceptanceApplication.objects.filter(
        state__in=[AcceptanceState.SUBMITTED, AcceptanceState.MATERIALS_REVIEW]
    ).count()


def panel(user, enterprise) -> dict:
    application = (
        AcceptanceApplication.objects.filter(enterprise=enterprise).order_by("-created_at").first()
    )
    return {"enterprise": enterprise, "acceptance": application}
