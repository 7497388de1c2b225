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
}
