from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from .models import IssuedDocument


class IssuedDocumentSerializer(serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    state_display = serializers.CharField(source="get_state_display", read_only=True)
    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)
    compiled_by = serializers.StringRelatedField()
    checked_by = serializers.StringRelatedField()
    approved_by = serializers.StringRelatedField()
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = IssuedDocument
        fields = [
            "id",
            "kind",
            "kind_display",
            "number",
            "title",
            "enterprise",
            "enterprise_name",
            "connection",
            "trial_run",
            "state",
            "state_display",
            "compiled_by",
            "compiled_at",
            "checked_by",
            "checked_at",
            "approved_by",
            "approved_at",
            "revoked_at",
            "revoke_reason",
            "replaces",
            "sha256",
            "render_status",
            "render_progress",
            "render_error",
            "download_url",
        ]
        read_only_fields = fields

    def get_download_url(self, document) -> str | None:
        if not document.sha256:
            return None
        return reverse("issued-document-download", args=[document.pk])


class StepSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class RevokeSerializer(serializers.Serializer):
    reason = serializers.CharField(label=_("撤销原因"))


class ConformanceDraftSerializer(serializers.Serializer):
    connection = serializers.IntegerField(label=_("数据对接"))
    display_enterprise = serializers.BooleanField(label=_("企业子系统显示正确"))
    display_government = serializers.BooleanField(label=_("政府子系统显示正确"))
