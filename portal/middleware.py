from django.conf import settings
from django.http import HttpResponseBadRequest, JsonResponse
from django.utils.translation import gettext as _


class ChineseFirstMiddleware:
    """Serve Chinese unless the user chose English with the language switch.

    Django would otherwise follow the browser's Accept-Language, and an English-language
    browser on a government intranet would get an English portal nobody asked for. The
    switch sets the language cookie, which LocaleMiddleware still honours.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)


class RefuseNulMiddleware:
    """Answer 400 to a NUL byte in the path or the query string.

    PostgreSQL cannot store or compare a string with NUL in it, so a NUL in a lookup or a
    search would otherwise surface as a 500. Form and serializer fields already refuse NUL
    in posted values (Django's and DRF's CharField validators).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        query = request.META.get("QUERY_STRING", "")
        if "\x00" in request.path or "%00" in query or "\x00" in query:
            reason = _("请求地址或查询参数中含有空字符（NUL）。")
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {"detail": reason, "errors": [{"field": "query", "reason": reason}]},
                    status=400,
                )
            return HttpResponseBadRequest(reason)
        return self.get_response(request)


class PortalErrorPagesMiddleware:
    """Show the portal's own 404 and 403 pages when DEBUG is on (the demo).

    With DEBUG off Django already renders templates/404.html and 403.html; with it on it
    shows its technical page, which tells a demo audience about URL patterns instead of
    what happened. Exceptions raised by views keep their message (403.html shows it); a
    path no URL matches is answered by the 404 page too. API answers (JSON) are left alone.
    """

    DEBUG_MARKER = b"DEBUG = True"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.conf import settings
        from django.views import defaults

        response = self.get_response(request)
        if (
            settings.DEBUG
            and response.status_code in (403, 404)
            and response.get("Content-Type", "").startswith("text/html")
            and not getattr(response, "streaming", False)
            and self.DEBUG_MARKER in response.content
        ):
            from django.core.exceptions import PermissionDenied
            from django.http import Http404

            if response.status_code == 404:
                return defaults.page_not_found(request, Http404())
            return defaults.permission_denied(request, PermissionDenied())
        return response

    def process_exception(self, request, exception):
        from django.conf import settings
        from django.core.exceptions import PermissionDenied
        from django.http import Http404
        from django.views import defaults

        if not settings.DEBUG or request.path.startswith("/api/"):
            return None
        if isinstance(exception, Http404):
            return defaults.page_not_found(request, exception)
        if isinstance(exception, PermissionDenied):
            return defaults.permission_denied(request, exception)
        return None


class BrowserPolicyMiddleware:
    """Permissions-Policy from settings.PERMISSIONS_POLICY ({feature: [allowed origins]}).

    SecurityMiddleware already sends Referrer-Policy (SECURE_REFERRER_POLICY) and
    Cross-Origin-Opener-Policy (SECURE_CROSS_ORIGIN_OPENER_POLICY); django-csp sends the
    Content-Security-Policy. A view that set its own header keeps it.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.header = ", ".join(
            f"{feature}=({' '.join(origins)})"
            for feature, origins in getattr(settings, "PERMISSIONS_POLICY", {}).items()
        )

    def __call__(self, request):
        response = self.get_response(request)
        if self.header:
            response.headers.setdefault("Permissions-Policy", self.header)
        return response
