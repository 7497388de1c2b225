from django.urls import include, path
from rest_framework.routers import DefaultRouter

from . import api

# JSON only: no `.json` suffix routes (their actions would not take the format argument).
router = DefaultRouter()
# JSON only: no `.json` suffix routes (their actions would not take the format argument).
router.include_format_suffixes = False
router.register("design-schemes", api.DesignSchemeViewSet, basename="design-scheme")
router.register("change-records", api.ChangeRecordViewSet, basename="change-record")
router.register("access-applications", api.AccessApplicationViewSet, basename="access-application")
router.register("certificates", api.DeviceCertificateViewSet, basename="device-certificate")
router.register("meters", api.MeterViewSet, basename="meter")
router.register("vpn-accounts", api.VpnAccountViewSet, basename="vpn-account")

urlpatterns = [
    path("pki/ca.pem", api.CaCertificateView.as_view(), name="api_ca_certificate"),
    path("pki/crl", api.CrlView.as_view(), name="api_crl"),
    path("", include(router.urls)),
]
