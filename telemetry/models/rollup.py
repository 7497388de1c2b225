from django.db import models
from django.utils.translation import gettext_lazy as _


class DailyRollup(models.Model):
    """Per data item and Beijing calendar day: which slots arrived, and how.

    Kept current as readings are ingested (never recomputed by scanning readings): each
    mask is a bitmap of slot indexes (bit i = slot i of the day, 96 bits at 15 minutes),
    stored as hex; the counts beside them are the masks' popcounts, so the trial, the
    completeness chart and the gap list are answered from here in SQL.
    """

    item = models.ForeignKey("telemetry.DataItem", on_delete=models.CASCADE, related_name="rollups")
    enterprise = models.ForeignKey("portal.Enterprise", on_delete=models.CASCADE, related_name="+")
    day = models.DateField(_("日期"))
    expected = models.PositiveSmallIntegerField(_("应报"))
    on_time = models.PositiveSmallIntegerField(_("按时"), default=0)
    backfilled = models.PositiveSmallIntegerField(_("补传"), default=0)
    late = models.PositiveSmallIntegerField(_("迟到"), default=0)
    suspect = models.PositiveSmallIntegerField(_("可疑（valid=0）"), default=0)
    on_time_mask = models.CharField(max_length=24, default="0")
    backfilled_mask = models.CharField(max_length=24, default="0")
    late_mask = models.CharField(max_length=24, default="0")
    suspect_mask = models.CharField(max_length=24, default="0")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("日汇总")
        verbose_name_plural = _("日汇总")
        constraints = [
            models.UniqueConstraint(fields=["item", "day"], name="unique_rollup_item_day")
        ]
        indexes = [models.Index(fields=["enterprise", "day"], name="rollup_enterprise_day_idx")]

    def __str__(self):
        return f"{self.item_id} {self.day}"

    @property
    def received(self) -> int:
        return self.on_time + self.backfilled + self.late

    @property
    def missing(self) -> int:
        return max(self.expected - self.received, 0)
