"""/api/v1/telemetry/devices/ and /api/v1/telemetry/items/: the registry, scoped like the pages.

Everyone in scope reads; only members of the enterprise write (reviewers and government
viewers get 403 on writes, outsiders 404 on every object). Items use the same column names
as the XLSX/CSV import (dataCode, energyCode, statType, ...) and the same checks as the
page form.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.exceptions import PermissionDenied, ValidationError

from portal.models import AuditEvent
from portal.permissions import enterprises_visible_to, own_enterprise

from ..models import EndDevice
from ..permissions import can_edit_registry, data_items_visible_to, devices_visible_to
from ..services.importexport import KEYS, bind_item_form, lookups
from ..services.item_changes import save_item_change
from .item_changes import ChangeRequestSerializer


def _certificate_status(revoked_at, not_after) -> str | None:
    if not_after is None:
        return None
    now = timezone.now()
    if revoked_at is not None and revoked_at <= now:
        return "revoked"
    return "expired" if now >= not_after else "valid"


def _given_enterprise(request):
    """The `enterprise` of a create request's body; a body that is not an object is a 400."""
    if not isinstance(request.data, Mapping):
        raise ValidationError({"non_field_errors": [_("请求体必须是一个对象。")]})
    return request.data.get("enterprise")


def _enterprise_for_write(request, given):
    """The enterprise a new record belongs to: given (and editable) or the user's own."""
    if given in (None, ""):
        enterprise = own_enterprise(request.user)
    elif isinstance(given, bool) or not str(given).isdigit():
        enterprise = None
    else:
        enterprise = enterprises_visible_to(request.user).filter(pk=int(given)).first()
    if enterprise is None:
        raise ValidationError({"enterprise": [_("未知的企业，或您无权查看该企业。")]})
    if not can_edit_registry(request.user, enterprise):
        raise PermissionDenied(_("只有本企业的用户可以登记端设备和数据采集项。"))
    return enterprise


# --- Devices -------------------------------------------------------------------------------


def _for_enterprise_param(qs, request):
    """Narrow an already scoped list to ``?enterprise=<id>`` when given."""
    enterprise = request.query_params.get("enterprise")
    return qs.filter(enterprise_id=enterprise) if enterprise and enterprise.isdigit() else qs


class DeviceSerializer(serializers.ModelSerializer):
    certificate_serial = serializers.CharField(read_only=True, allow_null=True)
    certificate_status = serializers.SerializerMethodField()

    class Meta:
        model = EndDevice
        fields = [
            "id",
            "enterprise",
            "serial",
            "manufacturer",
            "model",
            "manufacture_date",
            "is_active",
            "last_seen_at",
            "certificate_serial",
            "certificate_status",
        ]
        read_only_fields = ["enterprise", "last_seen_at"]
        validators: list = []  # (enterprise, serial) is checked in validate_serial

    def get_certificate_status(self, obj) -> str | None:
        return _certificate_status(
            getattr(obj, "certificate_revoked_at", None),
            getattr(obj, "certificate_not_after", None),
        )

    def validate_serial(self, serial):
        enterprise = self.context["enterprise"]
        clash = EndDevice.objects.filter(enterprise=enterprise, serial=serial)
        if self.instance is not None:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise serializers.ValidationError(_("本企业已登记该编号的端设备。"))
        return serial


class DeviceViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = DeviceSerializer

    def get_queryset(self):
        from applications.models import DeviceCertificate

        latest = DeviceCertificate.objects.filter(
            enterprise=OuterRef("enterprise"), device_serial=OuterRef("serial")
        ).order_by("-not_before")
        qs = (
            devices_visible_to(self.request.user)
            .annotate(
                certificate_serial=Subquery(latest.values("serial_hex")[:1]),
                certificate_not_after=Subquery(latest.values("not_after")[:1]),
                certificate_revoked_at=Subquery(latest.values("revoked_at")[:1]),
            )
            .order_by("pk")
        )
        return _for_enterprise_param(qs, self.request)

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if self.action == "create":
            context["enterprise"] = _enterprise_for_write(
                self.request, _given_enterprise(self.request)
            )
        elif self.action in ("update", "partial_update"):
            context["enterprise"] = self.get_object().enterprise
        return context

    def perform_create(self, serializer):
        enterprise = serializer.context["enterprise"]
        with transaction.atomic():
            device = serializer.save(enterprise=enterprise)
            AuditEvent.record(
                device, self.request.user, "device_registered", context={"serial": device.serial}
            )

    def perform_update(self, serializer):
        if not can_edit_registry(self.request.user, serializer.instance.enterprise):
            raise PermissionDenied(_("只有本企业的用户可以修改端设备。"))
        with transaction.atomic():
            device = serializer.save()
            AuditEvent.record(
                device, self.request.user, "device_updated", context={"serial": device.serial}
            )


# --- Items ---------------------------------------------------------------------------------


class ItemSerializer(serializers.Serializer):
    """A data item in the column names of the import file."""

    id = serializers.IntegerField(read_only=True)
    enterprise = serializers.IntegerField(required=False)
    dataCode = serializers.CharField(help_text="18 位数据采集项编码，六段：2+2+4+2+4+4")
    name = serializers.CharField()
    energyCode = serializers.CharField(required=False, allow_blank=True)
    convertRation = serializers.CharField(
        required=False, allow_blank=True, help_text="折标系数；留空则取能源品种字典的值"
    )
    unit = serializers.CharField(
        required=False, allow_blank=True, help_text="计量单位；留空则取能源品种的单位"
    )
    statType = serializers.IntegerField(required=False, help_text="0 实时 1 日 2 月 3 年")
    interval = serializers.IntegerField(required=False, help_text="15、30 或 60（实时）")
    scope = serializers.IntegerField(required=False)
    inputType = serializers.IntegerField(required=False)
    collectionMethod = serializers.CharField(required=False)
    dataValueMin = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    dataValueMax = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    meteringLevel = serializers.IntegerField(required=False)
    instrument = serializers.CharField(required=False, allow_blank=True)
    deviceSerial = serializers.CharField(required=False, allow_blank=True)
    meterNumber = serializers.CharField(
        required=False, allow_blank=True, help_text="计量器具台账中的管理编号（本单位）"
    )
    isActive = serializers.BooleanField(required=False, default=True)
    effectiveOn = serializers.DateField(
        required=False,
        write_only=True,
        help_text="试运行期间的新增、启停或 statType/间隔/合理值变更：申请生效日期（默认今天）",
    )
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        write_only=True,
        help_text="试运行期间上述变更必填：变更原因",
    )

    def to_representation(self, item):
        return {
            "id": item.pk,
            "enterprise": item.enterprise_id,
            "dataCode": item.data_code,
            "name": item.name,
            "energyCode": item.energy_type.code if item.energy_type else "",
            "convertRation": str(item.convert_ration.normalize()),
            "unit": item.unit,
            "statType": item.stat_type,
            "interval": item.interval_minutes,
            "scope": item.scope,
            "inputType": item.input_type,
            "collectionMethod": item.collection_method,
            "dataValueMin": None if item.value_min is None else str(item.value_min.normalize()),
            "dataValueMax": None if item.value_max is None else str(item.value_max.normalize()),
            "meteringLevel": item.metering_level,
            "instrument": item.instrument,
            "meterNumber": item.meter.management_number if item.meter else "",
            "deviceSerial": item.device.serial if item.device else "",
            "isActive": item.is_active,
        }

    def validate(self, attrs):
        enterprise = self.context["enterprise"]
        values = {}
        if self.instance is not None and self.partial:
            values = {k: v for k, v in self.to_representation(self.instance).items() if k in KEYS}
        values.update({k: v for k, v in attrs.items() if k in KEYS})
        values = {
            k: "" if v is None else ("1" if v is True else "0" if v is False else str(v))
            for k, v in values.items()
        }
        energy, devices, meters = lookups(enterprise)
        form, problems = bind_item_form(enterprise, values, self.instance, energy, devices, meters)
        if problems:
            errors: dict[str, list[str]] = {}
            for column, reason in problems:
                errors.setdefault(column, []).append(reason)
            raise serializers.ValidationError(errors)
        attrs["form"] = form
        return attrs

    def save(self, **kwargs):
        """Saved through services.item_changes: during a trial the slot-relevant part becomes
        a change request (``self.pending``) and the view answers 202."""
        try:
            saved = save_item_change(
                self.context["request"].user,
                self.context["enterprise"],
                self.validated_data["form"],
                effective_on=self.validated_data.get("effectiveOn"),
                reason=self.validated_data.get("reason", ""),
            )
        except DjangoValidationError as error:
            raise serializers.ValidationError(_api_errors(error)) from error
        self.instance, self.pending = saved.item, saved.request
        return self.instance


def _api_errors(error: DjangoValidationError) -> dict:
    names = {"effective_on": "effectiveOn", "__all__": "non_field_errors"}
    if hasattr(error, "error_dict"):
        return {names.get(k, k): v for k, v in error.message_dict.items()}
    return {"non_field_errors": error.messages}


@extend_schema_view(
    create=extend_schema(request=ItemSerializer, responses=ItemSerializer),
    update=extend_schema(request=ItemSerializer, responses=ItemSerializer),
    partial_update=extend_schema(request=ItemSerializer, responses=ItemSerializer),
)
class ItemViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = ItemSerializer

    def get_queryset(self):
        qs = data_items_visible_to(self.request.user).select_related(
            "energy_type", "device", "meter"
        )
        qs = qs.order_by("pk")
        return _for_enterprise_param(qs, self.request)

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if self.action == "create":
            context["enterprise"] = _enterprise_for_write(
                self.request, _given_enterprise(self.request)
            )
        elif self.action in ("update", "partial_update"):
            item = self.get_object()
            if not can_edit_registry(self.request.user, item.enterprise):
                raise PermissionDenied(_("只有本企业的用户可以修改数据采集项。"))
            context["enterprise"] = item.enterprise
        return context

    def perform_create(self, serializer):
        serializer.save()
        self.pending = serializer.pending

    def perform_update(self, serializer):
        serializer.save()
        self.pending = serializer.pending

    def create(self, request, *args, **kwargs):
        return self._with_pending(super().create(request, *args, **kwargs))

    def update(self, request, *args, **kwargs):
        return self._with_pending(super().update(request, *args, **kwargs))

    def _with_pending(self, response):
        """202 and the change request when the change waits for a reviewer (in a trial)."""
        request = getattr(self, "pending", None)
        if request is not None:
            response.data["pendingChange"] = ChangeRequestSerializer(request).data
            response.status_code = 202
        return response
