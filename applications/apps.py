from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApplicationsConfig(AppConfig):
    name = "applications"
    verbose_name = _("设计方案与对接申请")

    def ready(self):
        from portal import access
        from portal.dashboards import (
            ENTERPRISE_PANELS,
            NAV_LINKS,
            OPERATOR_QUEUES,
            REVIEWER_QUEUES,
            NavLink,
            Panel,
            WorkQueue,
        )
        from portal.models import register_events

        from . import dashboards
        from .events import EVENTS

        register_events(EVENTS)
        REVIEWER_QUEUES.extend(
            [
                WorkQueue(
                    _("待确认的设计方案"),
                    "applications:scheme_queue",
                    dashboards.schemes_due,
                    rule=access.reviewer,
                ),
                WorkQueue(
                    _("待审核的对接申请"), "applications:application_list", dashboards.queue_count
                ),
            ]
        )
        OPERATOR_QUEUES.append(
            WorkQueue(
                _("待省平台开发单位确认的设计方案"),
                "applications:scheme_queue",
                dashboards.schemes_awaiting_developer,
            )
        )
        NAV_LINKS.extend(
            [
                NavLink(_("设计方案"), "applications:scheme_list", dashboards.insider),
                NavLink(_("对接申请"), "applications:application_list", dashboards.insider),
                NavLink(_("证书与VPN"), "applications:my_credentials", access.enterprise_user),
                NavLink(_("证书管理"), "applications:certificate_list", access.reviewer),
                NavLink(_("计量器具台账"), "applications:meter_index", dashboards.ledger_reader),
            ]
        )
        ENTERPRISE_PANELS.append(Panel("applications/_enterprise_panel.html", dashboards.panel))
        self.scope_attachments()

    @staticmethod
    def scope_attachments():
        """Files of schemes, change records and applications are seen with their record."""
        from portal.permissions import ATTACHMENT_OWNER_SCOPERS

        from . import permissions
        from .models import AccessApplication, ChangeRecord, DesignScheme, SchemeFeedback

        ATTACHMENT_OWNER_SCOPERS.update(
            {
                DesignScheme: permissions.design_schemes_visible_to,
                ChangeRecord: permissions.change_records_visible_to,
                SchemeFeedback: permissions.feedback_visible_to,
                AccessApplication: permissions.access_applications_visible_to,
            }
        )
