"""Pages of the telemetry app: the registry (devices, items) and the monitoring side."""

from django.urls import path

from .views import (
    analysis,
    corrections,
    energy_history,
    exports,
    item_changes,
    monitoring,
    registry,
    relay,
)

app_name = "telemetry"

urlpatterns = [
    # Registry: end devices and data items
    path("registry/", registry.registry_home, name="registry_home"),
    path("registry/<int:enterprise_pk>/", registry.enterprise_registry, name="enterprise_registry"),
    path("registry/<int:enterprise_pk>/devices/new/", registry.device_create, name="device_create"),
    path("registry/<int:enterprise_pk>/items/new/", registry.item_create, name="item_create"),
    path("registry/<int:enterprise_pk>/items/import/", registry.item_import, name="item_import"),
    path(
        "registry/<int:enterprise_pk>/items/export.xlsx",
        registry.item_export,
        {"fmt": "xlsx"},
        name="item_export_xlsx",
    ),
    path(
        "registry/<int:enterprise_pk>/items/export.csv",
        registry.item_export,
        {"fmt": "csv"},
        name="item_export_csv",
    ),
    path("devices/<int:pk>/", registry.device_detail, name="device_detail"),
    path("devices/<int:pk>/edit/", registry.device_edit, name="device_edit"),
    path("items/<int:pk>/", registry.item_detail, name="item_detail"),
    path("items/<int:pk>/edit/", registry.item_edit, name="item_edit"),
    # Item changes during a trial (waiting for a reviewer)
    path("item-changes/", item_changes.item_change_list, name="item_change_list"),
    path("item-changes/<int:pk>/", item_changes.item_change_detail, name="item_change_detail"),
    path(
        "item-changes/<int:pk>/approve/",
        item_changes.item_change_approve,
        name="item_change_approve",
    ),
    path(
        "item-changes/<int:pk>/reject/", item_changes.item_change_reject, name="item_change_reject"
    ),
    # Monitoring: filings, outages, upload health, trials, the region
    path("filings/", monitoring.filing_list, name="filing_list"),
    path("outages/", monitoring.outage_list, name="outage_list"),
    path("outages/<int:pk>/resolve/", monitoring.outage_resolve, name="outage_resolve"),
    path("relay/", relay.relay_flags, name="relay_flags"),
    path(
        "relay/<int:pk>/explain/",
        relay.relay_flag_decide,
        {"decision": "explain"},
        name="relay_flag_explain",
    ),
    path(
        "relay/<int:pk>/confirm/",
        relay.relay_flag_decide,
        {"decision": "confirm"},
        name="relay_flag_confirm",
    ),
    path("monitoring/", monitoring.my_monitoring, name="monitoring"),
    path("monitoring/<int:pk>/", monitoring.enterprise_monitoring, name="enterprise_monitoring"),
    path("monitoring/<int:pk>/live/", monitoring.monitoring_live, name="monitoring_live"),
    path("monitoring/<int:pk>/gaps/", monitoring.enterprise_gaps, name="enterprise_gaps"),
    path(
        "monitoring/<int:pk>/corrections/",
        corrections.enterprise_corrections,
        name="enterprise_corrections",
    ),
    path("trials/", monitoring.trial_board, name="trial_board"),
    path("trials.<str:fmt>", exports.trials_export, name="trials_export"),
    path("trials/<int:pk>/", monitoring.trial_detail, name="trial_detail"),
    path(
        "connections/<int:pk>/stop-trial/",
        monitoring.stop_trial_view,
        name="stop_trial",
    ),
    path(
        "connections/<int:pk>/restart-trial/",
        monitoring.restart_trial_view,
        name="restart_trial",
    ),
    path("region/", monitoring.region_health, name="region_health"),
    # 能耗数据分析: the uploaded energy values
    path("analysis/", analysis.analysis_home, name="analysis_home"),
    path("analysis/<int:pk>/", analysis.enterprise_analysis, name="enterprise_analysis"),
    # Historical energy data
    path("history/<int:enterprise_pk>/", energy_history.history_page, name="history"),
    path(
        "history/<int:enterprise_pk>/template.xlsx",
        energy_history.history_template,
        name="history_template",
    ),
    path("history/imports/<int:pk>/", energy_history.history_import, name="history_import"),
]
