from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AcceptanceConfig(AppConfig):
    name = "acceptance"
    verbose_name = _("验收与监督")

    def ready(self):
        from portal import access
        from portal.dashboards import (
            ENTERPRISE_PANELS,
            NAV_LINKS,
            PUBLIC_LINKS,
            REVIEWER_QUEUES,
            NavLink,
            Panel,
            WorkQueue,
        )
        from portal.models import register_events
        from portal.permissions import ATTACHMENT_OWNER_SCOPERS, PANEL_ENTERPRISE_SCOPERS

        from . import dashboards, permissions, supervision
        from .events import EVENTS
        from .models import AcceptanceApplication, OnSiteAcceptance

        register_events(EVENTS)
        self.register_documents()
        supervision.register()
        REVIEWER_QUEUES.append(
            WorkQueue(_("待审查的验收申请"), "acceptance:application_list", dashboards.queue_count)
        )
        NAV_LINKS.extend(
            [
                NavLink(_("验收申请"), "acceptance:application_list", dashboards.insider),
                NavLink(_("现场验收"), "acceptance:onsite_list", dashboards.onsite_viewer),
                NavLink(_("年度审核"), "acceptance:audit_list", dashboards.insider),
                NavLink(_("整改通知"), "acceptance:notice_list", dashboards.insider),
            ]
        )
        PUBLIC_LINKS.append(NavLink(_("验收结果与整改公告"), "acceptance:results", access.public))
        ENTERPRISE_PANELS.append(Panel("acceptance/_enterprise_panel.html", dashboards.panel))
        ATTACHMENT_OWNER_SCOPERS[AcceptanceApplication] = permissions.acceptance_files_visible_to
        ATTACHMENT_OWNER_SCOPERS[OnSiteAcceptance] = permissions.onsite_files_visible_to
        if permissions.panel_enterprise_ids not in PANEL_ENTERPRISE_SCOPERS:
            PANEL_ENTERPRISE_SCOPERS.append(permissions.panel_enterprise_ids)

    @staticmethod
    def register_documents():
        """The acceptance report (附件2) and the rectification notice print through the
        reports engine from their frozen content."""
        from reports.kinds import KindSpec, register_kind
        from reports.models import DocumentKind

        register_kind(
            DocumentKind.ACCEPTANCE,
            KindSpec(
                template="acceptance/pdf/acceptance_report.html",
                sign_reason="湖北省计量测试技术研究院出具验收报告",
            ),
        )
        register_kind(
            DocumentKind.RECTIFICATION,
            KindSpec(
                template="acceptance/pdf/rectification_notice.html",
                number_label="通知编号",
                sign_reason="湖北省计量测试技术研究院下达整改通知",
            ),
        )
