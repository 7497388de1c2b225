"""Deny by default: every URL declares who may open it, and a view without a rule is refused."""

import pytest
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.permissions import AllowAny

from portal.access import AccessRuleMiddleware, grant_access, is_exempt, logged_in, rules_of

# DRF endpoints without a DRF permission, each for a reason. Keep this list short: every
# entry is a door without the usual lock, so each says what guards it instead.
PUBLIC_API = {
    # The OpenAPI schema and its two viewers describe the interface, not anyone's data, and
    # device makers read them before they have an account.
    "api/schema/": "interface description",
    "api/docs/": "interface description",
    "api/redoc/": "interface description",
    # Trading a username and password for a token must work before one is logged in.
    "api/v1/auth/token/": "login",
    # The CA's root certificate and revocation list: devices and TLS peers fetch them
    # without an account, and they are public by nature.
    "api/v1/pki/ca.pem": "public CA certificate",
    "api/v1/pki/crl": "public revocation list",
}
# End-device endpoints: the device proves itself by a signature with its portal-issued
# certificate (telemetry.auth), checked inside the view, so DRF's user permission is off.
DEVICE_SIGNED_API = {
    "api/v1/telemetry/uploads": "POST",
    "api/v1/telemetry/uploads/<str:message_id>": "GET",
    "api/v1/telemetry/gaps": "GET",
}


def walk(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.callback


ALL_URLS = list(walk(get_resolver().url_patterns))


def drf_view_class(callback):
    return getattr(callback, "cls", None)


def is_admin(path):
    return path.startswith("admin/")


def test_the_walk_finds_the_portal_urls():
    paths = {path for path, _ in ALL_URLS}
    assert {"dashboard/", "enterprises/<int:pk>/", "files/<int:pk>/", "api/schema/"} <= paths
    assert any(path.startswith("admin/") for path in paths)


@pytest.mark.parametrize(
    ("path", "callback"),
    [(p, c) for p, c in ALL_URLS if not is_admin(p) and drf_view_class(c) is None],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_every_page_declares_an_access_rule(path, callback):
    assert rules_of(callback) or is_exempt(callback), f"{path} has no access rule"


def permission_classes_of(callback):
    view_class = drf_view_class(callback)
    initkwargs = getattr(callback, "initkwargs", {}) or {}
    return list(initkwargs.get("permission_classes", view_class.permission_classes))


@pytest.mark.parametrize(
    ("path", "callback"),
    [(p, c) for p, c in ALL_URLS if drf_view_class(c) is not None],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_every_api_endpoint_needs_a_permission_unless_allow_listed(path, callback):
    if path in PUBLIC_API or path in DEVICE_SIGNED_API:
        return
    classes = permission_classes_of(callback)
    assert classes, f"{path} has no permission classes"
    assert AllowAny not in classes, f"{path} allows anyone"


def test_the_allow_lists_name_only_existing_urls():
    paths = {path for path, _ in ALL_URLS}
    assert paths >= set(PUBLIC_API) | set(DEVICE_SIGNED_API)


@pytest.mark.parametrize(("path", "method"), DEVICE_SIGNED_API.items())
def test_device_endpoints_refuse_an_unsigned_call(path, method, client, enterprise):
    url = "/" + path.replace("<str:message_id>", "batch-1")
    response = client.generic(method, url, b"{}", content_type="application/json")
    assert response.status_code == 401


@grant_access()
def view_with_an_empty_rule(request):
    return HttpResponse("should never be seen")


def view_without_a_rule(request):
    return HttpResponse("should never be seen")


@grant_access(logged_in)
def view_for_logged_in_users(request):
    return HttpResponse("ok")


@pytest.mark.parametrize("view", [view_without_a_rule, view_with_an_empty_rule])
def test_a_view_without_a_rule_is_refused_even_to_an_operator(view, operator):
    request = RequestFactory().get("/somewhere/")
    request.user = operator
    with pytest.raises(PermissionDenied):
        AccessRuleMiddleware(lambda r: None).process_view(request, view, (), {})


def test_a_view_with_a_rule_lets_the_right_user_through(member):
    request = RequestFactory().get("/somewhere/")
    request.user = member
    middleware = AccessRuleMiddleware(lambda r: None)
    assert middleware.process_view(request, view_for_logged_in_users, (), {}) is None


def test_a_view_with_a_rule_sends_anonymous_users_to_the_login():
    from django.contrib.auth.models import AnonymousUser

    request = RequestFactory().get("/somewhere/")
    request.user = AnonymousUser()
    response = AccessRuleMiddleware(lambda r: None).process_view(
        request, view_for_logged_in_users, (), {}
    )
    assert response.status_code == 302
    assert "/accounts/login/?next=/somewhere/" in response["Location"]


def test_a_logged_in_user_failing_the_rule_gets_403(member, client_for):
    # The enterprise list is for reviewers and government viewers only.
    assert client_for(member).get("/enterprises/").status_code == 403


@pytest.mark.parametrize(
    "url",
    [
        "/admin/",
        "/admin/portal/user/",
        "/admin/portal/user/add/",
        "/admin/portal/user/{operator}/password/",
        "/admin/portal/enterprise/",
    ],
)
def test_the_admin_stays_open_to_operators(url, operator, client_for):
    # The admin guards itself (staff check); the access middleware must not block its views.
    response = client_for(operator).get(url.format(operator=operator.pk))
    assert response.status_code == 200


def test_the_admin_refuses_non_staff(member, client_for):
    response = client_for(member).get("/admin/portal/user/add/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
