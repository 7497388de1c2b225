"""The demo (DEBUG on) shows the portal's own 404 and 403 pages, not Django's debug page;
the error summary and select labels every form page shares."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.test import RequestFactory

from portal.middleware import PortalErrorPagesMiddleware


def test_an_unknown_address_under_debug_shows_the_portals_404(client, settings):
    settings.DEBUG = True
    response = client.get("/no-such-page/")

    page = response.content.decode()
    assert response.status_code == 404
    assert "页面不存在" in page and "DEBUG = True" not in page


def test_an_out_of_scope_object_under_debug_shows_the_portals_404(client_for, member, settings):
    settings.DEBUG = True
    response = client_for(member).get("/applications/access/999999/")

    assert response.status_code == 404
    assert "页面不存在" in response.content.decode()


def test_view_exceptions_keep_their_status_and_403_its_message(settings, db):
    settings.DEBUG = True
    middleware = PortalErrorPagesMiddleware(lambda request: None)
    request = RequestFactory().get("/x/")
    from django.contrib.auth.models import AnonymousUser

    request.user = AnonymousUser()
    assert middleware.process_exception(request, Http404("detail")).status_code == 404
    refused = middleware.process_exception(request, PermissionDenied("企业尚未通过注册审核"))
    assert refused.status_code == 403 and "企业尚未通过注册审核" in refused.content.decode()
    api = RequestFactory().get("/api/v1/x/")
    assert middleware.process_exception(api, Http404()) is None


def test_without_debug_the_middleware_stays_out_of_the_way(settings):
    settings.DEBUG = False
    middleware = PortalErrorPagesMiddleware(lambda request: None)
    assert middleware.process_exception(RequestFactory().get("/x/"), Http404()) is None
