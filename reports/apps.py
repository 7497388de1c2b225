from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("报告与文书")

    def ready(self):
        from portal.dashboards import NAV_LINKS, REVIEWER_QUEUES, NavLink, WorkQueue
        from portal.models import register_events

        from . import checks, dashboards  # noqa: F401  (checks registers the font check)
        from .events import EVENTS
        from .kinds import register_kind
        from .models import DocumentKind
        from .services import conformance

        register_events(EVENTS)
        register_kind(DocumentKind.CONFORMANCE, conformance.SPEC)
        REVIEWER_QUEUES.extend(
            [
                WorkQueue(
                    _("待出具符合性测试报告"), "reports:conformance_queue", dashboards.trials_due
                ),
                WorkQueue(
                    _("待审核、批准的报告"), "reports:document_list", dashboards.documents_due
                ),
            ]
        )
        NAV_LINKS.append(NavLink(_("报告"), "reports:document_list", dashboards.readers))
