from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TelemetryConfig(AppConfig):
    name = "telemetry"
    verbose_name = _("数据上传与稳定性试运行")

    def ready(self):
        from portal import access
        from portal.dashboards import NAV_LINKS, NavLink
        from portal.models import Stage, register_events
        from portal.stages import ON_STAGE

        from .connection import open_connection

        # An approved access application moves the enterprise to the connection stage.
        if open_connection not in ON_STAGE[Stage.CONNECTION]:
            ON_STAGE[Stage.CONNECTION].append(open_connection)

        # --- Registry and ingestion (devices, items, uploads) -----------------------------
        register_events(
            {
                "integration_started": _("开始对接测试（首次上传）"),
                "first_reading_recorded": _("收到首条有效数据，开始稳定上传试运行"),
                "device_registered": _("登记端设备"),
                "device_updated": _("修改端设备"),
                "item_registered": _("登记数据采集项"),
                "item_updated": _("修改数据采集项"),
                "items_imported": _("导入数据采集项"),
            }
        )
        NAV_LINKS.append(
            NavLink(
                _("端设备与采集项"),
                "telemetry:registry_home",
                lambda user: (
                    access.enterprise_user(user) or access.reviewer(user) or access.government(user)
                ),
            )
        )

        # --- Monitoring (trials, gaps, alarms, filing) ------------------------------------
        from . import trial  # noqa: F401  (registers the trial events)
        from .dashboards import register as register_monitoring

        register_monitoring()
