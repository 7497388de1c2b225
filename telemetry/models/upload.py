from django.db import models
from django.utils.translation import gettext_lazy as _


class BatchStatus(models.TextChoices):
    QUEUED = "queued", _("已接收，待入库")
    STORED = "stored", _("已入库")
    REFUSED = "refused", _("已拒收")


class UploadBatch(models.Model):
    """One upload request, stored durably before the device gets its answer.

    The raw body is kept as received (it is what the signature covers). Beside it the
    upload stores the readings it accepted, already checked and classified
    (``staged_readings``, see ``telemetry.staging.stage``), so the worker moves them into
    the readings table in SQL without parsing anything; the column is emptied once they are
    stored. Nothing but this row has to survive a crash between the answer and the
    ingestion.
    """

    enterprise = models.ForeignKey(
        "portal.Enterprise", on_delete=models.CASCADE, related_name="upload_batches"
    )
    device = models.ForeignKey(
        "telemetry.EndDevice", on_delete=models.CASCADE, related_name="upload_batches"
    )
    message_id = models.CharField(_("消息编号（messageId）"), max_length=64)
    body_sha256 = models.CharField(max_length=64)
    raw_body = models.BinaryField(_("原始报文"))
    cert_serial = models.CharField(_("证书序列号"), max_length=40)
    source_ip = models.GenericIPAddressField(_("来源地址"), null=True, blank=True)
    # The source address is not the enterprise's VPN address: data may have been relayed
    # through a third-party server (a fail condition of the acceptance, seed 5.5).
    relay_suspected = models.BooleanField(_("疑似第三方中转"), default=False)
    sent_at = models.DateTimeField(_("发送时间（sentAt）"))
    received_at = models.DateTimeField(_("接收时间"), db_index=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=BatchStatus, default=BatchStatus.QUEUED
    )
    record_count = models.PositiveIntegerField(_("记录数"), default=0)
    accepted_count = models.PositiveIntegerField(_("通过校验"), default=0)
    rejections = models.JSONField(_("拒收记录"), default=list, blank=True)
    # [[index, item_id, slot (epoch s), value, valid, arrival, statType, interval], ...]
    # until stored; None for batches the worker must parse from raw_body (older rows).
    staged_readings = models.JSONField(null=True, blank=True, editable=False)
    stored_count = models.PositiveIntegerField(_("新入库"), default=0)
    # Readings that replaced a stored one of the same slot (a later, different value or
    # valid flag: telemetry.corrections); duplicates are exact repeats and older readings.
    corrected_count = models.PositiveIntegerField(_("更正"), default=0)
    duplicate_count = models.PositiveIntegerField(_("重复（已存在）"), default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    stored_at = models.DateTimeField(_("入库时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("上传批次")
        verbose_name_plural = _("上传批次")
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(fields=["device", "message_id"], name="unique_device_message")
        ]
        indexes = [
            models.Index(
                fields=["received_at"],
                condition=models.Q(status="queued"),
                name="batch_queued_idx",
            ),
            models.Index(fields=["enterprise", "-received_at"], name="batch_enterprise_idx"),
            # The device's contact times, for the outage rule of backfill (staging).
            models.Index(fields=["device", "received_at"], name="batch_device_contact_idx"),
        ]

    def __str__(self):
        return self.message_id
