from django.db import models
from django.utils.translation import gettext_lazy as _


class ArrivalClass(models.IntegerChoices):
    ON_TIME = 0, _("按时")
    BACKFILLED = 1, _("补传（下一周期内）")
    LATE = 2, _("迟到")


def batch_link() -> models.ForeignKey:
    """The upload batch that carried a reading (None: filed by hand)."""
    return models.ForeignKey(
        "telemetry.UploadBatch",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        db_constraint=False,  # batches are pruned independently of the readings they carried
        related_name="+",
    )


class Reading(models.Model):
    """One value of one data item for one slot (the start of its statistical period).

    The key is (slot, item): one row per slot, the reading received last (an exact repeat
    changes nothing; a correction replaces it, the old one kept as ``ReadingRevision``), and
    leading with the time lets PostgreSQL partition the table by slot range and keeps
    COPY-speed appends (DESIGN section 4).
    """

    pk = models.CompositePrimaryKey("slot", "item")
    slot = models.DateTimeField(_("统计时间（statDate）"))
    item = models.ForeignKey(
        "telemetry.DataItem", on_delete=models.CASCADE, related_name="readings"
    )
    value = models.DecimalField(_("数值"), max_digits=20, decimal_places=4)
    valid = models.BooleanField(_("有效"), default=True)
    arrival = models.PositiveSmallIntegerField(_("到达"), choices=ArrivalClass)
    received_at = models.DateTimeField(_("接收时间"))
    batch = batch_link()

    class Meta:
        verbose_name = _("读数")
        verbose_name_plural = _("读数")
        indexes = [models.Index(fields=["item", "slot"], name="reading_item_slot_idx")]

    def __str__(self):
        return f"{self.item_id} @ {self.slot:%Y-%m-%d %H:%M}"
