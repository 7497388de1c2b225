"""Audit event names of this app (past-tense facts) with their labels."""

from django.utils.translation import gettext_lazy as _

EVENTS = {
    "document_drafted": _("起草文书"),
    "document_compiled": _("文书编制完成"),
    "document_reviewed": _("文书审核完成"),
    "document_sent_back": _("文书退回修改"),
    "document_issued": _("文书批准出具"),
    "document_withdrawn": _("文书草稿作废"),
    "document_revoked": _("撤销已出具文书"),
    "document_rendered": _("生成文书 PDF"),
    "document_render_failed": _("文书 PDF 生成失败"),
    "conformance_report_issued": _("出具符合性测试报告"),
    "conformance_report_revoked": _("撤销符合性测试报告"),
}
