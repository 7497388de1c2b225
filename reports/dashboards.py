"""What this app adds to the navigation and dashboards (registered in ReportsConfig.ready)."""

from django.db.models import Exists, OuterRef, QuerySet
from django.utils.translation import gettext_lazy as _

from portal import access
from portal.dashboards import (
    ENTERPRISE_PANELS,
    NAV_LINKS,
    REVIEWER_QUEUES,
    NavLink,
    Panel,
    WorkQueue,
)
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


def panel(user, enterprise) -> dict:
    """The enterprise's latest issued (or revoked) conformance test report."""
    document = (
        IssuedDocument.objects.filter(
            enterprise=enterprise,
            kind=DocumentKind.CONFORMANCE,
            state__in=[DocumentState.ISSUED, DocumentState.REVOKED],
        )
        .order_by("-approved_at", "-pk")
        .first()
    )
    return {"document": document}


def register() -> None:
    ENTERPRISE_PANELS.append(Panel("reports/_enterprise_panel.html", panel))
    REVIEWER_QUEUES.extend(
        [
            WorkQueue(_("待出具符合性测试报告"), "reports:conformance_queue", trials_due),
            WorkQueue(
                _("待审核、批准的报告"), "reports:document_list", documents_due, query="state=open"
            ),
        ]
    )
    NAV_LINKS.extend(
        [
            NavLink(_("报告"), "reports:document_list", readers),
            NavLink(_("印章图片"), "reports:seal", access.operator),
        ]
    )
