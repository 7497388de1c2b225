from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TelemetryConfig(AppConfig):
    name = "telemetry"
    verbose_name = _("数据上传与稳定性试运行")

    def ready(self):
        from portal.models import Stage, register_events
        from portal.stages import ON_STAGE

        from . import dashboards
        from .connection import open_connection
        from .events import EVENTS

        # An approved access application moves the enterprise to the connection stage.
        if open_connection not in ON_STAGE[Stage.CONNECTION]:
            ON_STAGE[Stage.CONNECTION].append(open_connection)

        register_events(EVENTS)
        dashboards.register()
