"""Audit event names of this app (past-tense facts) with their labels."""

from django.utils.translation import gettext_lazy as _

EVENTS = {
    "acceptance_created": _("创建验收申请"),
    "acceptance_updated": _("修改验收申请"),
    "acceptance_material_removed": _("删除验收申请材料"),
    "acceptance_submitted": _("提交验收申请"),
    "acceptance_review_started": _("开始审查验收申请材料"),
    "acceptance_returned": _("验收申请退回补正"),
    "acceptance_accepted": _("验收申请材料审查通过"),
    "onsite_proposed": _("企业提议现场验收安排"),
    "onsite_updated": _("修改现场验收安排"),
    "onsite_panel_named": _("确定验收小组成员"),
    "onsite_confirmed": _("确认现场验收安排"),
    "onsite_rescheduled": _("现场验收改期"),
    "onsite_conflict_declared": _("验收小组成员声明无利益冲突"),
    "onsite_steps_recorded": _("记录现场验收环节"),
    "onsite_comparison_added": _("记录现场比对读数"),
    "onsite_recorded": _("现场验收记录完成"),
    "report_drafted": _("起草验收报告"),
    "report_updated": _("修改验收报告"),
    "report_put_for_signature": _("验收报告提交签字"),
    "report_signatures_voided": _("验收报告修改，已有签字作废"),
    "report_signed": _("验收报告签字"),
    "report_fully_signed": _("验收报告五方签字齐全"),
    "report_issued": _("出具验收报告"),
    "acceptance_passed": _("验收合格"),
    "acceptance_failed": _("验收不合格"),
    "notice_acknowledged": _("企业签收整改通知"),
}
