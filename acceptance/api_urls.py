from django.urls import include, path
from rest_framework.routers import DefaultRouter

from . import api

router = DefaultRouter()
# JSON only: no `.json` suffix routes (their actions would not take the format argument).
router.include_format_suffixes = False
router.register(
    "acceptance-applications", api.AcceptanceApplicationViewSet, basename="acceptance-application"
)

router.register("onsite-acceptances", api.OnSiteViewSet, basename="onsite-acceptance")
router.register("acceptance-reports", api.AcceptanceReportViewSet, basename="acceptance-report")

urlpatterns = [path("", include(router.urls))]
