from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from portal.catalogue import CollectionMethod, EnergyCode

from . import materials
from .choices import SignatureRole
from .models import (
    AcceptanceApplication,
    AcceptanceReport,
    ComparisonReading,
    CoverageEnergy,
    Material,
    MaterialFile,
    MeteringLevel,
    OnSiteAcceptance,
    PanelSeat,
    ReportSignature,
    SitePhoto,
    Verdict,
)
from .services.applications import FIELDS
from .services.onsite import PROPOSAL_FIELDS, STEP_FIELDS
from .services.report import EDITABLE as REPORT_EDITABLE


class CollectionRowSerializer(serializers.Serializer):
    energy_type = serializers.ChoiceField(choices=EnergyCode.choices)
    method = serializers.ChoiceField(choices=CollectionMethod.choices)


class ChecklistPartSerializer(serializers.Serializer):
    part = serializers.CharField(source="key")
    label = serializers.CharField()
    required = serializers.BooleanField()
    satisfied = serializers.BooleanField()
    device = serializers.IntegerField(source="device_id", allow_null=True)
    held = serializers.ListField(child=serializers.CharField())
    files = serializers.ListField(child=serializers.IntegerField())


class ChecklistLineSerializer(serializers.Serializer):
    material = serializers.CharField()
    label = serializers.CharField()
    complete = serializers.BooleanField()
    problems = serializers.ListField(child=serializers.CharField())
    parts = ChecklistPartSerializer(many=True)


def checklist_data(application) -> list[dict]:
    return [
        {
            "material": line.code,
            "label": str(line.label),
            "complete": line.complete,
            "problems": [str(p) for p in line.problems],
            "parts": [
                {
                    "key": part.key,
                    "label": str(part.label),
                    "required": part.required,
                    "satisfied": part.satisfied,
                    "device_id": part.device_id,
                    "held": [str(h.label) for h in part.held],
                    "files": [f.pk for f in part.files],
                }
                for part in line.parts
            ],
        }
        for line in materials.checklist(application).lines
    ]


class AcceptanceApplicationSerializer(serializers.ModelSerializer):
    energy_coverage = serializers.ListField(
        child=serializers.ChoiceField(choices=CoverageEnergy.choices), allow_empty=False
    )
    metering_levels = serializers.ListField(
        child=serializers.ChoiceField(choices=MeteringLevel.choices), allow_empty=False
    )
    collection_rows = CollectionRowSerializer(many=True, allow_empty=False)
    project_name = serializers.CharField(read_only=True)
    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)
    state_label = serializers.CharField(source="get_state_display", read_only=True)
    reviewer = serializers.StringRelatedField(read_only=True)
    checklist = serializers.SerializerMethodField()

    class Meta:
        model = AcceptanceApplication
        fields = [
            "id",
            "enterprise",
            "enterprise_name",
            "previous",
            "state",
            "state_label",
            "project_name",
            *FIELDS,
            "checklist",
            "reviewer",
            "review_comment",
            "reviewed_at",
            "submitted_at",
            "created_at",
        ]
        read_only_fields = [
            "enterprise",
            "previous",
            "state",
            "reviewer",
            "review_comment",
            "reviewed_at",
            "submitted_at",
            "created_at",
        ]

    @extend_schema_field(ChecklistLineSerializer(many=True))
    def get_checklist(self, application):
        # The checklist reads other records: only on a single application, not in lists.
        if self.context.get("with_checklist"):
            return checklist_data(application)
        return None


class MaterialFileSerializer(serializers.ModelSerializer):
    file = serializers.FileField(write_only=True)
    part = serializers.CharField(required=False, allow_blank=True, default="")
    device = serializers.IntegerField(required=False, allow_null=True, source="device_id")
    material = serializers.ChoiceField(choices=Material.choices)
    original_name = serializers.CharField(source="attachment.original_name", read_only=True)
    size = serializers.IntegerField(source="attachment.size", read_only=True)
    sha256 = serializers.CharField(source="attachment.sha256", read_only=True)

    class Meta:
        model = MaterialFile
        fields = ["id", "material", "part", "device", "file", "original_name", "size", "sha256"]


class VerdictSerializer(serializers.Serializer):
    material = serializers.ChoiceField(choices=Material.choices)
    verdict = serializers.ChoiceField(choices=Verdict.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class PanelSeatSerializer(serializers.ModelSerializer):
    user_name = serializers.CharField(source="user.get_full_name", read_only=True)

    class Meta:
        model = PanelSeat
        fields = ["id", "user", "user_name", "role", "body", "is_leader", "declared_at"]
        read_only_fields = ["declared_at"]


class ComparisonSerializer(serializers.ModelSerializer):
    class Meta:
        model = ComparisonReading
        fields = [
            "id",
            "item",
            "meter",
            "read_at",
            "site_value",
            "slot",
            "platform_value",
            "deviation_percent",
            "tolerance_percent",
            "within",
        ]
        read_only_fields = [
            "slot",
            "platform_value",
            "deviation_percent",
            "tolerance_percent",
            "within",
        ]


class SitePhotoSerializer(serializers.ModelSerializer):
    """现场考察照片: uploaded as multipart (caption + file); the download goes through the
    permission-checked attachment view."""

    file = serializers.FileField(write_only=True)
    uploaded_at = serializers.DateTimeField(source="attachment.uploaded_at", read_only=True)
    uploaded_by_name = serializers.SerializerMethodField()
    sha256 = serializers.CharField(source="attachment.sha256", read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = SitePhoto
        fields = [
            "id",
            "caption",
            "file",
            "uploaded_at",
            "uploaded_by_name",
            "sha256",
            "download_url",
        ]

    def get_uploaded_by_name(self, photo) -> str:
        user = photo.attachment.uploaded_by
        return (user.get_full_name() or user.get_username()) if user else ""

    def get_download_url(self, photo) -> str:
        return reverse("attachment_download", args=[photo.attachment_id])


class OnSiteSerializer(serializers.ModelSerializer):
    state_label = serializers.CharField(source="get_state_display", read_only=True)
    seats = PanelSeatSerializer(many=True, read_only=True)
    comparisons = ComparisonSerializer(many=True, read_only=True)
    photos = SitePhotoSerializer(many=True, read_only=True)

    class Meta:
        model = OnSiteAcceptance
        fields = [
            "id",
            "application",
            "state",
            "state_label",
            *PROPOSAL_FIELDS,
            *STEP_FIELDS,
            "seats",
            "comparisons",
            "photos",
            "confirmed_at",
            "recorded_at",
        ]
        read_only_fields = ["application", "state", "confirmed_at", "recorded_at"]


class PanelSerializer(serializers.Serializer):
    seats = PanelSeatSerializer(many=True)


class SignatureSerializer(serializers.ModelSerializer):
    class Meta:
        model = ReportSignature
        fields = ["role", "signer_name", "method", "content_sha256", "signed_at"]


class AcceptanceReportSerializer(serializers.ModelSerializer):
    state_label = serializers.CharField(source="get_state_display", read_only=True)
    signatures = SignatureSerializer(many=True, read_only=True)
    fail_conditions = serializers.DictField(child=serializers.CharField(), required=False)

    class Meta:
        model = AcceptanceReport
        fields = [
            "id",
            "onsite",
            "state",
            "state_label",
            "project_name",
            "owner_name",
            *REPORT_EDITABLE,
            "content_sha256",
            "signatures",
            "issued_at",
        ]
        read_only_fields = [
            "onsite",
            "state",
            "project_name",
            "owner_name",
            "content_sha256",
            "issued_at",
        ]


class SignSerializer(serializers.Serializer):
    """The login password, or the one-time code from ``sign-code`` (one of the two)."""

    role = serializers.ChoiceField(choices=SignatureRole.choices)
    password = serializers.CharField(write_only=True, required=False, allow_blank=True)
    code = serializers.CharField(write_only=True, required=False, allow_blank=True, max_length=6)

    def validate(self, attrs):
        if not attrs.get("password") and not attrs.get("code"):
            raise serializers.ValidationError(_("请输入密码或验证码以确认签字。"))
        return attrs


class SignCodeSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=SignatureRole.choices)
