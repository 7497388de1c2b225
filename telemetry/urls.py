"""Pages of the telemetry app: the registry (devices, items) and the monitoring side."""

from .views import energy_history, monitoring, registry

app_name = "telemetry"
urlpatterns = [*registry.urlpatterns, *monitoring.urlpatterns, *energy_history.urlpatterns]
