from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class RelayFlagStatus(models.TextChoices):
    OPEN = "open", _("待审核")
    EXPLAINED = "explained", _("已说明")
    CONFIRMED = "confirmed", _("确认中转")


class RelayFlag(models.Model):
    """Uploads of an enterprise from one address that was not its VPN tunnel address (or
    while it had no usable VPN address to compare with): possibly relayed through a third
    party, the seed's fail condition 3. One flag per enterprise and address; it holds the
    trial's pass until a reviewer explains it or confirms it."""

    enterprise = models.ForeignKey(
        "portal.Enterprise", on_delete=models.CASCADE, related_name="relay_flags"
    )
    # Empty when the request's address could not be read at all.
    source_ip = models.CharField(_("来源地址"), max_length=45, blank=True)
    first_seen = models.DateTimeField(_("首次上传"))
    last_seen = models.DateTimeField(_("最近上传"))
    batch_count = models.PositiveIntegerField(_("上传批次数"), default=0)
    status = models.CharField(
        _("状态"), max_length=20, choices=RelayFlagStatus, default=RelayFlagStatus.OPEN
    )
    reason = models.TextField(_("审核说明"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(_("审核时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("疑似第三方中转")
        verbose_name_plural = _("疑似第三方中转")
        ordering = ["-last_seen"]
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "source_ip"], name="one_relay_flag_per_address"
            )
        ]
        indexes = [models.Index(fields=["enterprise", "status"], name="relay_flag_status_idx")]

    def __str__(self):
        return f"{self.enterprise_id} {self.source_ip or '?'} · {self.get_status_display()}"
