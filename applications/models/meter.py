"""计量器具台账 (meter ledger) of an enterprise, and the 现场调研 record of its scheme."""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.catalogue import EnergyCode


class MeterLevel(models.IntegerChoices):
    """GB 17167 能源计量级别 (the same 1/2/3 as telemetry's data items)."""

    LEVEL1 = 1, _("一级（进出用能单位）")
    LEVEL2 = 2, _("二级（进出主要次级用能单位）")
    LEVEL3 = 3, _("三级（主要用能设备）")


class MeterQuerySet(models.QuerySet):
    def expired(self, today=None):
        today = today or timezone.localdate()
        return self.filter(valid_until__lt=today)

    def expiring(self, today=None, days=None):
        """Still valid, but not for longer than METER_EXPIRY_WARNING_DAYS."""
        today = today or timezone.localdate()
        days = settings.METER_EXPIRY_WARNING_DAYS if days is None else days
        return self.filter(valid_until__gte=today, valid_until__lte=today + timedelta(days=days))


class Meter(models.Model):
    """One metering instrument of an enterprise (计量器具台账 row)."""

    enterprise = models.ForeignKey(
        "portal.Enterprise",
        verbose_name=_("用能单位"),
        on_delete=models.CASCADE,
        related_name="meters",
    )
    name = models.CharField(_("计量器具名称"), max_length=100)
    management_number = models.CharField(_("管理编号"), max_length=50)
    model = models.CharField(_("型号规格"), max_length=100)
    accuracy_class = models.CharField(
        _("准确度等级"), max_length=20, help_text=_("例如 0.5S、1.0、2.5")
    )
    energy_type = models.CharField(
        _("能源种类"), max_length=4, choices=EnergyCode.choices, db_index=True
    )
    metering_level = models.PositiveSmallIntegerField(_("计量级别"), choices=MeterLevel)
    location = models.CharField(_("安装位置"), max_length=200)
    interface = models.CharField(
        _("通信接口"), max_length=100, blank=True, help_text=_("例如 RS-485 Modbus-RTU、4-20mA")
    )
    certificate_number = models.CharField(_("检定/校准证书编号"), max_length=100)
    valid_until = models.DateField(_("有效期至"))
    # The valid_until date the enterprise was last warned about (one warning per expiry).
    expiry_warned_for = models.DateField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = MeterQuerySet.as_manager()

    class Meta:
        verbose_name = _("计量器具")
        verbose_name_plural = _("计量器具台账")
        ordering = ["metering_level", "energy_type", "management_number", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "management_number"],
                name="meter_number_unique_per_enterprise",
            )
        ]

    def __str__(self):
        return f"{self.management_number} {self.name}"

    def validity(self, today=None) -> str:
        """ "expired", "expiring" or "valid"."""
        today = today or timezone.localdate()
        if self.valid_until < today:
            return "expired"
        if self.valid_until <= today + timedelta(days=settings.METER_EXPIRY_WARNING_DAYS):
            return "expiring"
        return "valid"


class SiteSurvey(models.Model):
    """现场调研: the institute's survey at the enterprise before the scheme is drafted."""

    scheme = models.OneToOneField(
        "applications.DesignScheme",
        verbose_name=_("设计方案"),
        on_delete=models.CASCADE,
        related_name="site_survey",
    )
    surveyed_on = models.DateField(_("调研日期"))
    surveyors = models.CharField(_("调研人员"), max_length=200)
    findings = models.TextField(_("调研情况"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("现场调研记录")
        verbose_name_plural = _("现场调研记录")

    def __str__(self):
        return f"{self.scheme} · {self.surveyed_on}"
