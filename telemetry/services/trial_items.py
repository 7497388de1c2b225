"""Per-item figures of a trial's current window, for the trial page (one GROUP BY on roll-ups).

The window is the days the trial passed on, or while it runs the due days of the current
count (from the latest restart of the count to yesterday; today is not yet due). Each active
real-time and daily item of the enterprise gets one row: expected, on time, backfilled,
late, missing, suspect, and the success and on-time rates, as the per-day table defines
them (DESIGN §4).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import DailyRollup, DataItem, TrialRun, TrialStatus
from ..models.trial import percent
from ..timeslots import STAT_TYPE_LABELS, StatType
from .trial import JUDGED_STAT_TYPES, _ratio, slots_per_day


@dataclass
class ItemFigures:
    item: DataItem
    expected: int
    on_time: int = 0
    backfilled: int = 0
    late: int = 0
    suspect: int = 0

    @property
    def missing(self) -> int:
        return max(self.expected - self.on_time - self.backfilled, 0)

    @property
    def successful(self) -> int:
        return max(min(self.on_time + self.backfilled - self.suspect, self.expected), 0)

    @property
    def success_rate(self) -> str:
        return percent(_ratio(self.successful, self.expected))

    @property
    def on_time_rate(self) -> str:
        return percent(_ratio(min(self.on_time, self.expected), self.expected))

    @property
    def kind(self) -> str:
        if self.item.stat_type == StatType.REALTIME:
            return _("%(n)s 分钟") % {"n": self.item.interval_minutes}
        return str(STAT_TYPE_LABELS[StatType(self.item.stat_type)])


def window_of(run: TrialRun, today: date) -> tuple[date, date] | None:
    """The days the per-item figures cover, or None before the first due day.

    As of the run's latest evaluation, so they agree with its per-day table."""
    if run.status == TrialStatus.PASSED and run.window_start:
        return run.window_start, run.window_end
    if run.evaluated_at is not None:
        today = min(today, timezone.localdate(run.evaluated_at))
    first = run.counted_from or run.started_on
    last = today - timedelta(days=1)
    if run.finished_at is not None:
        last = min(last, run.finished_at.date())
    return (first, last) if last >= first else None


def item_figures(run: TrialRun, today: date) -> tuple[tuple[date, date] | None, list]:
    """(window, one ItemFigures per active judged item) in two queries."""
    window = window_of(run, today)
    if window is None:
        return None, []
    enterprise_id = run.connection.enterprise_id
    days = (window[1] - window[0]).days + 1
    items = DataItem.objects.filter(
        enterprise_id=enterprise_id, is_active=True, stat_type__in=JUDGED_STAT_TYPES
    ).order_by("data_code")
    rows = {
        item.pk: ItemFigures(
            item, days * slots_per_day(item.stat_type, item.interval_minutes or 15)
        )
        for item in items
    }
    sums = (
        DailyRollup.objects.filter(item_id__in=list(rows), day__range=window)
        .values_list("item_id")
        .annotate(Sum("on_time"), Sum("backfilled"), Sum("late"), Sum("suspect"))
        .order_by()
    )
    for item_id, on_time, backfilled, late, suspect in sums:
        row = rows[item_id]
        row.on_time, row.backfilled, row.late, row.suspect = on_time, backfilled, late, suspect
    return window, list(rows.values())


def day_chart(run: TrialRun) -> dict:
    """The per-day figures as stacked bars: on time, backfilled, late, missing."""
    due = [d for d in run.days if d.get("state") != "pending"]
    return {
        "labels": [d["day"][5:] for d in due],
        "datasets": [
            {"label": str(_("按期到达")), "data": [d.get("on_time", 0) for d in due]},
            {"label": str(_("补传")), "data": [d.get("backfilled", 0) for d in due]},
            {"label": str(_("迟到")), "data": [d.get("late", 0) for d in due]},
            {
                "label": str(_("缺失（不含迟到）")),
                "data": [max(d.get("missing", 0) - d.get("late", 0), 0) for d in due],
            },
        ],
    }
