"""Audit event names of this app (past-tense facts) with their labels."""

from django.utils.translation import gettext_lazy as _

EVENTS = {
    # Registry and ingestion (devices, items, uploads)
    "integration_started": _("开始对接测试（首次上传）"),
    "first_reading_recorded": _("收到首条有效数据，开始稳定上传试运行"),
    "device_registered": _("登记端设备"),
    "device_updated": _("修改端设备"),
    "item_registered": _("登记数据采集项"),
    "item_updated": _("修改数据采集项"),
    "items_imported": _("导入数据采集项"),
    "item_coefficients_corrected": _("按能源品种字典更正折标系数（原为默认值 1）"),
    # Item changes during a trial (telemetry.services.item_changes)
    "item_change_requested": _("申请变更数据采集项（试运行期间）"),
    "item_change_approved": _("批准数据采集项变更"),
    "item_change_rejected": _("驳回数据采集项变更"),
    "item_change_applied": _("数据采集项变更生效"),
    # The stable-upload trial
    "trial_passed": _("稳定上传试运行通过"),
    "trial_failed": _("稳定上传试运行未通过"),
    "trial_restarted": _("重新开始稳定上传试运行"),
    "trial_overdue": _("稳定上传试运行超期，提请审核人员关注"),
    "trial_stopped": _("审核人员停止稳定上传试运行"),
    # Monthly filing and outage notices
    "monthly_filed": _("月报填报"),
    "monthly_corrected": _("月报修订"),
    "outage_reported": _("停运报备"),
    "outage_resolved": _("停运恢复"),
    # Historical energy data
    "energy_history_imported": _("导入历史能耗数据"),
    "energy_history_superseded": _("历史能耗数据被新导入替代"),
}
