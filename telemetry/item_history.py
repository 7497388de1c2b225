"""The items as registered on each day: expected slots per item per day, from the history.

``DataItemRevision`` keeps, per item, the slot-relevant values from each Beijing day on
which they changed (see ``telemetry.models.item_change``). The stable-upload trial must
count the slots expected of the items *as they were registered on each day*, so that
deactivating or relaxing an item later does not rewrite the days already judged.
"""

from __future__ import annotations

from datetime import date

from django.db import connection

from .models import DataItem, DataItemRevision
from .timeslots import StatType

COLUMNS = ("enterprise_id", "item_id", "day", "stat_type", "interval_minutes", "expected_slots")


def _days_sql(vendor: str) -> str:
    """A one-column relation ``days(day)`` of the dates from the first to the second param."""
    if vendor == "postgresql":
        return (
            "SELECT g.d::date AS day "
            "FROM generate_series(%s::date, %s::date, interval '1 day') AS g(d)"
        )
    # SQLite (and any database with recursive CTEs and ISO date text).
    return (
        "WITH RECURSIVE series(day) AS (SELECT date(%s) UNION ALL "
        "SELECT date(day, '+1 day') FROM series WHERE day < date(%s)) SELECT day FROM series"
    )


def _ids(enterprises) -> list[int]:
    if isinstance(enterprises, int):
        return [enterprises]
    if hasattr(enterprises, "pk"):
        return [enterprises.pk]
    if hasattr(enterprises, "values_list"):
        return list(enterprises.values_list("pk", flat=True))
    return [getattr(e, "pk", e) for e in enterprises]


def revision_spans_sql(enterprises, end: date) -> tuple[str, list]:
    """SQL and params for the revisions of the enterprises' items as spans of days.

    Columns ``enterprise_id, item_id, valid_from, valid_to, stat_type, interval_minutes,
    kind_interval, is_active``: each revision holds from ``valid_from`` up to (not
    including) ``valid_to``, the next revision's day (NULL: it still holds).
    ``kind_interval`` groups daily items under 0. Only revisions from ``end`` or earlier.
    """
    ids = _ids(enterprises) or [None]
    revision, item = DataItemRevision._meta.db_table, DataItem._meta.db_table
    marks = ", ".join(["%s"] * len(ids))
    sql = f"""
SELECT i.enterprise_id, r.item_id, r.valid_from,
       LEAD(r.valid_from) OVER (PARTITION BY r.item_id ORDER BY r.valid_from) AS valid_to,
       r.stat_type, r.interval_minutes, r.is_active,
       CASE WHEN r.stat_type = {int(StatType.DAILY)} THEN 0 ELSE r.interval_minutes END
           AS kind_interval
FROM {revision} r JOIN {item} i ON i.id = r.item_id
WHERE i.enterprise_id IN ({marks}) AND r.valid_from <= %s"""
    return sql, [*ids, end]


def as_date(value) -> date:
    """A DATE column as PostgreSQL (date) or SQLite (ISO text) returns it."""
    return value if isinstance(value, date) else date.fromisoformat(value)


def expected_slots_sql(enterprises, start: date, end: date, *, vendor: str | None = None):
    """SQL and params for the slots expected of each item on each day, from the revisions.

    Contract (what the trial joins against):

    * ``enterprises``: an Enterprise, its id, an iterable of either, or a queryset of them.
    * ``start``/``end``: Beijing calendar days, both included.
    * Returns ``(sql, params)`` for one SELECT without ORDER BY, to run as is or to wrap as a
      subquery or CTE (``WITH expected AS (<sql>) ...``), with the columns
      ``enterprise_id, item_id, day, stat_type, interval_minutes, expected_slots``.
    * One row per item and day on which the item, **as registered that day** (the revision
      with the greatest ``valid_from`` on or before the day), was active and judged: real-time
      items give ``1440 / interval_minutes`` slots (96, 48 or 24), daily items 1. Days before
      an item's first revision, days it was inactive, and monthly or yearly items give no
      row, so ``SUM(expected_slots)`` is the day's expected total.
    * ``day`` is a DATE on PostgreSQL and ISO text on SQLite (compare it with a date param).
    * Counted in SQL: days come from ``generate_series`` on PostgreSQL and a recursive CTE
      elsewhere; revision spans from ``LEAD(valid_from)``.
    """
    vendor = vendor or connection.vendor
    spans, params = revision_spans_sql(enterprises, end)
    judged = f"{int(StatType.REALTIME)}, {int(StatType.DAILY)}"
    sql = f"""
SELECT s.enterprise_id, s.item_id, days.day, s.stat_type, s.interval_minutes,
       CASE WHEN s.stat_type = {int(StatType.REALTIME)} THEN 1440 / s.interval_minutes
            ELSE 1 END AS expected_slots
FROM ({spans}) s
JOIN ({_days_sql(vendor)}) days
  ON s.valid_from <= days.day AND (s.valid_to IS NULL OR days.day < s.valid_to)
WHERE s.is_active AND s.stat_type IN ({judged})"""
    return sql, [*params, start, end]


def expected_slots(enterprises, start: date, end: date) -> list[tuple]:
    """Run ``expected_slots_sql``: a list of (enterprise_id, item_id, day, stat_type,
    interval_minutes, expected_slots) ordered by item and day, with ``day`` a date."""
    sql, params = expected_slots_sql(enterprises, start, end)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM ({sql}) x ORDER BY item_id, day", params)
        rows = cursor.fetchall()
    return [(e, i, as_date(d), s, n, int(x)) for e, i, d, s, n, x in rows]
