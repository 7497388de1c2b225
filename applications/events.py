"""Audit event names of this app (past-tense facts) with their labels."""

from django.utils.translation import gettext_lazy as _

EVENTS = {
    "scheme_drafted": _("编制设计方案"),
    "scheme_updated": _("修改设计方案"),
    "scheme_sent": _("设计方案发送企业"),
    "scheme_confirmed_by_enterprise": _("用能单位确认设计方案"),
    "scheme_changes_requested": _("用能单位要求修改设计方案"),
    "scheme_confirmed_by_institute": _("省计量院确认设计方案"),
    "scheme_confirmed_by_developer": _("省平台开发单位确认设计方案"),
    "scheme_finalised": _("设计方案定稿"),
    "change_recorded": _("登记设计方案变更"),
    "change_confirmed": _("确认设计方案变更"),
    "change_rejected": _("不予确认设计方案变更"),
    "application_created": _("创建对接申请"),
    "application_updated": _("修改对接申请"),
    "material_removed": _("删除申报材料"),
    "application_submitted": _("提交对接申请"),
    "application_review_started": _("开始审核对接申请"),
    "application_returned": _("对接申请退回修改"),
    "application_rejected": _("对接申请不予通过"),
    "application_approved": _("对接申请审核通过"),
    "ca_initialised": _("初始化 CA 根证书"),
    "certificate_issued": _("签发端设备证书"),
    "certificate_revoked": _("吊销端设备证书"),
    "certificate_expiry_warned": _("证书即将到期提醒"),
    "vpn_account_created": _("开通 VPN 账号"),
    "vpn_password_set": _("设置 VPN 口令"),
    "vpn_account_disabled": _("停用 VPN 账号"),
    "vpn_account_enabled": _("启用 VPN 账号"),
    "integration_pack_sent": _("发送 CA 证书集成及数据对接资料"),
}
