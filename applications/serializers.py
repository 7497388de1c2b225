import re
from datetime import date

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from portal.catalogue import EnergyCode
from portal.uscc import uscc_error

from .models import (
    SCHEME_PART_DOCUMENTS,
    AccessApplication,
    ChangeRecord,
    DesignScheme,
    DeviceCertificate,
    Material,
    Meter,
    RevocationReason,
    SchemeConfirmation,
    SchemeFeedback,
    SiteSurvey,
    VpnAccount,
)
from .permissions import design_schemes_visible_to
from .services.access import APPLICATION_FIELDS


class ConfirmationSerializer(serializers.ModelSerializer):
    # null while the party has not confirmed (the schema says so: a nullable string).
    confirmed_by = serializers.CharField(read_only=True, allow_null=True)

    class Meta:
        model = SchemeConfirmation
        fields = ["party", "revision", "confirmed_by", "confirmed_at"]
        read_only_fields = fields


MONTH = re.compile(r"(\d{4})-(\d{2})")


@extend_schema_field(OpenApiTypes.STR)
class MonthField(serializers.Field):
    """A month as "YYYY-MM", stored as its first day."""

    default_error_messages = {"invalid": _("请按“年-月”填写，例如 2026-06。")}

    def to_representation(self, value):
        return value.strftime("%Y-%m")

    def to_internal_value(self, data):
        match = MONTH.fullmatch(str(data).strip()[:7]) if data else None
        try:
            return date(int(match[1]), int(match[2]), 1)
        except (TypeError, ValueError):
            self.fail("invalid")


class FeedbackSerializer(serializers.ModelSerializer):
    """7.1 反馈意见确认表."""

    planned_completion = MonthField()
    submitted_by = serializers.StringRelatedField(read_only=True)

    class Meta:
        model = SchemeFeedback
        fields = [
            "revision",
            *SchemeFeedback.QUESTIONS,
            "planned_completion",
            "contact_person",
            "contact_phone",
            "contact_position",
            "contact_email",
            "feedback_text",
            "submitted_by",
            "submitted_at",
        ]
        read_only_fields = ["revision", "submitted_by", "submitted_at"]
        extra_kwargs = {name: {"required": True} for name in SchemeFeedback.QUESTIONS}


class DesignSchemeSerializer(serializers.ModelSerializer):
    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)
    state_label = serializers.CharField(source="get_state_display", read_only=True)
    energy_types = serializers.ListField(child=serializers.DictField(), required=False)
    instruments = serializers.ListField(child=serializers.DictField(), required=False)
    budget_items = serializers.ListField(child=serializers.DictField(), required=False)
    confirmations = ConfirmationSerializer(many=True, read_only=True)
    documents = serializers.SerializerMethodField()

    class Meta:
        model = DesignScheme
        fields = [
            "id",
            "number",
            "enterprise",
            "enterprise_name",
            "state",
            "state_label",
            "revision",
            "energy_types",
            "instruments",
            "project_plan",
            "construction_period",
            "budget_items",
            "documents",
            "parts",
            "confirmations",
            "created_at",
            "sent_at",
            "finalised_at",
        ]
        read_only_fields = ["number", "state", "revision", "created_at", "sent_at", "finalised_at"]

    parts = serializers.SerializerMethodField()

    def get_documents(self, scheme) -> list[dict]:
        return [
            {"id": a.pk, "name": a.original_name, "uploaded_at": a.uploaded_at}
            for a in sorted(scheme.attachments.all(), key=lambda a: a.pk)
            if a.kind == "scheme_document"
        ]

    @extend_schema_field(
        {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "key": {"type": "string"},
                    "label": {"type": "string"},
                    "complete": {"type": "boolean"},
                },
            },
        }
    )
    def get_parts(self, scheme):
        """Seed 4.1(2)'s parts, 建设周期 and 现场调研, each with whether it is there."""
        return [
            {"key": p["key"], "label": str(p["label"]), "complete": p["complete"]}
            for p in scheme.parts(list(scheme.attachments.all()))
        ]


class SchemeUpdateSerializer(DesignSchemeSerializer):
    class Meta(DesignSchemeSerializer.Meta):
        read_only_fields = [*DesignSchemeSerializer.Meta.read_only_fields, "enterprise"]


class DocumentSerializer(serializers.Serializer):
    file = serializers.FileField()


class PartSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=[kind for kind, _label in SCHEME_PART_DOCUMENTS],
        help_text="energy_flow 企业能源流向图, metering_network 能源计量网络图, "
        "network_topology 系统网络拓扑图, hw_sw_list 企业接入端系统实施软硬件清单",
    )
    file = serializers.FileField()


class SiteSurveySerializer(serializers.ModelSerializer):
    class Meta:
        model = SiteSurvey
        fields = ["surveyed_on", "surveyors", "findings"]


class ChangeRecordSerializer(serializers.ModelSerializer):
    scheme_number = serializers.CharField(source="scheme.number", read_only=True)
    recorded_by = serializers.StringRelatedField(read_only=True)
    decided_by = serializers.StringRelatedField(read_only=True)

    class Meta:
        model = ChangeRecord
        fields = [
            "id",
            "scheme",
            "scheme_number",
            "changed_on",
            "content",
            "reason",
            "unit",
            "state",
            "recorded_by",
            "created_at",
            "decided_by",
            "decided_at",
            "decision_comment",
            "document",
            "stamp_state",
        ]
        read_only_fields = [
            "scheme",
            "state",
            "created_at",
            "decided_at",
            "decision_comment",
        ]

    document = serializers.FileField(
        write_only=True, help_text=_("变更单位签章文件（打印、签章后扫描）")
    )
    stamp_state = serializers.SerializerMethodField()

    def get_stamp_state(self, record) -> str:
        """missing / current / stale: whether the signed file stamps this version."""
        return record.stamp_state()


class MeterSerializer(serializers.ModelSerializer):
    """计量器具台账 row. `enterprise` is taken from the user when they are a member."""

    energy_type_label = serializers.CharField(source="get_energy_type_display", read_only=True)
    metering_level_label = serializers.CharField(
        source="get_metering_level_display", read_only=True
    )
    validity = serializers.SerializerMethodField()

    class Meta:
        model = Meter
        fields = [
            "id",
            "enterprise",
            "name",
            "management_number",
            "model",
            "accuracy_class",
            "energy_type",
            "energy_type_label",
            "metering_level",
            "metering_level_label",
            "location",
            "interface",
            "certificate_number",
            "valid_until",
            "validity",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        extra_kwargs = {"enterprise": {"required": False}}
        # Uniqueness per enterprise is checked by the service (with its own message).
        validators = []

    def get_validity(self, meter) -> str:
        """valid / expiring / expired (METER_EXPIRY_WARNING_DAYS)."""
        return meter.validity()


class MaterialSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    kind = serializers.ChoiceField(choices=Material.choices)
    file = serializers.FileField(write_only=True)
    original_name = serializers.CharField(read_only=True)
    size = serializers.IntegerField(read_only=True)
    sha256 = serializers.CharField(read_only=True)


class AccessApplicationSerializer(serializers.ModelSerializer):
    energy_types = serializers.ListField(
        child=serializers.ChoiceField(choices=EnergyCode.choices), allow_empty=False
    )
    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)
    state_label = serializers.CharField(source="get_state_display", read_only=True)
    design_scheme_number = serializers.CharField(source="design_scheme.number", read_only=True)
    reviewer = serializers.StringRelatedField(read_only=True)
    materials = serializers.SerializerMethodField()
    missing_materials = serializers.SerializerMethodField()

    class Meta:
        model = AccessApplication
        fields = [
            "id",
            "enterprise",
            "enterprise_name",
            "state",
            "state_label",
            *APPLICATION_FIELDS,
            "design_scheme_number",
            "materials",
            "missing_materials",
            "reviewer",
            "review_comment",
            "reviewed_at",
            "submitted_at",
            "created_at",
        ]
        read_only_fields = [
            "enterprise",
            "state",
            "reviewer",
            "review_comment",
            "reviewed_at",
            "submitted_at",
            "created_at",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            # Another enterprise's scheme id reads as "does not exist", as a 404 would.
            self.fields["design_scheme"].queryset = design_schemes_visible_to(request.user)

    def validate_uscc(self, value):
        value = value.strip().upper()
        reason = uscc_error(value)
        if reason:
            raise serializers.ValidationError(reason)
        return value

    def get_materials(self, application) -> list[dict]:
        return [
            {"id": a.pk, "kind": a.kind, "name": a.original_name, "size": a.size}
            for a in sorted(application.attachments.all(), key=lambda a: a.pk)
        ]

    def get_missing_materials(self, application) -> list[str]:
        return [str(kind.label) for kind in application.missing_materials()]


class DeviceCertificateSerializer(serializers.ModelSerializer):
    status = serializers.SerializerMethodField()

    class Meta:
        model = DeviceCertificate
        fields = [
            "id",
            "enterprise",
            "device_serial",
            "serial_hex",
            "fingerprint",
            "not_before",
            "not_after",
            "status",
            "origin",
            "issued_at",
            "revoked_at",
            "revocation_reason",
            "certificate_pem",
        ]
        read_only_fields = fields

    def get_status(self, cert) -> str:
        return cert.status()


class CsrSerializer(serializers.Serializer):
    enterprise = serializers.IntegerField(
        required=False, help_text=_("审核人员代企业提交时填写；企业用户省略")
    )
    device_serial = serializers.CharField(max_length=64)
    csr = serializers.CharField(help_text=_("PEM 格式的证书签名请求"))


class GenerateSerializer(serializers.Serializer):
    enterprise = serializers.IntegerField(required=False)
    device_serial = serializers.CharField(max_length=64)
    key_type = serializers.ChoiceField(choices=[("ec", "EC P-256"), ("rsa", "RSA 2048")])


class GeneratedSerializer(serializers.Serializer):
    certificate = DeviceCertificateSerializer()
    pkcs12_base64 = serializers.CharField()
    password = serializers.CharField()


class RevokeSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=RevocationReason.choices)
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class VpnAccountSerializer(serializers.ModelSerializer):
    usable = serializers.SerializerMethodField()

    class Meta:
        model = VpnAccount
        fields = [
            "id",
            "enterprise",
            "username",
            "tunnel_address",
            "expires_at",
            "is_active",
            "password_set_at",
            "usable",
        ]
        read_only_fields = fields

    def get_usable(self, account) -> bool:
        return account.is_usable()


class VpnPasswordSerializer(serializers.Serializer):
    account = VpnAccountSerializer()
    password = serializers.CharField(help_text=_("只返回这一次，门户只保存其哈希"))
