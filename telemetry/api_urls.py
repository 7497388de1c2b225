"""/api/v1/telemetry/...: the device upload protocol, the registry and the monitoring API."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from .api import analysis, energy_history, item_changes, monitoring, registry, upload

router = SimpleRouter()
router.register("telemetry/devices", registry.DeviceViewSet, basename="telemetry-device")
router.register("telemetry/items", registry.ItemViewSet, basename="telemetry-item")
router.register(
    "telemetry/item-changes", item_changes.ItemChangeViewSet, basename="telemetry-item-change"
)

urlpatterns = [
    # Device uploads come first: they are by far the most frequent requests.
    path("telemetry/uploads", upload.UploadView.as_view(), name="telemetry_upload"),
    path(
        "telemetry/uploads/<str:message_id>",
        upload.ReceiptView.as_view(),
        name="telemetry_upload_receipt",
    ),
    path("", include(router.urls)),
    path("telemetry/gaps", monitoring.DeviceGapsView.as_view(), name="telemetry-gaps"),
    path("telemetry/trials", monitoring.TrialListView.as_view(), name="telemetry-trials"),
    path("telemetry/trials/<int:pk>", monitoring.TrialDetailView.as_view(), name="telemetry-trial"),
    path(
        "telemetry/connections/<int:pk>/stop-trial",
        monitoring.StopTrialView.as_view(),
        name="telemetry-stop-trial",
    ),
    path(
        "telemetry/connections/<int:pk>/restart-trial",
        monitoring.RestartTrialView.as_view(),
        name="telemetry-restart-trial",
    ),
    path(
        "telemetry/analysis/<int:enterprise_id>/series",
        analysis.EnergySeriesView.as_view(),
        name="telemetry-energy-series",
    ),
    path(
        "telemetry/energy-structure/<int:enterprise_id>",
        energy_history.EnergyStructureView.as_view(),
        name="telemetry-energy-structure",
    ),
]
