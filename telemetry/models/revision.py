from django.db import models
from django.utils.translation import gettext_lazy as _

from .reading import ArrivalClass, batch_link


class ReadingRevision(models.Model):
    """A stored reading replaced by a later one for the same slot (SPEC §9: last write wins,
    keep history).

    Written by the ingestion in the same statement that replaces the reading
    (``telemetry.corrections``): the value it had (``old_*``) and the one that replaced it,
    with the batches that carried each (None: filed by hand). Belongs to the item's
    enterprise, and follows its visibility.
    """

    enterprise = models.ForeignKey("portal.Enterprise", on_delete=models.CASCADE, related_name="+")
    item = models.ForeignKey(
        "telemetry.DataItem", on_delete=models.CASCADE, related_name="reading_revisions"
    )
    slot = models.DateTimeField(_("统计时间（statDate）"))
    old_value = models.DecimalField(_("原数值"), max_digits=20, decimal_places=4)
    old_valid = models.BooleanField(_("原有效标志"))
    old_arrival = models.PositiveSmallIntegerField(_("原到达类别"), choices=ArrivalClass)
    old_received_at = models.DateTimeField(_("原接收时间"))
    old_batch = batch_link()
    value = models.DecimalField(_("更正后数值"), max_digits=20, decimal_places=4)
    valid = models.BooleanField(_("更正后有效标志"))
    arrival = models.PositiveSmallIntegerField(_("更正后到达类别"), choices=ArrivalClass)
    received_at = models.DateTimeField(_("更正接收时间"))
    batch = batch_link()
    replaced_at = models.DateTimeField(_("更正入库时间"))

    class Meta:
        verbose_name = _("读数更正记录")
        verbose_name_plural = _("读数更正记录")
        indexes = [
            models.Index(fields=["enterprise", "-replaced_at"], name="revision_enterprise_idx"),
            models.Index(fields=["item", "slot"], name="revision_item_slot_idx"),
        ]

    def __str__(self):
        return f"{self.item_id} @ {self.slot:%Y-%m-%d %H:%M}"
