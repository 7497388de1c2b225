"""整改通知 pages: the enterprise reads and acknowledges its notice."""

from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal.access import enterprise_user, government, grant_access, reviewer
from portal.models import AuditEvent
from portal.views.outcomes import attempt
from portal.workflow import available_transitions

from ..permissions import notices_visible_to
from ..services.rectification import acknowledge_notice


@grant_access(enterprise_user, reviewer, government)
def notice_list(request):
    notices = notices_visible_to(request.user).order_by("-issued_at", "-pk")[:200]
    return render(request, "acceptance/notice_list.html", {"notices": notices})


@grant_access(enterprise_user, reviewer, government)
def notice_detail(request, pk):
    notice = get_object_or_404(notices_visible_to(request.user), pk=pk)
    return render(
        request,
        "acceptance/notice_detail.html",
        {
            "notice": notice,
            "situations": notice.situation_rows,
            "transitions": available_transitions(notice, request.user, "state"),
            "events": AuditEvent.objects.for_object(notice)[:50],
        },
    )


@require_POST
@grant_access(enterprise_user)
def notice_acknowledge(request, pk):
    notice = get_object_or_404(notices_visible_to(request.user), pk=pk)
    attempt(request, lambda: acknowledge_notice(notice, request.user), _("已签收整改通知。"))
    return redirect("acceptance:notice_detail", pk=notice.pk)
