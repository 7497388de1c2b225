"""The reviewer's view of failed logins, and the early unlock."""

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ..access import grant_access, reviewer
from ..lockouts import recent_failures, unlock


@grant_access(reviewer)
def lockout_list(request):
    attempts = recent_failures()[:200]
    return render(
        request,
        "portal/lockouts.html",
        {"attempts": attempts, "limit": settings.LOGIN_FAILURE_LIMIT},
    )


@require_POST
@grant_access(reviewer)
def lockout_lift(request, pk):
    attempt = get_object_or_404(AccessAttempt, pk=pk)
    unlock(attempt, request.user)
    messages.success(
        request,
        _("已解除 %(u)s（%(ip)s）的登录锁定。") % {"u": attempt.username, "ip": attempt.ip_address},
    )
    return redirect("lockout_list")
