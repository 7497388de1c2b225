from django.db import models
from django.utils.translation import gettext_lazy as _

from telemetry.texts import render


class AlarmKind(models.TextChoices):
    SILENT_DEVICE = "silent_device", _("端设备停止上传")
    SILENT_ITEM = "silent_item", _("采集项停止上传")
    COMPLETENESS = "completeness", _("数据完整率低于要求")
    CONSISTENCY = "consistency", _("日数据之和与月数据不一致")
    ALIGNMENT = "alignment", _("统计时间偏差超限")


class AlarmQuerySet(models.QuerySet):
    def open(self):
        return self.filter(cleared_at__isnull=True)


class Alarm(models.Model):
    """A data-quality or silence condition of one subject (device, item or enterprise).

    At most one open alarm per (kind, subject): the check that finds the condition again
    leaves the open row alone, so people are told once (``notified_at``); the check that
    finds it gone sets ``cleared_at``.
    """

    enterprise = models.ForeignKey(
        "portal.Enterprise", on_delete=models.CASCADE, related_name="telemetry_alarms"
    )
    device = models.ForeignKey(
        "telemetry.EndDevice", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    item = models.ForeignKey(
        "telemetry.DataItem", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(_("告警类型"), max_length=20, choices=AlarmKind)
    # "device:<pk>", "item:<pk>" or "item:<pk>:<yyyy-mm>": what the one-open-alarm rule keys on.
    subject = models.CharField(max_length=40)
    opened_at = models.DateTimeField(_("发生时间"))
    cleared_at = models.DateTimeField(_("解除时间"), null=True, blank=True)
    notified_at = models.DateTimeField(_("通知时间"), null=True, blank=True)
    detail = models.TextField(_("说明"), blank=True)
    # The detail as a telemetry.texts code and its parameters, shown in the reader's language;
    # ``detail`` stays the text people were told. Empty on alarms opened before the codes.
    detail_code = models.CharField(max_length=40, blank=True, default="")
    detail_params = models.JSONField(default=dict, blank=True)

    objects = AlarmQuerySet.as_manager()

    class Meta:
        verbose_name = _("数据告警")
        verbose_name_plural = _("数据告警")
        ordering = ["-opened_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "subject"],
                condition=models.Q(cleared_at__isnull=True),
                name="one_open_alarm_per_subject",
            )
        ]
        indexes = [models.Index(fields=["enterprise", "-opened_at"], name="alarm_enterprise_idx")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.subject}"

    @property
    def is_open(self) -> bool:
        return self.cleared_at is None

    @property
    def display_detail(self) -> str:
        return render(self.detail_code, self.detail_params, self.detail)
