"""The annual audit's evidence pack, computed in SQL from the daily roll-ups and the records
(never by looping over readings): the year's completeness, success and on-time rates per item
and month, days without data and silent periods, relay flags, certificates revoked or expired,
change records since acceptance, items added or retired, the O&M contract against the audit
date."""

from datetime import date, timedelta

from django.db.models import F, OuterRef, Q, Subquery, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from applications.models import AccessApplication, ChangeRecord, DeviceCertificate
from applications.services.meters import ledger_summary
from telemetry.models import DailyRollup, DataItem, DataItemRevision, RelayFlag

SILENT_RUN_DAYS = 3  # a run of days without any data this long is listed as a silent period


def rate(part, whole) -> float | None:
    return round(100 * part / whole, 2) if whole else None


def _year_bounds(year: int, accepted_on: date | None) -> tuple[date, date]:
    start = max(date(year, 1, 1), accepted_on or date(year, 1, 1))
    end = min(date(year, 12, 31), timezone.localdate() - timedelta(days=1))
    return start, end


def monthly_rates(enterprise, start: date, end: date) -> list[dict]:
    """Per item and month: expected, on time, received, suspect and the three rates."""
    rows = (
        DailyRollup.objects.filter(enterprise=enterprise, day__gte=start, day__lte=end)
        .annotate(month=TruncMonth("day"))
        .values("item_id", "item__data_code", "item__name", "month")
        .annotate(
            n_expected=Sum("expected"),
            n_on_time=Sum("on_time"),
            n_received=Sum(F("on_time") + F("backfilled")),
            n_suspect=Sum("suspect"),
        )
        .order_by("item__data_code", "month")
    )
    return [
        {
            "item": row["item__data_code"],
            "name": row["item__name"],
            "month": row["month"].strftime("%Y-%m"),
            "expected": row["n_expected"],
            "received": row["n_received"],
            "on_time": row["n_on_time"],
            "completeness": rate(row["n_received"], row["n_expected"]),
            "success": rate(row["n_received"] - row["n_suspect"], row["n_expected"]),
            "on_time_rate": rate(row["n_on_time"], row["n_expected"]),
        }
        for row in rows
    ]


def silent_periods(enterprise, start: date, end: date) -> tuple[int, list[dict]]:
    """Days of the period with no data at all, and the runs of them ≥ SILENT_RUN_DAYS.

    The days with data come from one grouped query; the calendar walk is over ≤ 366 days."""
    with_data = set(
        DailyRollup.objects.filter(enterprise=enterprise, day__gte=start, day__lte=end)
        .values("day")
        .annotate(n_received=Sum(F("on_time") + F("backfilled")))
        .filter(n_received__gt=0)
        .values_list("day", flat=True)
    )
    silent, runs, run_start, day = 0, [], None, start
    while day <= end + timedelta(days=1):
        quiet = day <= end and day not in with_data
        if quiet:
            silent += 1
            run_start = run_start or day
        elif run_start is not None:
            length = (day - run_start).days
            if length >= SILENT_RUN_DAYS:
                runs.append(
                    {
                        "from": run_start.isoformat(),
                        "to": (day - timedelta(days=1)).isoformat(),
                        "days": length,
                    }
                )
            run_start = None
        day += timedelta(days=1)
    return silent, runs


def items_retired(enterprise, start: date, end: date) -> int:
    """Items retired (停用) within [start, end]: a registration revision from that period
    that is inactive while the revision before it was active (DataItemRevision, one query).
    An item registered inactive, or retired in an earlier year, does not count."""
    before = DataItemRevision.objects.filter(
        item=OuterRef("item"), valid_from__lt=OuterRef("valid_from")
    ).order_by("-valid_from")
    return (
        DataItemRevision.objects.filter(
            item__enterprise=enterprise, is_active=False, valid_from__range=(start, end)
        )
        .annotate(was_active=Subquery(before.values("is_active")[:1]))
        .filter(was_active=True)
        .values("item")
        .distinct()
        .count()
    )


def evidence_pack(audit, accepted_on: date | None = None) -> dict:
    enterprise, year = audit.enterprise, audit.plan.year
    start, end = _year_bounds(year, accepted_on)
    months = monthly_rates(enterprise, start, end) if start <= end else []
    totals = DailyRollup.objects.filter(
        enterprise=enterprise, day__gte=start, day__lte=end
    ).aggregate(
        n_expected=Sum("expected"),
        n_received=Sum(F("on_time") + F("backfilled")),
        n_on_time=Sum("on_time"),
        n_suspect=Sum("suspect"),
    )
    expected = totals["n_expected"] or 0
    received = totals["n_received"] or 0
    silent_days, silent_runs = silent_periods(enterprise, start, end) if start <= end else (0, [])
    year_start, year_end = date(year, 1, 1), date(year, 12, 31)
    flags = RelayFlag.objects.filter(
        enterprise=enterprise, last_seen__date__gte=year_start, first_seen__date__lte=year_end
    ).order_by("first_seen")
    certificates = DeviceCertificate.objects.filter(enterprise=enterprise).filter(
        Q(revoked_at__date__range=(year_start, year_end))
        | Q(not_after__date__range=(year_start, year_end))
    )
    access = AccessApplication.objects.approved_for(enterprise)
    changes = ChangeRecord.objects.filter(scheme__enterprise=enterprise)
    if accepted_on:
        changes = changes.filter(changed_on__gte=accepted_on)
    items = DataItem.objects.filter(enterprise=enterprise)
    return {
        "period": {"from": start.isoformat(), "to": end.isoformat()},
        "totals": {
            "expected": expected,
            "completeness": rate(received, expected),
            "success": rate(received - (totals["n_suspect"] or 0), expected),
            "on_time_rate": rate(totals["n_on_time"] or 0, expected),
        },
        "months": months,
        "silent_days": silent_days,
        "silent_runs": silent_runs,
        "relay_flags": [
            {
                "first_seen": timezone.localtime(f.first_seen).date().isoformat(),
                "last_seen": timezone.localtime(f.last_seen).date().isoformat(),
                "source_ip": f.source_ip,
                "status": f.get_status_display(),
                "reason": f.reason,
            }
            for f in flags
        ],
        "certificates": [
            {
                "serial": c.serial_hex,
                "device": c.device_serial,
                "revoked_at": c.revoked_at.date().isoformat() if c.revoked_at else None,
                "not_after": c.not_after.date().isoformat(),
            }
            for c in certificates
        ],
        "changes": [
            {
                "changed_on": c.changed_on.isoformat(),
                "content": c.content,
                "state": c.get_state_display(),
            }
            for c in changes.order_by("changed_on")
        ],
        "items_added": items.filter(created_at__date__range=(year_start, year_end)).count(),
        "items_inactive": items_retired(enterprise, year_start, year_end),
        # 计量器具台账: "计量器具在检定/校准有效期内" and the GB 17167 configuration.
        "meters": ledger_summary(enterprise, today=min(end, timezone.localdate())),
        "om_contract_end": access.om_contract_end.isoformat() if access else None,
        "om_contract_valid": bool(
            access and access.om_contract_end >= min(year_end, timezone.localdate())
        ),
    }
