from django.db import models
from django.utils.translation import gettext_lazy as _


class EndDevice(models.Model):
    """端设备: the enterprise's data-collection device, the only client allowed to upload."""

    enterprise = models.ForeignKey(
        "portal.Enterprise", on_delete=models.CASCADE, related_name="end_devices"
    )
    serial = models.CharField(_("端设备编号"), max_length=64)
    manufacturer = models.CharField(_("端设备制造厂商"), max_length=100)
    model = models.CharField(_("端设备型号"), max_length=100)
    manufacture_date = models.DateField(_("端设备出厂日期"), null=True, blank=True)
    test_report = models.ForeignKey(
        "portal.Attachment",
        verbose_name=_("端设备测试报告"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    is_active = models.BooleanField(_("启用"), default=True)
    last_seen_at = models.DateTimeField(_("最近上传时间"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("端设备")
        verbose_name_plural = _("端设备")
        ordering = ["enterprise", "serial"]
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "serial"], name="unique_device_serial")
        ]

    def __str__(self):
        return f"{self.manufacturer} {self.model} ({self.serial})"
