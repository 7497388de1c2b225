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
        from .events import EVENTS

        # An approved access application moves the enterprise to the connection stage.
        if open_connection not in ON_STAGE[Stage.CONNECTION]:
            ON_STAGE[Stage.CONNECTION].append(open_connection)

        register_events(EVENTS)
        NAV_LINKS.append(
            NavLink(
                _("端设备与采集项"),
                "telemetry:registry_home",
                lambda user: (
                    access.enterprise_user(user) or access.reviewer(user) or access.government(user)
                ),
            )
        )

        from .dashboards import register as register_monitoring

        register_monitoring()
