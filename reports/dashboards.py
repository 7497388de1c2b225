"""What this app adds to the dashboards (registered in ReportsConfig.ready)."""

from django.db.models import Exists, OuterRef, QuerySet

from portal import access
from telemetry.models import Connection, ConnectionState

from .models import ACTIVE_STATES, DocumentKind, DocumentState, IssuedDocument


def readers(user) -> bool:
    return access.enterprise_user(user) or access.reviewer(user) or access.government(user)


def connections_due() -> QuerySet[Connection]:
    """Passed trials without a report that still counts (待出具符合性测试报告)."""
    active = IssuedDocument.objects.filter(
        kind=DocumentKind.CONFORMANCE, connection=OuterRef("pk"), state__in=ACTIVE_STATES
    )
    return Connection.objects.filter(state=ConnectionState.TRIAL_PASSED).filter(~Exists(active))


def trials_due() -> int:
    return connections_due().count()


def documents_due() -> int:
    return IssuedDocument.objects.filter(
        state__in=[DocumentState.DRAFT, DocumentState.COMPILED, DocumentState.CHECKED]
    ).count()
