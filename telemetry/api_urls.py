"""/api/v1/telemetry/...: the device upload protocol, the registry and the monitoring API."""

from .api import history, monitoring, registry, upload

urlpatterns = [
    *upload.urlpatterns,
    *registry.urlpatterns,
    *monitoring.urlpatterns,
    *history.urlpatterns,
]
