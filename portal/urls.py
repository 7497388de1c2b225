from csp.constants import SELF, UNSAFE_INLINE
from csp.decorators import csp_replace
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.i18n import set_language
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from . import api
from .access import grant_access, logged_in, public
from .views import dashboards, enterprises, exports, files, lockouts, notifications
from .views import public as public_views

# JSON only: no `.json` suffix routes (their actions would not take the format argument).
router = DefaultRouter()
router.include_format_suffixes = False
router.register("enterprises", api.EnterpriseViewSet, basename="enterprise")
router.register("memberships", api.MembershipViewSet, basename="membership")
router.register("notifications", api.NotificationViewSet, basename="notification")


def auth_view(view_class, rule=public, **kwargs):
    return grant_access(rule)(view_class.as_view(**kwargs))


accounts = [
    path("login/", auth_view(auth_views.LoginView, redirect_authenticated_user=True), name="login"),
    path("logout/", auth_view(auth_views.LogoutView), name="logout"),
    path(
        "password/change/",
        auth_view(auth_views.PasswordChangeView, logged_in),
        name="password_change",
    ),
    path(
        "password/change/done/",
        auth_view(auth_views.PasswordChangeDoneView, logged_in),
        name="password_change_done",
    ),
    path("password/reset/", auth_view(auth_views.PasswordResetView), name="password_reset"),
    path(
        "password/reset/sent/",
        auth_view(auth_views.PasswordResetDoneView),
        name="password_reset_done",
    ),
    path(
        "password/reset/<uidb64>/<token>/",
        auth_view(auth_views.PasswordResetConfirmView),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/done/",
        auth_view(auth_views.PasswordResetCompleteView),
        name="password_reset_complete",
    ),
    path("register/", public_views.register, name="register"),
]

api_v1 = [
    # Device uploads are by far the most frequent requests; patterns are tried in order, so
    # the telemetry API comes first (no other pattern here starts with "telemetry/").
    path("", include("telemetry.api_urls")),
    path("me/", api.MeView.as_view(), name="api_me"),
    path("auth/token/", api.ObtainTokenView.as_view(), name="api_token"),
    path("", include("applications.api_urls")),
    path("", include("reports.api_urls")),
    path("", include("acceptance.api_urls")),
    path("", include(router.urls)),
]

urlpatterns = [
    path("api/v1/", include(api_v1)),  # first, for the same reason
    path("", public_views.home, name="home"),
    path("accounts/", include(accounts)),
    path("i18n/setlang/", set_language, name="set_language"),
    path("dashboard/", dashboards.dashboard, name="dashboard"),
    path("enterprises/", enterprises.enterprise_list, name="enterprise_list"),
    path("enterprises.<str:fmt>", exports.enterprises_export, name="enterprises_export"),
    path("enterprises/registrations/", enterprises.registration_queue, name="registration_queue"),
    path("enterprises/<int:pk>/", enterprises.enterprise_detail, name="enterprise_detail"),
    path("enterprises/<int:pk>/edit/", enterprises.enterprise_edit, name="enterprise_edit"),
    path(
        "enterprises/<int:pk>/approve/",
        enterprises.enterprise_decide,
        {"decision": "approve"},
        name="enterprise_approve",
    ),
    path(
        "enterprises/<int:pk>/reject/",
        enterprises.enterprise_decide,
        {"decision": "reject"},
        name="enterprise_reject",
    ),
    path(
        "enterprises/<int:pk>/overturn/",
        enterprises.enterprise_decide,
        {"decision": "overturn"},
        name="enterprise_overturn",
    ),
    path("files/<int:pk>/", files.attachment_download, name="attachment_download"),
    path("security/lockouts/", lockouts.lockout_list, name="lockout_list"),
    path("security/lockouts/<int:pk>/lift/", lockouts.lockout_lift, name="lockout_lift"),
    path("inbox/", notifications.inbox, name="inbox"),
    path("inbox/<int:pk>/read/", notifications.mark_read, name="notification_read"),
    path("inbox/read-all/", notifications.mark_all_read, name="notifications_read_all"),
    path("applications/", include("applications.urls")),
    path("telemetry/", include("telemetry.urls")),
    path("reports/", include("reports.urls")),
    path("", include("reports.verify_urls")),
    path("acceptance/", include("acceptance.urls")),
    path("api/schema/", SpectacularAPIView.as_view(permission_classes=[]), name="api_schema"),
    path(
        "api/docs/",
        SpectacularSwaggerView.as_view(
            url_name="api_schema", permission_classes=[], template_name="portal/swagger_ui.html"
        ),
        name="api_docs",
    ),
    path(
        "api/redoc/",
        # Redoc styles itself with <style> elements it creates at run time (no nonce) and
        # parses the schema in a worker started from a blob: URL.
        csp_replace({"style-src": [SELF, UNSAFE_INLINE], "worker-src": [SELF, "blob:"]})(
            SpectacularRedocView.as_view(
                url_name="api_schema", permission_classes=[], template_name="portal/redoc.html"
            )
        ),
        name="api_redoc",
    ),
    path("admin/", admin.site.urls),
]
