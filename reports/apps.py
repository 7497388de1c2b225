from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("报告与文书")

    def ready(self):
        from portal.models import register_events

        from . import dashboards
        from .events import EVENTS

        register_events(EVENTS)
        dashboards.register()
