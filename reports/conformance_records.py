"""The records around a passed trial that the conformance report quotes (reports.conformance).

Each function reads its records in one or two queries and returns plain JSON-ready data:
dates as ISO text (Beijing time), decimals as text, labels in Chinese (the report is printed
in Chinese whatever the reader's language). Readings and roll-ups are never read.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone, translation

from applications.models import AccessApplication, DesignScheme, DeviceCertificate, SchemeState
from portal.models import Region
from telemetry.energy import current_energy_types
from telemetry.models import (
    DataItemRevision,
    EndDevice,
    OutageNotice,
    RelayFlag,
    RelayFlagStatus,
    TrialRun,
)
from telemetry.services import energy_history
from telemetry.timeslots import BEIJING, StatType

OTHER_TYPE = "其他（非能源品种数据项）"


def iso(value) -> str | None:
    """A date as 2026-03-01, a moment as ISO text in Beijing time."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(BEIJING).isoformat()
    return value.isoformat()


def plain(number) -> str:
    """A decimal as people write it: 6000000, 10, 99.9 (never 6E+6)."""
    return f"{Decimal(number).normalize():f}"


def person(user) -> str:
    """How a report names a person: the portal's full name, else the login name."""
    if user is None:
        return ""
    return getattr(user, "full_name", "") or user.get_full_name() or user.get_username()


def start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=BEIJING)


def zh(label) -> str:
    """A choice's label in Chinese, whatever language the drafting reviewer reads."""
    with translation.override("zh-hans"):
        return str(label)


def zh_region(code: str) -> str:
    return zh(Region(code).label) if code in Region.values else code


def scheme_and_application(enterprise) -> dict:
    """The approved access application (附表1) and its design scheme (else the finalised one)."""
    application = AccessApplication.objects.select_related("design_scheme").approved_for(enterprise)
    scheme = application.design_scheme if application else None
    if scheme is None:
        scheme = (
            DesignScheme.objects.filter(enterprise=enterprise, state=SchemeState.FINALISED)
            .order_by("-finalised_at", "-pk")
            .first()
        )
    return {
        "design_scheme": None
        if scheme is None
        else {
            "number": scheme.number,
            "revision": scheme.revision,
            "finalised_at": iso(scheme.finalised_at),
        },
        "application": None
        if application is None
        else {
            "id": application.pk,
            "application_date": iso(application.application_date),
            "approved_at": iso(application.reviewed_at),
            "builder_name": application.builder_name,
            "declared_points": application.monitoring_points,
            "declared_energy_types": list(application.energy_types or []),
        },
    }


def devices(enterprise) -> list[dict]:
    """The active end devices, each with the serial of its latest valid certificate."""
    active = list(EndDevice.objects.filter(enterprise=enterprise, is_active=True))
    now = timezone.now()
    certificates: dict[str, DeviceCertificate] = {}
    for cert in DeviceCertificate.objects.filter(
        enterprise=enterprise,
        device_serial__in=[d.serial for d in active],
        revoked_at__isnull=True,
        not_after__gt=now,
    ).order_by("issued_at", "pk"):
        certificates[cert.device_serial] = cert  # the latest issued valid one wins
    rows = []
    for device in active:
        cert = certificates.get(device.serial)
        rows.append(
            {
                "manufacturer": device.manufacturer,
                "model": device.model,
                "serial": device.serial,
                "manufacture_date": iso(device.manufacture_date),
                "certificate_serial": cert.serial_hex if cert else "",
                "certificate_not_after": iso(cert.not_after) if cert else None,
            }
        )
    return rows


def items(enterprise, on: date) -> dict:
    """The data items as registered on ``on`` (their revisions), by energy type.

    One row per energy type: the active items (监测点) and how many are real-time, daily,
    monthly or yearly. Items without an energy type are grouped under OTHER_TYPE.
    """
    latest: dict[int, DataItemRevision] = {}
    for revision in (
        DataItemRevision.objects.filter(item__enterprise=enterprise, valid_from__lte=on)
        .select_related("item__energy_type")
        .order_by("item_id", "valid_from")
    ):
        latest[revision.item_id] = revision
    types: dict[str, str] = {}
    for energy_type in current_energy_types():  # a wire code names its first sub-type
        types.setdefault(energy_type.code, energy_type.name)
        types.setdefault(energy_type.wire_code, energy_type.name)
    groups: dict[str, dict] = {}
    for revision in latest.values():
        if not revision.is_active:
            continue
        item = revision.item
        code, name = energy_of(item, types)
        group = groups.setdefault(
            code,
            {"code": code, "name": name, "points": 0, **{k: 0 for k in STAT_KEYS.values()}},
        )
        group["points"] += 1
        kind = STAT_KEYS.get(revision.stat_type, "other")
        group[kind] = group.get(kind, 0) + 1
    rows = sorted(groups.values(), key=lambda g: (g["code"] == "", g["code"]))
    return {
        "as_of": on.isoformat(),
        "by_energy_type": rows,
        "monitoring_points": sum(g["points"] for g in rows),
    }


STAT_KEYS = {
    StatType.REALTIME: "realtime",
    StatType.DAILY: "daily",
    StatType.MONTHLY: "monthly",
    StatType.YEARLY: "yearly",
}


def energy_of(item, types: dict[str, str]) -> tuple[str, str]:
    if item.energy_type_id is not None:
        return item.energy_type.code, item.energy_type.name
    try:
        code = item.code.energy_type_code
    except ValueError:
        code = None
    if code:
        return code, types.get(code, code)
    return "", OTHER_TYPE


def relay(enterprise, run: TrialRun) -> dict:
    """直接上传: the relay flags with uploads since the trial began, as decided."""
    flags = (
        RelayFlag.objects.filter(enterprise=enterprise, last_seen__gte=start_of(run.started_on))
        .select_related("decided_by")
        .order_by("first_seen", "pk")
    )
    rows = [
        {
            "source_ip": flag.source_ip or "未知地址",
            "first_seen": iso(flag.first_seen),
            "last_seen": iso(flag.last_seen),
            "batch_count": flag.batch_count,
            "status": flag.status,
            "status_label": zh(RelayFlagStatus(flag.status).label),
            "reason": flag.reason,
            "decided_by": person(flag.decided_by),
            "decided_at": iso(flag.decided_at),
        }
        for flag in flags
    ]
    statuses = {row["status"] for row in rows}
    return {
        "flags": rows,
        "none": not rows,
        "open": RelayFlagStatus.OPEN in statuses,
        "confirmed": RelayFlagStatus.CONFIRMED in statuses,
        "ok": not statuses & {RelayFlagStatus.OPEN, RelayFlagStatus.CONFIRMED},
    }


def history(enterprise) -> dict:
    """The current historical energy import: period, months, tce, structure, missing types."""
    view = energy_history.structure_for(enterprise)
    if view is None:
        return {"received": False}
    structure = view.structure
    return {
        "received": True,
        "file_name": view.source.original_name,
        "uploaded_at": iso(view.source.uploaded_at),
        "first_month": f"{structure.first_month:%Y-%m}",
        "last_month": f"{structure.last_month:%Y-%m}",
        "months": len(energy_history.monthly_totals(view.source)),
        "total_tce": str(structure.total_tce),
        "structure": [
            {
                **{key: entry[key] for key in ("code", "name", "unit", "tce", "share")},
                "quantity": plain(entry["quantity"]),
            }
            for entry in structure.shares
        ],
        "main_share": plain(structure.main_share * 100),
        "missing_main": view.missing_main,
    }


def backfill(enterprise, run: TrialRun, days: list[dict]) -> dict:
    """断点续传: the backfilled slots of the window and the outages reported in it."""
    start, end = run.window_start, run.window_end
    outages = []
    if start and end:
        by_day = {row["day"]: row for row in days}
        notices = (
            OutageNotice.objects.filter(
                enterprise=enterprise, starts_at__lt=start_of(end + timedelta(days=1))
            )
            .exclude(resolved_at__lt=start_of(start))
            .select_related("device")
            .order_by("starts_at", "pk")
        )
        for notice in notices:
            first = max(notice.starts_at.astimezone(BEIJING).date(), start)
            last_at = notice.resolved_at or notice.expected_end
            last = min(max(last_at.astimezone(BEIJING).date(), first), end)
            covered = [
                by_day[d.isoformat()]
                for d in (first + timedelta(days=n) for n in range((last - first).days + 1))
                if d.isoformat() in by_day
            ]
            outages.append(
                {
                    "device_serial": notice.device.serial,
                    "starts_at": iso(notice.starts_at),
                    "expected_end": iso(notice.expected_end),
                    "resolved_at": iso(notice.resolved_at),
                    "reason": notice.reason,
                    "days": [row["day"] for row in covered],
                    "backfilled": sum(row["backfilled"] for row in covered),
                    "missing": sum(row["missing"] for row in covered),
                    "complete": all(row["complete"] for row in covered),
                }
            )
    return {
        "backfilled_slots": sum(row["backfilled"] for row in days),
        "days_with_backfill": [row["day"] for row in days if row["backfilled"]],
        "outages": outages,
    }
