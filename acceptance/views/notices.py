"""整改通知 pages: the enterprise reads, acknowledges and reports its rectification; a
reviewer re-checks it (closed, or sent back with the reason); the reviewer's queue."""

from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal.access import enterprise_user, government, grant_access, reviewer
from portal.attachments import attachments_of
from portal.models import AuditEvent
from portal.permissions import attachments_visible_to
from portal.views.outcomes import attempt
from portal.workflow import available_transitions

from ..choices import NoticeState
from ..permissions import notices_visible_to
from ..services.rectification import acknowledge_notice, recheck, submit_report

ROWS = 200


def _filtered(request):
    notices = notices_visible_to(request.user).order_by("-issued_at", "-pk")
    state = request.GET.get("state", "")
    if state in NoticeState.values:
        notices = notices.filter(state=state)
    return notices, state


@grant_access(enterprise_user, reviewer, government)
def notice_list(request):
    notices, state = _filtered(request)
    return render(
        request,
        "acceptance/notice_list.html",
        {"notices": notices[:ROWS], "states": NoticeState.choices, "state": state},
    )


@grant_access(reviewer)
def notice_queue(request):
    """The reviewer's work: reports waiting for a re-check, then notices past their
    deadline, oldest deadline first."""
    notices = (
        notices_visible_to(request.user)
        .filter(Q(state=NoticeState.REPORTED) | Q(state=NoticeState.ESCALATED))
        .order_by("deadline", "pk")[:ROWS]
    )
    return render(request, "acceptance/notice_queue.html", {"notices": notices})


@grant_access(enterprise_user, reviewer, government)
def notice_detail(request, pk):
    notice = get_object_or_404(notices_visible_to(request.user), pk=pk)
    visible = attachments_visible_to(request.user).values("pk")
    reports = list(notice.reports.select_related("submitted_by", "rechecked_by"))
    for row in reports:
        row.files = list(attachments_of(row).filter(pk__in=visible).order_by("pk"))
    return render(
        request,
        "acceptance/notice_detail.html",
        {
            "notice": notice,
            "situations": notice.situation_rows,
            "transitions": available_transitions(notice, request.user, "state"),
            "reports": reports,
            "events": AuditEvent.objects.for_object(notice)[:50],
        },
    )


@require_POST
@grant_access(enterprise_user)
def notice_acknowledge(request, pk):
    notice = get_object_or_404(notices_visible_to(request.user), pk=pk)
    attempt(request, lambda: acknowledge_notice(notice, request.user), _("已签收整改通知。"))
    return redirect("acceptance:notice_detail", pk=notice.pk)


@require_POST
@grant_access(enterprise_user)
def notice_report(request, pk):
    notice = get_object_or_404(notices_visible_to(request.user), pk=pk)
    attempt(
        request,
        lambda: submit_report(
            notice,
            request.user,
            request.POST.get("description", ""),
            request.FILES.getlist("files"),
        ),
        _("整改报告已提交，等待复查。"),
    )
    return redirect("acceptance:notice_detail", pk=notice.pk)


@require_POST
@grant_access(reviewer)
def notice_recheck(request, pk):
    notice = get_object_or_404(notices_visible_to(request.user), pk=pk)
    rectified = request.POST.get("verdict") == "closed"
    attempt(
        request,
        lambda: recheck(
            notice, request.user, rectified=rectified, note=request.POST.get("note", "")
        ),
        _("复查通过，整改通知已关闭。") if rectified else _("已退回企业继续整改。"),
    )
    return redirect("acceptance:notice_detail", pk=notice.pk)
