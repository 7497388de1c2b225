"""CSV / XLSX of the acceptance lists, each starting from the same scoper as its page."""

from django.db.models import Prefetch
from django.utils import timezone

from portal.access import enterprise_user, government, grant_access, panel_member, public, reviewer
from portal.exports import table_response

from ..models import AcceptanceState, NoticeState, PanelSeat
from ..permissions import (
    acceptance_applications_visible_to,
    audits_visible_to,
    notices_visible_to,
    onsites_visible_to,
)
from .public import _published


def _date(value):
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


@grant_access(enterprise_user, reviewer, government, panel_member)
def applications_export(request, fmt):
    qs = acceptance_applications_visible_to(request.user)
    state = request.GET.get("state", "")
    if state in AcceptanceState.values:
        qs = qs.filter(state=state)
    rows = (
        [
            a.owner_name,
            a.enterprise.get_region_display(),
            a.get_state_display(),
            _date(a.submitted_at),
            a.builder_name,
        ]
        for a in qs.order_by("-submitted_at", "-pk")
    )
    return table_response(
        "acceptance-applications",
        ["业主单位", "所在地区", "状态", "提交时间", "承建单位"],
        rows,
        fmt,
    )


@grant_access(enterprise_user, reviewer, government, panel_member)
def onsite_export(request, fmt):
    """The on-site acceptances the reader may see (a panel member: their own panels; a
    government viewer: the region's), with each panel in one cell."""
    qs = onsites_visible_to(request.user).prefetch_related(
        Prefetch("seats", queryset=PanelSeat.objects.select_related("user"))
    )
    rows = (
        [
            o.application.owner_name,
            o.application.enterprise.get_region_display(),
            _date(o.scheduled_for),
            o.place,
            o.get_state_display(),
            "；".join(
                f"{seat.get_role_display()} {seat.user.get_full_name() or seat.user.username}"
                f"（{seat.body}）"
                for seat in o.seats.all()
            ),
        ]
        for o in qs.order_by("-scheduled_for", "-pk")
    )
    return table_response(
        "acceptance-onsite",
        ["业主单位", "所在地区", "验收时间", "验收地点", "状态", "验收小组"],
        rows,
        fmt,
    )


@grant_access(public)
def results_export(request, fmt):
    rows = (
        [
            r.get_kind_display(),
            r.enterprise_name,
            r.get_region_display(),
            r.project_name,
            r.decided_on.isoformat(),
            r.result,
            r.document_number,
            r.deadline.isoformat() if r.deadline else "",
            timezone.localdate(r.published_at).isoformat(),
            r.closed_on.isoformat() if r.closed_on else "",
        ]
        for r in _published(request)
    )
    header = [
        "类别",
        "企业名称",
        "所在地区",
        "项目名称",
        "日期",
        "结果",
        "报告或通知编号",
        "整改期限",
        "公布日期",
        "整改完成日期",
    ]
    return table_response("acceptance-results", header, rows, fmt)


@grant_access(enterprise_user, reviewer, government)
def audits_export(request, fmt):
    rows = (
        [
            a.plan.year,
            a.enterprise.name,
            a.enterprise.get_region_display(),
            a.get_state_display(),
            _date(a.graded_at),
        ]
        for a in audits_visible_to(request.user).order_by("-plan__year", "enterprise__name")
    )
    return table_response(
        "annual-audits", ["审核年度", "企业名称", "所在地区", "状态", "审核时间"], rows, fmt
    )


def _notices(request):
    notices = notices_visible_to(request.user).order_by("-issued_at", "-pk")
    state = request.GET.get("state", "")
    return notices.filter(state=state) if state in NoticeState.values else notices


@grant_access(enterprise_user, reviewer, government)
def notices_export(request, fmt):
    rows = (
        [
            n.enterprise.name,
            n.get_occasion_display(),
            n.deadline.isoformat(),
            n.get_state_display(),
            _date(n.issued_at),
            _date(n.closed_at),
        ]
        for n in _notices(request)
    )
    return table_response(
        "rectification-notices",
        ["企业名称", "事由", "整改期限", "状态", "下达时间", "关闭时间"],
        rows,
        fmt,
    )
