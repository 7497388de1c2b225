"""Design schemes, access applications and credentials in the operator's admin.

Read-only (``portal.admin.ServiceMadeAdmin``): these records are made by the services, and
their states are FSM fields. The operator revokes certificates and disables or enables VPN
accounts through actions that call the same services as the credentials pages. Keys and
password hashes are never shown.
"""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from portal.admin import (
    CommentActionForm,
    EnterpriseRecordAdmin,
    ServiceMadeAdmin,
    apply_service,
)

from .models import (
    AccessApplication,
    ApplicationSubmission,
    ApplicationVerdict,
    ChangeRecord,
    DesignScheme,
    DeviceCertificate,
    DocumentSigningCertificate,
    Meter,
    RevocationReason,
    RootCertificate,
    SiteSurvey,
    VpnAccount,
)
from .services.certificates import revoke_certificate
from .services.vpn import set_vpn_active


@admin.register(DesignScheme)
class DesignSchemeAdmin(EnterpriseRecordAdmin):
    list_display = ("number", "enterprise", "state", "revision", "created_at", "finalised_at")
    list_filter = ("state",)
    search_fields = ("number",)
    date_hierarchy = "created_at"


@admin.register(ChangeRecord)
class ChangeRecordAdmin(ServiceMadeAdmin):
    list_display = ("scheme", "changed_on", "unit", "state", "created_at", "decided_at")
    list_filter = ("state",)
    search_fields = ("scheme__number", "unit", "content")
    list_select_related = ("scheme",)


@admin.register(Meter)
class MeterAdmin(EnterpriseRecordAdmin):
    """计量器具台账 rows (kept by the enterprises on their ledger pages)."""

    list_display = (
        "management_number",
        "name",
        "enterprise",
        "energy_type",
        "metering_level",
        "accuracy_class",
        "valid_until",
    )
    list_filter = ("metering_level", "energy_type")
    search_fields = ("management_number", "name", "certificate_number")


@admin.register(SiteSurvey)
class SiteSurveyAdmin(ServiceMadeAdmin):
    list_display = ("scheme", "surveyed_on", "surveyors")
    search_fields = ("scheme__number", "surveyors")
    list_select_related = ("scheme",)


@admin.register(ApplicationVerdict)
class ApplicationVerdictAdmin(ServiceMadeAdmin):
    list_display = ("application", "material", "verdict", "submitted_at", "decided_by")
    list_filter = ("verdict",)
    list_select_related = ("application", "decided_by")


@admin.register(ApplicationSubmission)
class ApplicationSubmissionAdmin(ServiceMadeAdmin):
    list_display = ("application", "number", "submitted_at")
    list_select_related = ("application",)


@admin.register(AccessApplication)
class AccessApplicationAdmin(ServiceMadeAdmin):
    list_display = (
        "applicant_name",
        "uscc",
        "state",
        "device_serial",
        "submitted_at",
        "reviewer",
        "reviewed_at",
    )
    list_filter = ("state",)
    search_fields = ("applicant_name", "uscc", "device_serial")
    list_select_related = ("reviewer",)


class RevokeActionForm(CommentActionForm):
    reason = forms.ChoiceField(label=_("吊销原因"), choices=RevocationReason.choices)


@admin.register(DeviceCertificate)
class DeviceCertificateAdmin(EnterpriseRecordAdmin):
    list_display = (
        "serial_hex",
        "device_serial",
        "enterprise",
        "origin",
        "not_after",
        "revoked_at",
        "revocation_reason",
    )
    list_filter = ("origin", "revocation_reason")
    search_fields = ("serial_hex", "device_serial")
    action_form = RevokeActionForm
    actions = ["revoke"]

    @admin.action(description=_("吊销端设备证书"))
    def revoke(self, request, queryset):
        reason = request.POST.get("reason", "")
        comment = request.POST.get("comment", "")
        apply_service(
            self,
            request,
            queryset,
            lambda cert: revoke_certificate(cert, request.user, reason, comment),
            _("证书已吊销，证书吊销列表已更新。"),
        )


@admin.register(RootCertificate)
class RootCertificateAdmin(ServiceMadeAdmin):
    list_display = ("fingerprint", "not_after", "is_active", "created_at", "crl_number")
    # The encrypted key never leaves the signing code; the CRL is served by its own URL.
    exclude = ("encrypted_key_pem", "crl_der")


@admin.register(DocumentSigningCertificate)
class DocumentSigningCertificateAdmin(ServiceMadeAdmin):
    list_display = ("serial_hex", "not_before", "not_after", "is_active", "created_at")
    list_filter = ("is_active",)
    # Issued by `init_ca` / `init_signing_cert`; the encrypted key never leaves the signing code.
    exclude = ("encrypted_key_pem",)


@admin.register(VpnAccount)
class VpnAccountAdmin(EnterpriseRecordAdmin):
    list_display = (
        "username",
        "enterprise",
        "tunnel_address",
        "is_active",
        "password_set_at",
        "expires_at",
    )
    list_filter = ("is_active",)
    search_fields = ("username", "tunnel_address")
    exclude = ("password_hash",)
    action_form = CommentActionForm
    actions = ["disable", "enable"]

    @admin.action(description=_("停用 VPN 账号"))
    def disable(self, request, queryset):
        self._set_active(request, queryset, False, _("VPN 账号已停用。"))

    @admin.action(description=_("启用 VPN 账号"))
    def enable(self, request, queryset):
        self._set_active(request, queryset, True, _("VPN 账号已启用。"))

    def _set_active(self, request, queryset, active, done):
        comment = request.POST.get("comment", "")
        apply_service(
            self,
            request,
            queryset,
            lambda account: set_vpn_active(account, request.user, active, comment),
            done,
        )
