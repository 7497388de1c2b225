"""Per-item figures of a trial's current window, for the trial page (one GROUP BY on roll-ups).

The window is the days the trial passed on, or while it runs the due days of the current
count (from the latest restart of the count to yesterday; today is not yet due). Each
real-time and daily item registered (and active) on some day of it gets one row: expected,
on time, backfilled, late, missing, suspect, and the success and on-time rates, as the
per-day table defines them (DESIGN §4).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db import connection as db_connection
from django.utils import timezone
from django.utils.translation import gettext as _

from ..item_history import expected_slots_sql
from ..models import DailyRollup, DataItem, TrialRun, TrialStatus
from ..models.trial import percent
from ..timeslots import STAT_TYPE_LABELS, StatType
from .trial import _ratio


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
    """(window, one ItemFigures per item judged on some day of it) in two queries.

    Expected slots come from the items as registered on each day (``item_history``), and
    the arrivals from the roll-ups of exactly those items on those days, as the trial counts.
    """
    window = window_of(run, today)
    if window is None:
        return None, []
    expected_sql, params = expected_slots_sql(run.connection.enterprise_id, *window)
    rollup = DailyRollup._meta.db_table
    sql = f"""
SELECT e.item_id, SUM(e.expected_slots), COALESCE(SUM(r.on_time), 0),
       COALESCE(SUM(r.backfilled), 0), COALESCE(SUM(r.late), 0), COALESCE(SUM(r.suspect), 0)
FROM ({expected_sql}) e
LEFT JOIN {rollup} r ON r.item_id = e.item_id AND r.day = e.day
GROUP BY e.item_id"""
    with db_connection.cursor() as cursor:
        cursor.execute(sql, params)
        sums = {row[0]: [int(n) for n in row[1:]] for row in cursor.fetchall()}
    rows = []
    for item in DataItem.objects.filter(pk__in=list(sums)).order_by("data_code"):
        expected, on_time, backfilled, late, suspect = sums[item.pk]
        rows.append(ItemFigures(item, expected, on_time, backfilled, late, suspect))
    return window, rows


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
