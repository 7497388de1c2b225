from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.catalogue import CollectionMethod

from ..datacode import DataCode
from ..timeslots import StatType

# The fields that decide an item's expected slots and the validity of its readings: a change
# of any writes a DataItemRevision, and during a trial waits for a reviewer.
SLOT_FIELDS = ("stat_type", "interval_minutes", "value_min", "value_max", "is_active")


class StatTypeChoice(models.IntegerChoices):
    REALTIME = StatType.REALTIME, _("实时")
    DAILY = StatType.DAILY, _("日")
    MONTHLY = StatType.MONTHLY, _("月")
    YEARLY = StatType.YEARLY, _("年")


class IntervalChoice(models.IntegerChoices):
    MIN15 = 15, _("15 分钟")
    MIN30 = 30, _("30 分钟")
    MIN60 = 60, _("60 分钟")


class Scope(models.IntegerChoices):
    PLANT = 1, _("全厂")
    PROCESS = 2, _("生产工序")
    PROCESS_UNIT = 3, _("生产工序单元")
    KEY_EQUIPMENT = 4, _("重点耗能设备")


class InputType(models.IntegerChoices):
    MIS = 1, _("管理信息系统")
    PRODUCTION_MONITORING = 2, _("生产监控管理系统")
    DCS = 3, _("分布式控制系统(DCS)")
    FIELD_METER = 4, _("现场仪表")
    MANUAL = 5, _("手工填报")
    SUPPLIER = 6, _("能源供应单位")
    OTHER = 7, _("其他")


class MeteringLevel(models.IntegerChoices):
    LEVEL1 = 1, _("一级（进出用能单位）")
    LEVEL2 = 2, _("二级（进出主要次级用能单位）")
    LEVEL3 = 3, _("三级（主要用能设备）")


class DataItem(models.Model):
    """数据采集项: one monitored indicator of an enterprise, identified by its dataCode."""

    enterprise = models.ForeignKey(
        "portal.Enterprise", on_delete=models.CASCADE, related_name="data_items"
    )
    device = models.ForeignKey(
        "telemetry.EndDevice",
        verbose_name=_("端设备"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="data_items",
    )
    data_code = models.CharField(_("数据采集项编码"), max_length=18)
    name = models.CharField(_("采集项名称"), max_length=100)
    energy_type = models.ForeignKey(
        "telemetry.EnergyType",
        verbose_name=_("能源品种"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    convert_ration = models.DecimalField(
        _("折标系数（convertRation）"), max_digits=12, decimal_places=6, default=1
    )
    unit = models.CharField(_("计量单位"), max_length=30)
    stat_type = models.PositiveSmallIntegerField(
        _("统计类型（statType）"), choices=StatTypeChoice, default=StatTypeChoice.REALTIME
    )
    interval_minutes = models.PositiveSmallIntegerField(
        _("实时采集间隔"), choices=IntervalChoice, default=IntervalChoice.MIN15
    )
    scope = models.PositiveSmallIntegerField(_("数据范围（scope）"), choices=Scope, default=1)
    input_type = models.PositiveSmallIntegerField(
        _("数据采集来源（inputType）"), choices=InputType, default=InputType.FIELD_METER
    )
    collection_method = models.CharField(
        _("数据采集方式"), max_length=20, choices=CollectionMethod, default=CollectionMethod.METER
    )
    value_min = models.DecimalField(
        _("合理值下限（dataValueMin）"), max_digits=20, decimal_places=4, null=True, blank=True
    )
    value_max = models.DecimalField(
        _("合理值上限（dataValueMax）"), max_digits=20, decimal_places=4, null=True, blank=True
    )
    metering_level = models.PositiveSmallIntegerField(
        _("计量级别"),
        choices=MeteringLevel,
        default=MeteringLevel.LEVEL1,
        validators=[MinValueValidator(1), MaxValueValidator(3)],
    )
    instrument = models.CharField(
        _("计量器具"), max_length=200, blank=True, help_text=_("名称、型号、准确度等级、安装位置")
    )
    meter = models.ForeignKey(
        "applications.Meter",
        verbose_name=_("计量器具（台账）"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="data_items",
        help_text=_("本单位计量器具台账中的器具"),
    )
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # With the item count, the version of an enterprise's item table that the upload path's
    # per-process cache is checked against (telemetry.staging.cached_item_specs).
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("数据采集项")
        verbose_name_plural = _("数据采集项")
        ordering = ["enterprise", "data_code"]
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "data_code"], name="unique_item_code"),
            models.CheckConstraint(
                condition=models.Q(interval_minutes__in=[15, 30, 60]), name="item_interval_allowed"
            ),
        ]
        indexes = [models.Index(fields=["enterprise", "updated_at"], name="item_version_idx")]

    def __str__(self):
        return f"{self.data_code} {self.name}"

    def save(self, *args, revision: dict | None = None, **kwargs):
        """Save, and write a DataItemRevision when the item is new or a slot-relevant field
        changed (``revision``: valid_from, made_by, approved_by, reason, request; by default
        from today, Beijing time). ``updated_at`` moves on every save, so the upload path's
        item cache sees the change; ``QuerySet.update`` bypasses both (tests only)."""
        creating = self._state.adding
        super().save(*args, **kwargs)
        current = self.slot_values()
        if creating or current is None or current != getattr(self, "_stored_slots", None):
            details = {"valid_from": timezone.localdate(), **(revision or {})}
            self._meta.get_field("revisions").related_model.record(self, **details)
        self._stored_slots = current

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._stored_slots = instance.slot_values()
        return instance

    def slot_values(self) -> dict | None:
        """The slot-relevant fields (SLOT_FIELDS), None when some are deferred."""
        if any(name in self.get_deferred_fields() for name in SLOT_FIELDS):
            return None
        return {name: getattr(self, name) for name in SLOT_FIELDS}

    @property
    def code(self) -> DataCode:
        return DataCode.parse(self.data_code)

    @property
    def slots_per_day(self) -> int:
        """Expected readings per day: 96/48/24 for real-time items, 1 for daily ones."""
        if self.stat_type == StatType.REALTIME:
            return 24 * 60 // self.interval_minutes
        return 1 if self.stat_type == StatType.DAILY else 0
