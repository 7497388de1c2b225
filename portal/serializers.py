from rest_framework import serializers

from .models import Enterprise, Membership, Notification, Region, RegistrationStatus, Stage, User
from .uscc import uscc_error


class UserSerializer(serializers.ModelSerializer):
    # "" for everyone but government viewers: declared, since DRF drops allow_blank from a
    # read-only model field and the schema would then refuse the blank.
    region = serializers.ChoiceField(choices=Region.choices, allow_blank=True, read_only=True)

    class Meta:
        model = User
        fields = ["id", "username", "full_name", "email", "role", "region", "organisation"]
        read_only_fields = fields


class EnterpriseSerializer(serializers.ModelSerializer):
    region_label = serializers.CharField(source="get_region_display", read_only=True)
    stage_label = serializers.CharField(source="get_stage_display", read_only=True)

    class Meta:
        model = Enterprise
        fields = [
            "id",
            "name",
            "uscc",
            "region",
            "region_label",
            "industry",
            "address",
            "legal_representative",
            "contact_person",
            "contact_phone",
            "contact_email",
            "registration_status",
            "stage",
            "stage_label",
            "created_at",
        ]
        read_only_fields = ["registration_status", "stage", "created_at"]

    def validate_uscc(self, value):
        value = value.strip().upper()
        reason = uscc_error(value)
        if reason:
            raise serializers.ValidationError(reason)
        return value


class MembershipSerializer(serializers.ModelSerializer):
    user = UserSerializer(read_only=True)
    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "user", "enterprise", "enterprise_name", "title", "is_admin", "created_at"]
        read_only_fields = fields


class NotificationSerializer(serializers.ModelSerializer):
    # In the reader's language when the sentence was stored with its parameters.
    title = serializers.CharField(source="shown_title", read_only=True)
    body = serializers.CharField(source="shown_body", read_only=True)

    class Meta:
        model = Notification
        fields = ["id", "title", "body", "link", "created_at", "read_at"]
        read_only_fields = fields


class DecisionSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class EnterpriseFilterSerializer(serializers.Serializer):
    """The list's query filters: an unknown value is a 400 naming the parameter, not a 500."""

    region = serializers.ChoiceField(choices=Region.choices, required=False, allow_blank=True)
    stage = serializers.ChoiceField(choices=Stage.choices, required=False, allow_blank=True)
    registration_status = serializers.ChoiceField(
        choices=RegistrationStatus.choices, required=False, allow_blank=True
    )
