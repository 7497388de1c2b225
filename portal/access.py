"""Deny by default: every view declares who may open it, or nobody may.

`@grant_access(rule, ...)` marks a view (function or class); `AccessRuleMiddleware` refuses
any view without a rule. The REST API is guarded by DRF permission classes instead, and
the admin by its own staff check; `tests/portal/test_url_access.py` walks the URLconf to
prove that every URL is covered.
"""

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied

from . import roles


def public(user) -> bool:
    return True


def logged_in(user) -> bool:
    return user.is_authenticated


# The rules by role are the role predicates themselves (portal.roles), under the names
# views read best: @grant_access(reviewer, government).
enterprise_user = roles.is_enterprise_user
reviewer = roles.is_staff_reviewer
government = roles.is_government_viewer
panel_member = roles.is_panel_member
operator = roles.is_operator


def grant_access(*rules):
    """Let a user through when any of `rules` holds."""

    def mark(view):
        view.access_rules = rules
        return view

    return mark


def rules_of(view_func):
    view_class = getattr(view_func, "view_class", None)
    return getattr(view_func, "access_rules", None) or getattr(view_class, "access_rules", None)


def is_exempt(view_func) -> bool:
    """Views guarded elsewhere: DRF (permission classes), admin, and Django's i18n view."""
    module = getattr(view_func, "__module__", "")
    view_class = getattr(view_func, "view_class", None) or getattr(view_func, "cls", None)
    if view_class is not None:
        module = view_class.__module__
        from rest_framework.views import APIView

        if issubclass(view_class, APIView):
            return True
    return module.startswith(("django.contrib.admin", "django.views.i18n", "django.views.static"))


def _in_admin(request) -> bool:
    # Some admin views (UserAdmin's add and password pages, the legacy redirects) are
    # defined outside django.contrib.admin, so their module does not show they are the
    # admin's; the URL namespace does, and every view in it passes the admin's staff check.
    match = getattr(request, "resolver_match", None)
    return match is not None and "admin" in match.app_names


class AccessRuleMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if is_exempt(view_func) or _in_admin(request):
            return None
        rules = rules_of(view_func)
        if not rules:
            raise PermissionDenied("This view declares no access rule.")
        if any(rule(request.user) for rule in rules):
            return None
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        raise PermissionDenied
