"""The stable-upload trial (稳定上传试运行), judged from the daily roll-ups.

Every running trial of the province is evaluated together, in a fixed handful of
statements: one for the running trials, one for the expected slots per enterprise (from
the configured items, so a day without any data counts as all missing), one GROUP BY over
``DailyRollup`` for what arrived, and one bulk update of the figures. The Python that
follows looks at about fifteen day-rows per enterprise; readings are never touched.

The rules (docs/decisions/0002-stable-upload-trial.md):

* the window is ``TELEMETRY_TRIAL_DAYS`` Beijing calendar days from ``trial_started_on``;
* a slot is *received* when a reading for it arrived on time or backfilled (within the next
  reporting cycle, or after an outage within the first cycle after the device's first
  accepted upload, at most ``TELEMETRY_BACKFILL_CAP_HOURS`` after the slot), and
  *successful* when that reading is also valid (``valid=1``);
* a day is *complete* when every expected slot of it is received;
* a day *can no longer be completed* once its last slot can no longer arrive as backfilled
  (the later of the next-cycle window and the cap) while slots are still missing: the
  trial then fails, naming the day;
* the trial passes when every day of the window is complete and the success rate
  (successful / expected over the window) is at least ``TELEMETRY_TRIAL_SUCCESS_RATE``; it
  fails as soon as the unsuccessful slots of closed days make that rate unreachable.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_DOWN, Decimal

from django.conf import settings
from django.db import connection as db_connection
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from portal.workflow import TransitionRefused

from .. import bulk, texts
from ..item_history import as_date, revision_spans_sql
from ..models import (
    Connection,
    ConnectionState,
    DailyRollup,
    DataItem,
    TrialRun,
    TrialStatus,
)
from ..models.trial import percent  # noqa: F401 (re-exported to the views)
from ..staging import arrival_windows
from ..timeslots import BEIJING, ArrivalWindows, StatType, latest_backfill
from . import connection as connection_steps
from .relay import relay_hold
from .trial_review import flag_if_overdue

JUDGED_STAT_TYPES = (StatType.REALTIME, StatType.DAILY)


def trial_days() -> int:
    return settings.TELEMETRY_TRIAL_DAYS


def required_rate() -> Decimal:
    return Decimal(settings.TELEMETRY_TRIAL_SUCCESS_RATE)


def day_closes_at(day: date, stat_type: int, interval: int, windows: ArrivalWindows) -> datetime:
    """When the last slot of ``day`` (for items of this kind) can no longer arrive as
    backfilled by either rule: the next reporting cycle, or after an outage the first cycle
    after reconnection, at most ``backfill_cap`` after the slot (a device still silent may
    yet re-send it)."""
    last_slot = datetime(day.year, day.month, day.day, tzinfo=BEIJING)
    if stat_type == StatType.REALTIME:
        last_slot += timedelta(minutes=24 * 60 - interval)
    return latest_backfill(stat_type, last_slot, interval, windows)


def slots_per_day(stat_type: int, interval: int) -> int:
    return 24 * 60 // interval if stat_type == StatType.REALTIME else 1


# --- Judging one trial from its day rows (pure) ----------------------------------------------

# A day's state in the rolling count.
PENDING = "pending"  # today or later and not yet complete: not yet due, never missing
OPEN = "open"  # past, incomplete, but its slots may still arrive as backfilled
COMPLETE = "complete"
LOST = "lost"  # past its backfill window with slots missing: restarts the count
LOW_RATE = "low_rate"  # so many unsuccessful slots no window holding it can pass


@dataclass
class DayFigures:
    day: date
    expected: int = 0
    on_time: int = 0
    backfilled: int = 0
    late: int = 0
    suspect: int = 0
    successful: int = 0
    missing_closed: int = 0  # missing slots whose backfill window has closed
    closed: bool = False
    state: str = PENDING
    in_window: bool = False  # one of the days the trial passed on

    @property
    def received(self) -> int:
        """Slots that arrived on time or backfilled (late ones are not counted)."""
        return min(self.on_time + self.backfilled, self.expected)

    @property
    def missing(self) -> int:
        """Expected slots without a reading in time (late arrivals count here too)."""
        return self.expected - self.received

    @property
    def complete(self) -> bool:
        return self.expected > 0 and self.received >= self.expected

    @property
    def bad(self) -> bool:
        return self.state in (LOST, LOW_RATE)

    def as_json(self) -> dict:
        return {
            "day": self.day.isoformat(),
            "expected": self.expected,
            "on_time": self.on_time,
            "backfilled": self.backfilled,
            "late": self.late,
            "missing": self.missing,
            "suspect": self.suspect,
            "received": self.received,
            "successful": self.successful,
            "success_rate": str(_ratio(self.successful, self.expected) or ""),
            "on_time_rate": str(_ratio(min(self.on_time, self.expected), self.expected) or ""),
            "complete": self.complete,
            "closed": self.closed,
            "state": self.state,
            "in_window": self.in_window,
        }


@dataclass
class Verdict:
    days: list[DayFigures]
    expected: int  # the figures of the days counted now (since the latest bad day)
    received: int
    successful: int
    success_rate: Decimal | None
    complete_days: int
    consecutive_complete_days: int
    on_time: int = 0
    on_time_rate: Decimal | None = None
    counted_from: date | None = None
    outcome: str = TrialStatus.RUNNING
    reason_code: str = ""  # why the count restarted last (a telemetry.texts code)
    reason_params: dict = field(default_factory=dict)
    window: tuple[date, date] | None = None  # the days it passes on
    extra: dict = field(default_factory=dict)

    @property
    def reason(self) -> str:
        """The latest restart's reason as stored and told, in the portal's language."""
        return texts.stored_text(self.reason_code, self.reason_params)


def rate_basis() -> str:
    """Which rate carries the threshold: "success" (上传成功率) or "on_time" (一次上传成功率)."""
    return settings.TELEMETRY_TRIAL_RATE_BASIS


def _day_figures(day, kinds, arrived, now, windows) -> DayFigures:
    fig = DayFigures(day, closed=True)
    for (stat_type, interval), count in kinds.items():
        expected = count * slots_per_day(stat_type, interval)
        on_time, backfilled, late, suspect = arrived.get((day, stat_type, interval), (0, 0, 0, 0))
        on_time = min(on_time, expected)
        backfilled = min(backfilled, expected - on_time)
        fig.expected += expected
        fig.on_time += on_time
        fig.backfilled += backfilled
        fig.late += late
        fig.suspect += suspect
        fig.successful += max(min(on_time + backfilled - suspect, expected), 0)
        if now > day_closes_at(day, stat_type, interval, windows):
            fig.missing_closed += expected - on_time - backfilled
        else:
            fig.closed = False
    return fig


def judge(
    start: date,
    kinds: dict[tuple[int, int], int],
    arrived: dict[tuple[date, int, int], tuple[int, int, int, int]],
    now: datetime,
    *,
    days: int | None = None,
    rate: Decimal | None = None,
    windows: ArrivalWindows | None = None,
    basis: str | None = None,
) -> Verdict:
    """Judge one rolling trial from ``start`` up to ``now`` (DESIGN §4).

    ``kinds`` maps (stat_type, interval) to the number of active items of that kind, or
    maps each day to such a mapping (the items as registered that day, ``counts_by_day``);
    ``arrived`` maps (day, stat_type, interval) to (on time, backfilled, late, suspect),
    summed over the items of that kind. The trial passes on the first ``days`` consecutive
    complete days after the latest bad day whose rate meets ``rate``; a bad day (lost, or so
    many unsuccessful slots that no window holding it can pass) restarts the count.
    """
    days = days or trial_days()
    rate = required_rate() if rate is None else rate
    windows = windows or arrival_windows()
    basis = basis or rate_basis()
    today = now.astimezone(BEIJING).date()
    last = max(today, start + timedelta(days=days - 1))
    per_day = bool(kinds) and all(isinstance(key, date) for key in kinds)
    figures = []
    for n in range((last - start).days + 1):
        day = start + timedelta(days=n)
        figures.append(
            _day_figures(day, kinds.get(day, {}) if per_day else kinds, arrived, now, windows)
        )
    reset: tuple[str, dict] | None = None
    counted_from = start
    for fig in figures:
        unsuccessful = fig.expected - _rated(fig, basis)
        allowance = int((fig.expected * days * (1 - rate)).to_integral_value(ROUND_DOWN))
        if fig.complete:
            fig.state = COMPLETE
            if fig.closed and unsuccessful > allowance:
                fig.state = LOW_RATE
                reset = (
                    "trial_day_low_rate",
                    {
                        "day": fig.day.isoformat(),
                        "n": unsuccessful,
                        "allowed": allowance,
                        "days": days,
                    },
                )
        elif fig.missing_closed:
            fig.state = LOST
            reset = ("trial_day_lost", {"day": fig.day.isoformat(), "n": fig.missing_closed})
        elif fig.day < today:
            fig.state = OPEN
        if fig.bad or (per_day and not fig.expected and fig.day < today):
            # A bad day restarts the count; so does a past day on which no judged item was
            # registered yet (nothing to count, and nothing to hold the count back).
            counted_from = fig.day + timedelta(days=1)
    counted = [f for f in figures if f.day >= counted_from]
    run: list[DayFigures] = []
    for fig in counted:
        if fig.state != COMPLETE:
            break
        run.append(fig)
    judged = [f for f in counted if f.day < today or f.complete]
    verdict = Verdict(
        days=figures,
        expected=sum(f.expected for f in counted),
        received=sum(f.received for f in counted),
        successful=sum(f.successful for f in counted),
        on_time=sum(f.on_time for f in counted),
        success_rate=_ratio(sum(f.successful for f in judged), sum(f.expected for f in judged)),
        on_time_rate=_ratio(sum(f.on_time for f in judged), sum(f.expected for f in judged)),
        complete_days=sum(1 for f in figures if f.complete),
        consecutive_complete_days=len(run),
        counted_from=counted_from,
    )
    if reset is not None:
        verdict.reason_code, verdict.reason_params = reset
    if not kinds:
        return verdict  # no active items: nothing to judge until some are configured
    for end in range(days, len(run) + 1):
        window = run[end - days : end]
        expected = sum(f.expected for f in window)
        if _ratio(sum(_rated(f, basis) for f in window), expected) >= rate:
            for fig in window:
                fig.in_window = True
            verdict.window = (window[0].day, window[-1].day)
            verdict.days = [f for f in figures if f.day <= window[-1].day]
            verdict.expected = expected
            verdict.received = sum(f.received for f in window)
            verdict.successful = sum(f.successful for f in window)
            verdict.on_time = sum(f.on_time for f in window)
            verdict.success_rate = _ratio(verdict.successful, expected)
            verdict.on_time_rate = _ratio(verdict.on_time, expected)
            verdict.outcome = TrialStatus.PASSED
            break
    return verdict


def _rated(fig: DayFigures, basis: str) -> int:
    """The slots that count toward the threshold: successful ones, or those on time."""
    return min(fig.on_time, fig.expected) if basis == "on_time" else fig.successful


def _ratio(numerator: int, denominator: int) -> Decimal | None:
    if not denominator:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(Decimal("0.000001"), ROUND_DOWN)


# --- The province's trials, in a few statements -----------------------------------------------


@dataclass
class EvaluationSummary:
    evaluated: int = 0
    passed: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


def expected_kinds(enterprise_ids) -> dict[int, dict[tuple[int, int], int]]:
    """Active real-time and daily items per enterprise, counted by (stat_type, interval)."""
    rows = (
        DataItem.objects.filter(
            enterprise_id__in=enterprise_ids, is_active=True, stat_type__in=JUDGED_STAT_TYPES
        )
        .values_list("enterprise_id", "stat_type", "interval_minutes")
        .annotate(n=Count("pk"))
        .order_by()
    )
    kinds: dict[int, dict[tuple[int, int], int]] = defaultdict(dict)
    for enterprise_id, stat_type, interval, n in rows:
        if stat_type == StatType.DAILY:
            interval = 0  # the interval of a daily item means nothing; group them all
        kinds[enterprise_id][(stat_type, interval)] = (
            kinds[enterprise_id].get((stat_type, interval), 0) + n
        )
    return kinds


def counts_by_day(enterprise_ids, first_day: date, last_day: date) -> tuple[dict, dict]:
    """What each enterprise's items owed and delivered per day, in two SQL statements.

    Returns ``(kinds, arrived)``, each keyed by enterprise id: ``kinds[e][day]`` maps
    (stat_type, interval) to the number of items of that kind *as registered that day*
    (their revisions, ``telemetry.item_history``: a later deactivation or change does not
    rewrite judged days), and ``arrived[e]`` maps (day, stat_type, interval) to (on time,
    backfilled, late, suspect), summed from the roll-ups of exactly those items on that day.
    Daily items are grouped under interval 0.

    The items are counted per span of unchanged revisions (a handful of rows per
    enterprise), and only those spans are spread over the days here; the roll-ups are joined
    to the span that covers their day. Expanding every item over every day in SQL
    (``item_history.expected_slots_sql``) measured ~2x slower at province scale.
    """
    spans, span_params = revision_spans_sql(enterprise_ids, last_day)
    judged = f"{int(StatType.REALTIME)}, {int(StatType.DAILY)}"
    live = f"s.is_active AND s.stat_type IN ({judged})"
    counted = f"""
SELECT s.enterprise_id, s.stat_type, s.kind_interval, s.valid_from, s.valid_to, COUNT(*)
FROM ({spans}) s
WHERE {live} AND (s.valid_to IS NULL OR s.valid_to > %s)
GROUP BY s.enterprise_id, s.stat_type, s.kind_interval, s.valid_from, s.valid_to"""
    delivered = f"""
SELECT s.enterprise_id, roll.day, s.stat_type, s.kind_interval,
       SUM(roll.on_time), SUM(roll.backfilled), SUM(roll.late), SUM(roll.suspect)
FROM {DailyRollup._meta.db_table} roll
JOIN ({spans}) s ON s.item_id = roll.item_id AND s.valid_from <= roll.day
     AND (s.valid_to IS NULL OR roll.day < s.valid_to)
WHERE {live} AND roll.day >= %s AND roll.day <= %s
GROUP BY s.enterprise_id, roll.day, s.stat_type, s.kind_interval"""
    kinds: dict[int, dict] = defaultdict(lambda: defaultdict(dict))
    arrived: dict[int, dict] = defaultdict(dict)
    with db_connection.cursor() as cursor:
        cursor.execute(counted, [*span_params, first_day])
        for enterprise_id, stat_type, interval, valid_from, valid_to, items in cursor.fetchall():
            begin = max(as_date(valid_from), first_day)
            end = min(as_date(valid_to) - timedelta(days=1), last_day) if valid_to else last_day
            for offset in range((end - begin).days + 1):
                day_kinds = kinds[enterprise_id][begin + timedelta(days=offset)]
                key = (stat_type, interval)
                day_kinds[key] = day_kinds.get(key, 0) + items
        cursor.execute(delivered, [*span_params, first_day, last_day])
        for enterprise_id, day, stat_type, interval, *counts in cursor.fetchall():
            arrived[enterprise_id][(as_date(day), stat_type, interval)] = tuple(
                int(n) for n in counts
            )
    return kinds, arrived


def _running_trials() -> list[TrialRun]:
    """The open TrialRun of every running connection, opening the ones that are missing."""
    runs = {
        run.connection_id: run
        for run in TrialRun.objects.filter(
            status=TrialStatus.RUNNING, connection__state=ConnectionState.TRIAL_RUNNING
        ).select_related("connection")
    }
    stale = [run for run in runs.values() if run.started_on != run.connection.trial_started_on]
    orphans = Connection.objects.filter(state=ConnectionState.TRIAL_RUNNING).exclude(
        pk__in=[run.connection_id for run in runs.values() if run not in stale]
    )
    if stale or orphans.exists():
        # A trial started (or restarted) by another path than restart_trial(): open its run.
        for run in stale:
            _close_run(run, TrialStatus.RESTARTED, "trial_restarted")
            del runs[run.connection_id]
        for connection in orphans.select_related("enterprise"):
            runs[connection.pk] = open_trial_run(connection)
    return list(runs.values())


def open_trial_run(connection: Connection) -> TrialRun:
    number = (TrialRun.objects.filter(connection=connection).aggregate(n=Count("pk"))["n"] or 0) + 1
    start = connection.trial_started_on or timezone.localdate()
    run = TrialRun.objects.create(
        connection=connection,
        number=number,
        started_on=start,
        ends_on=start + timedelta(days=trial_days() - 1),
    )
    run.connection = connection
    return run


def _close_run(run: TrialRun, status: str, code: str = "", params: dict | None = None) -> None:
    run.status = status
    run.failure_code, run.failure_params = code, params or {}
    run.failure_reason = texts.stored_text(code, params)
    run.finished_at = timezone.now()
    run.save(
        update_fields=["status", "failure_reason", "failure_code", "failure_params", "finished_at"]
    )


def evaluate_trials(now: datetime | None = None) -> EvaluationSummary:
    """Evaluate every running trial; pass or fail those that are decided."""
    now = now or timezone.now()
    summary = EvaluationSummary()
    runs = _running_trials()
    if not runs:
        return summary
    enterprise_of = {run.connection_id: run.connection.enterprise_id for run in runs}
    first_day = min(run.started_on for run in runs)
    today = now.astimezone(BEIJING).date()
    last_day = max(today, *(run.ends_on for run in runs))
    kinds, arrived = counts_by_day(list(enterprise_of.values()), first_day, last_day)
    windows, rate, days = arrival_windows(), required_rate(), trial_days()
    decided = []
    for run in runs:
        enterprise_id = enterprise_of[run.connection_id]
        verdict = judge(
            run.started_on,
            kinds.get(enterprise_id, {}),
            arrived.get(enterprise_id, {}),
            now,
            days=days,
            rate=rate,
            windows=windows,
        )
        run.hold_reason = ""
        if verdict.outcome == TrialStatus.PASSED:
            hold = relay_hold(run.connection)
            if hold is not None:
                _withhold(verdict)
                run.hold_reason = hold
        _copy_figures(run, verdict, now, days)
        flag_if_overdue(run, today)
        if verdict.outcome != TrialStatus.RUNNING:
            decided.append((run, verdict))
    # One UPDATE .. FROM (VALUES ..) on PostgreSQL: Django's CASE per row and field cost
    # most of the evaluation at province scale (telemetry.bulk).
    bulk.bulk_update(TrialRun, runs, FIGURE_FIELDS)
    summary.evaluated = len(runs)
    for run, verdict in decided:
        if _finish(run, verdict):
            outcome = summary.passed if verdict.outcome == TrialStatus.PASSED else summary.failed
            outcome.append(run.connection_id)
    return summary


FIGURE_FIELDS = [
    "ends_on",
    "expected",
    "on_time",
    "received",
    "successful",
    "complete_days",
    "consecutive_complete_days",
    "success_rate",
    "on_time_rate",
    "days",
    "counted_from",
    "reset_code",
    "reset_params",
    "hold_reason",
    "window_start",
    "window_end",
    "flagged_at",
    "evaluated_at",
]


def _withhold(verdict: Verdict) -> None:
    """A pass held back (relay flags): the window is not yet the one it passes on."""
    verdict.outcome = TrialStatus.RUNNING
    verdict.window = None
    for fig in verdict.days:
        fig.in_window = False


def _copy_figures(run: TrialRun, verdict: Verdict, now: datetime, days: int) -> None:
    run.expected = verdict.expected
    run.on_time = verdict.on_time
    run.received = verdict.received
    run.successful = verdict.successful
    run.complete_days = verdict.complete_days
    run.consecutive_complete_days = verdict.consecutive_complete_days
    run.success_rate = verdict.success_rate
    run.on_time_rate = verdict.on_time_rate
    run.days = [fig.as_json() for fig in verdict.days]
    run.counted_from = verdict.counted_from
    run.ends_on = (verdict.counted_from or run.started_on) + timedelta(days=days - 1)
    run.reset_code, run.reset_params = verdict.reason_code, verdict.reason_params
    run.window_start, run.window_end = verdict.window or (None, None)
    run.evaluated_at = now


def _finish(run: TrialRun, verdict: Verdict) -> bool:
    """Pass or fail the connection and close the run together; False if someone else moved it."""
    passed = verdict.outcome == TrialStatus.PASSED
    context = {
        "trial": run.number,
        "success_rate": str(verdict.success_rate),
        "complete_days": verdict.complete_days,
    }
    try:
        with transaction.atomic():
            # The verdict was reached outside this transaction: if a reviewer restarted the
            # trial meanwhile, the connection is running a new window and this run is closed.
            # Lock the connection first (as restart_trial does) and judge only the open run.
            connection = Connection.objects.select_for_update().get(pk=run.connection_id)
            still_open = TrialRun.objects.filter(pk=run.pk, status=TrialStatus.RUNNING).exists()
            if not still_open or connection.trial_started_on != run.started_on:
                return False
            if passed:
                connection_steps.pass_trial(connection, context=context)
            else:
                connection_steps.fail_trial(
                    connection,
                    reason=verdict.reason,
                    reason_code=verdict.reason_code,
                    reason_params=verdict.reason_params,
                    context=context,
                )
            status = TrialStatus.PASSED if passed else TrialStatus.FAILED
            _close_run(run, status, verdict.reason_code, verdict.reason_params)
    except TransitionRefused:
        return False
    return True


# --- Restarting -------------------------------------------------------------------------------


def restart_trial(connection: Connection, actor, *, start: date | None = None, comment=""):
    """A reviewer starts a new window (default: the next Beijing day); returns the new run.

    Raises TransitionRefused when the actor may not, or the connection is not in a trial.
    """
    start = start or timezone.localdate() + timedelta(days=1)
    with transaction.atomic():
        outcome = connection_steps.restart_trial(connection, actor, start=start, comment=comment)
        for run in TrialRun.objects.select_for_update().filter(
            connection=connection, status=TrialStatus.RUNNING
        ):
            _close_run(run, TrialStatus.RESTARTED, "trial_restarted_by_reviewer")
        return open_trial_run(outcome.obj)
