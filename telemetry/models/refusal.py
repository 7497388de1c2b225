from django.db import models
from django.utils.translation import gettext_lazy as _


class RefusalReason(models.TextChoices):
    REVOKED = "revoked", _("证书已吊销")
    EXPIRED = "expired", _("证书已过期")
    BAD_SIGNATURE = "bad_signature", _("签名校验失败")
    SUBJECT_MISMATCH = "subject_mismatch", _("证书主题与企业不符")
    UNKNOWN_DEVICE = "unknown_device", _("端设备未登记或已停用")


class UploadRefusal(models.Model):
    """Device requests refused at authentication that can be attributed to an enterprise
    (the certificate they name is known), aggregated per certificate, reason and hour.

    One row per (enterprise, certificate, reason, hour) with a counter, written by one
    INSERT … ON CONFLICT statement (``telemetry.refusals.record``): a device repeating a
    bad signature adds to a counter instead of filling the table.
    """

    enterprise = models.ForeignKey(
        "portal.Enterprise", on_delete=models.CASCADE, related_name="upload_refusals"
    )
    cert_serial = models.CharField(_("证书序列号"), max_length=40)
    device_serial = models.CharField(_("端设备编号"), max_length=64, blank=True)
    reason = models.CharField(_("拒收原因"), max_length=20, choices=RefusalReason)
    hour = models.DateTimeField(_("时段（小时）"))
    count = models.PositiveIntegerField(_("次数"), default=1)
    first_at = models.DateTimeField(_("首次"))
    last_at = models.DateTimeField(_("最近一次"))

    class Meta:
        verbose_name = _("拒收的上传")
        verbose_name_plural = _("拒收的上传")
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "cert_serial", "reason", "hour"],
                name="unique_refusal_hour",
            )
        ]
        indexes = [models.Index(fields=["enterprise", "-last_at"], name="refusal_recent_idx")]

    def __str__(self):
        return f"{self.enterprise_id} {self.reason} {self.hour:%Y-%m-%d %H}h ×{self.count}"
