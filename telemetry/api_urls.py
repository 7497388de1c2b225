"""/api/v1/telemetry/...: the device upload protocol, the registry and the monitoring API."""

from .api import energy_history, monitoring, registry, upload

urlpatterns = [
    *upload.urlpatterns,
    *registry.urlpatterns,
    *monitoring.urlpatterns,
    *energy_history.urlpatterns,
]
