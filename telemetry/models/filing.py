from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class MonthlyFiling(models.Model):
    """月报填报: the month's values of the manually entered items (input type 手工填报).

    Filing writes one monthly reading per item through the ingest path, so the values are
    judged like any upload; filing the same month again corrects it (the readings are
    upserted) and is recorded as a correction.
    """

    enterprise = models.ForeignKey(
        "portal.Enterprise", on_delete=models.CASCADE, related_name="monthly_filings"
    )
    month = models.DateField(_("月份"), help_text=_("当月 1 日"))
    # {"<item pk>": "<decimal as text>"}
    values = models.JSONField(_("填报数值"), default=dict)
    remarks = models.TextField(_("备注"), blank=True)
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    filed_at = models.DateTimeField(_("填报时间"))
    revision = models.PositiveSmallIntegerField(_("修订次数"), default=0)

    class Meta:
        verbose_name = _("月报填报")
        verbose_name_plural = _("月报填报")
        ordering = ["enterprise", "-month"]
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "month"], name="unique_filing_month")
        ]

    def __str__(self):
        return f"{self.enterprise_id} {self.month:%Y-%m}"


class OutageNotice(models.Model):
    """报备: the enterprise reports that a device is down (maintenance, fault, shutdown).

    While a notice is active, the device's silence alarm says it was reported; the data are
    still counted as missing (a notice does not excuse gaps in the trial).
    """

    enterprise = models.ForeignKey(
        "portal.Enterprise", on_delete=models.CASCADE, related_name="outage_notices"
    )
    device = models.ForeignKey(
        "telemetry.EndDevice",
        verbose_name=_("端设备"),
        on_delete=models.CASCADE,
        related_name="outage_notices",
    )
    starts_at = models.DateTimeField(_("停运开始时间"))
    expected_end = models.DateTimeField(_("预计恢复时间"))
    reason = models.TextField(_("停运原因"))
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    filed_at = models.DateTimeField(_("报备时间"), auto_now_add=True)
    resolved_at = models.DateTimeField(_("恢复时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("停运报备")
        verbose_name_plural = _("停运报备")
        ordering = ["-starts_at"]

    def __str__(self):
        return f"{self.device_id} {self.starts_at:%Y-%m-%d %H:%M}"

    def is_active_at(self, when) -> bool:
        return self.resolved_at is None and self.starts_at <= when
