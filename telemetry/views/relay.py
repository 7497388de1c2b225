"""Relay flags (疑似第三方中转): listed for the enterprise, decided by reviewers."""

from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal.access import enterprise_user, government, grant_access, reviewer
from portal.roles import is_staff_reviewer
from portal.views.outcomes import attempt

from ..forms import RelayDecisionForm
from ..models import RelayFlagStatus
from ..permissions import relay_flags_visible_to
from ..services.relay import decide_relay_flag


@grant_access(enterprise_user, reviewer, government)
def relay_flags(request):
    """Open flags first; ?status= narrows to one status, ?enterprise= to one enterprise."""
    flags = relay_flags_visible_to(request.user)
    status = request.GET.get("status", RelayFlagStatus.OPEN)
    if status in RelayFlagStatus.values:
        flags = flags.filter(status=status)
    if request.GET.get("enterprise", "").isdigit():
        flags = flags.filter(enterprise_id=int(request.GET["enterprise"]))
    return render(
        request,
        "telemetry/monitoring/relay_flags.html",
        {
            "flags": flags[:200],
            "status": status,
            "statuses": RelayFlagStatus.choices,
            "form": RelayDecisionForm() if is_staff_reviewer(request.user) else None,
        },
    )


@require_POST
@grant_access(reviewer)
def relay_flag_decide(request, pk, decision):
    flag = get_object_or_404(relay_flags_visible_to(request.user), pk=pk)
    form = RelayDecisionForm(request.POST)
    reason = form.data.get("reason", "")
    confirm = decision == "confirm"
    done = _("已认定为经第三方中转。") if confirm else _("已记录说明。")
    attempt(
        request, lambda: decide_relay_flag(flag, request.user, confirm=confirm, reason=reason), done
    )
    return redirect(f"{reverse('telemetry:relay_flags')}?enterprise={flag.enterprise_id}")
