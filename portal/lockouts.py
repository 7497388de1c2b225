"""Login throttling (django-axes): what a locked-out person is told, and the unlock.

Failed logins are counted per account and per address (settings LOGIN_FAILURE_LIMIT and
LOGIN_LOCKOUT_MINUTES); django-axes records every attempt (AccessAttempt, AccessLog,
AccessFailureLog, shown in the admin). Reviewers and operators lift a lockout early from
the lockouts page; the lift is recorded as an audit event on the account.
"""

from axes.backends import AxesStandaloneBackend
from axes.handlers.proxy import AxesProxyHandler
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import QuerySet
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import AuditEvent, User


def lockout_message() -> str:
    return _(
        "登录失败次数过多，账号或地址已被暂时锁定，请 %(m)s 分钟后再试，或联系省计量院解除锁定。"
    ) % {"m": settings.LOGIN_LOCKOUT_MINUTES}


def lockout_response(request, original_response=None, credentials=None):
    """AXES_LOCKOUT_CALLABLE: the lockout page, or the API's JSON error."""
    message = lockout_message()
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"detail": message, "errors": [{"field": "username", "reason": message}]},
            status=429,
        )
    return render(request, "registration/locked_out.html", {"message": message}, status=429)


def is_locked_out(request, username: str) -> bool:
    return AxesProxyHandler.is_locked(request, {"username": username})


def recent_failures() -> QuerySet[AccessAttempt]:
    """Failed-login records (account, address, count) within the lockout period, newest
    first; a lockout is any account or address whose failures reach the limit."""
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    return AccessAttempt.objects.filter(attempt_time__gte=since).order_by("-attempt_time")


def unlock(attempt: AccessAttempt, actor) -> None:
    """Lift one lockout (its account and its address) and record who did it."""
    AccessAttempt.objects.filter(pk=attempt.pk).delete()
    AxesProxyHandler.reset_attempts(username=attempt.username, ip_address=attempt.ip_address)
    account = User.objects.filter(username=attempt.username).first()
    if account is not None:
        AuditEvent.record(
            account,
            actor,
            "login_lockout_lifted",
            context={"address": attempt.ip_address, "failures": attempt.failures_since_start},
        )


class ThrottledLoginBackend(AxesStandaloneBackend):
    """django-axes' backend for logins over HTTP. A call without a request (the shell, a
    test client's ``login()``) has no account-and-address to throttle and is left to the
    next backend, where django-axes would refuse it outright."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
