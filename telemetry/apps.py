from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TelemetryConfig(AppConfig):
    name = "telemetry"
    verbose_name = _("数据上传与稳定性试运行")

    def ready(self):
        from portal.models import Stage, register_events
        from portal.sentences import register_renderer
        from portal.stages import ON_STAGE

        from . import dashboards, registered, texts
        from .events import EVENTS
        from .services.connection import open_connection

        # An approved access application moves the enterprise to the connection stage.
        if open_connection not in ON_STAGE[Stage.CONNECTION]:
            ON_STAGE[Stage.CONNECTION].append(open_connection)

        register_events(EVENTS)
        # The access application's consistency panel counts registered items and devices.
        registered.register()
        dashboards.register()
        # Alarm details and trial reasons in notifications, in the reader's language.
        register_renderer("telemetry", texts.render)
