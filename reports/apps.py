from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("报告与文书")

    def ready(self):
        from portal.models import register_events

        from . import checks, dashboards  # noqa: F401  (checks registers the font check)
        from .events import EVENTS
        from .kinds import register_kind
        from .models import DocumentKind
        from .services import conformance

        register_events(EVENTS)
        register_kind(DocumentKind.CONFORMANCE, conformance.SPEC)
        dashboards.register()
