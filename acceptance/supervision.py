"""Supervision's share of the dashboards (seed chapter 6): the reviewer's queues of
rectification reports to re-check and of escalated notices, the enterprise's open notices,
the region's open notices for a government viewer. Registered from AcceptanceConfig.ready()."""

from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from .choices import OPEN_NOTICE_STATES, NoticeState
from .models import RectificationNotice
from .permissions import notices_visible_to


def reports_to_recheck() -> int:
    return RectificationNotice.objects.filter(state=NoticeState.REPORTED).count()


def escalated_notices() -> int:
    return RectificationNotice.objects.filter(state=NoticeState.ESCALATED).count()


def enterprise_panel(user, enterprise) -> dict:
    notices = list(
        RectificationNotice.objects.filter(
            enterprise=enterprise, state__in=OPEN_NOTICE_STATES
        ).order_by("deadline")[:5]
    )
    return {"notices": notices}


def government_panel(user, enterprise=None) -> dict:
    counts = notices_visible_to(user).aggregate(
        open=Count("pk", filter=Q(state__in=OPEN_NOTICE_STATES)),
        escalated=Count("pk", filter=Q(state=NoticeState.ESCALATED)),
        closed=Count("pk", filter=Q(state=NoticeState.CLOSED)),
    )
    return {"counts": counts}


def register():
    from portal import access
    from portal.dashboards import (
        ENTERPRISE_PANELS,
        GOVERNMENT_PANELS,
        NAV_LINKS,
        PUBLIC_LINKS,
        REVIEWER_QUEUES,
        NavLink,
        Panel,
        WorkQueue,
    )
    from portal.permissions import ATTACHMENT_OWNER_SCOPERS

    from .models import AuditAnswer, RectificationReport
    from .permissions import audit_answers_visible_to, rectification_reports_visible_to

    REVIEWER_QUEUES.extend(
        [
            WorkQueue(_("待复查的整改报告"), "acceptance:notice_queue", reports_to_recheck),
            WorkQueue(_("逾期未整改的整改通知"), "acceptance:notice_queue", escalated_notices),
        ]
    )
    ENTERPRISE_PANELS.append(Panel("acceptance/_notice_panel.html", enterprise_panel))
    GOVERNMENT_PANELS.append(Panel("acceptance/_notice_government_panel.html", government_panel))
    PUBLIC_LINKS.extend(
        [
            NavLink(_("表格下载"), "acceptance:documents", access.public),
            NavLink(_("常见问题"), "acceptance:faq", access.public),
        ]
    )
    NAV_LINKS.append(NavLink(_("企业档案"), "acceptance:dossier_list", _dossier_reader))
    ATTACHMENT_OWNER_SCOPERS[RectificationReport] = rectification_reports_visible_to
    ATTACHMENT_OWNER_SCOPERS[AuditAnswer] = audit_answers_visible_to


def _dossier_reader(user) -> bool:
    from portal import access

    return access.enterprise_user(user) or access.reviewer(user) or access.government(user)
