"""Data quality beside the trial (SPEC §9) and the alarms it raises.

* silence: a device, or a real-time item, that has sent nothing for
  ``TELEMETRY_SILENT_PERIODS`` of its periods;
* completeness: an item whose yesterday is below ``TELEMETRY_COMPLETENESS_FLAG``;
* consistency: a monthly item whose value deviates from the sum of the matching daily item's
  values over the month by more than ``TELEMETRY_CONSISTENCY_TOLERANCE``. A daily item
  matches a monthly one when their dataCodes agree in everything but the usage segment
  (process, unit, device, class, object): the same quantity, reported per day and per month.

statDate alignment is not checked here: the upload API refuses misaligned records outright
(their reasons are in the batch receipt), so nothing misaligned is ever stored.

An alarm is opened once per (kind, subject) and its people are told once; a later check that
no longer finds the condition clears it. The silence of a device whose outage is reported
(报备), and of its items, opens its alarm quietly: it is told by the first check that finds
it without a current notice, and cleared without a word if the data returns first. Silence
is read from the roll-up bitmaps of today and yesterday and from ``EndDevice.last_seen_at``;
value sums are SQL aggregates.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_noop

from portal.notifications import enterprise_users, notify
from portal.sentences import Sentence

from .. import texts
from ..models import (
    Alarm,
    AlarmKind,
    ConnectionState,
    DailyRollup,
    DataItem,
    EndDevice,
    InputType,
    OutageNotice,
    Reading,
)
from ..timeslots import BEIJING, StatType, format_wire_time

WATCHED_STATES = [
    ConnectionState.TRIAL_RUNNING,
    ConnectionState.TRIAL_PASSED,
    ConnectionState.TRIAL_FAILED,
    ConnectionState.REPORT_ISSUED,
]


@dataclass
class Finding:
    kind: str
    enterprise_id: int
    subject: str
    code: str  # a telemetry.texts code; ``params`` fill its sentence
    params: dict
    device_id: int | None = None
    item_id: int | None = None
    quiet: bool = False  # opened without telling anyone (e.g. a reported outage)

    @property
    def detail(self) -> str:
        """The sentence as stored and told, in the portal's language (Chinese)."""
        return texts.stored_text(self.code, self.params)


@dataclass
class AlarmSummary:
    opened: list[int] = field(default_factory=list)
    cleared: list[int] = field(default_factory=list)


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=BEIJING)


# --- Silence ----------------------------------------------------------------------------------


def watched_items():
    """Active automatic real-time items of enterprises that have started uploading."""
    return DataItem.objects.filter(
        is_active=True,
        stat_type=StatType.REALTIME,
        enterprise__connection__state__in=WATCHED_STATES,
    ).exclude(input_type=InputType.MANUAL)


def last_slots(items, now: datetime) -> dict[int, datetime | None]:
    """The latest stored slot of each item over today and yesterday, from the bitmaps."""
    today = now.astimezone(BEIJING).date()
    shapes = {pk: interval for pk, interval in items.values_list("pk", "interval_minutes")}
    last: dict[int, datetime | None] = dict.fromkeys(shapes)
    rows = DailyRollup.objects.filter(
        item_id__in=list(shapes), day__range=(today - timedelta(days=1), today)
    ).values_list("item_id", "day", "on_time_mask", "backfilled_mask", "late_mask")
    for item_id, day, on, back, late in rows:
        bits = int(on or "0", 16) | int(back or "0", 16) | int(late or "0", 16)
        if not bits:
            continue
        slot = _midnight(day) + timedelta(minutes=shapes[item_id] * (bits.bit_length() - 1))
        if last[item_id] is None or slot > last[item_id]:
            last[item_id] = slot
    return last


def silence_findings(now: datetime) -> list[Finding]:
    periods = settings.TELEMETRY_SILENT_PERIODS
    items = watched_items()
    meta = {
        pk: (enterprise_id, device_id, interval, code, name)
        for pk, enterprise_id, device_id, interval, code, name in items.values_list(
            "pk", "enterprise_id", "device_id", "interval_minutes", "data_code", "name"
        )
    }
    findings = []
    # A device answers for the items assigned to it and for its enterprise's unassigned
    # automatic ones (gaps.device_items); its silence is measured in the shortest period.
    device_interval: dict[int, int] = {}
    unassigned_interval: dict[int, int] = {}
    for item_id, last in last_slots(items, now).items():
        enterprise_id, device_id, interval, code, name = meta[item_id]
        if device_id is not None:
            device_interval[device_id] = min(device_interval.get(device_id, 60), interval)
        else:
            unassigned_interval[enterprise_id] = min(
                unassigned_interval.get(enterprise_id, 60), interval
            )
        due = (last + timedelta(minutes=interval)) if last else None
        if due is None or now - due >= timedelta(minutes=interval * periods):
            since = format_wire_time(last) if last else None  # None: "more than two days"
            findings.append(
                Finding(
                    AlarmKind.SILENT_ITEM,
                    enterprise_id,
                    f"item:{item_id}",
                    "silent_item",
                    {"code": code, "name": name, "n": periods, "since": since},
                    device_id=device_id,
                    item_id=item_id,
                )
            )
    devices = list(
        EndDevice.objects.filter(
            Q(pk__in=list(device_interval)) | Q(enterprise_id__in=list(unassigned_interval)),
            is_active=True,
        )
    )
    reported = {
        notice.device_id: notice
        for notice in OutageNotice.objects.filter(
            device_id__in=[d.pk for d in devices], resolved_at=None, starts_at__lte=now
        )
    }
    # The items of a device whose outage is reported are as excused as the device.
    for finding in findings:
        if finding.device_id in reported:
            finding.quiet = True
    for device in devices:
        interval = min(
            device_interval.get(device.pk, 60), unassigned_interval.get(device.enterprise_id, 60)
        )
        limit = timedelta(minutes=interval * periods)
        if device.last_seen_at is not None and now - device.last_seen_at < limit:
            continue
        params = {
            "serial": device.serial,
            "n": periods,
            "seen": format_wire_time(device.last_seen_at) if device.last_seen_at else None,
        }
        notice = reported.get(device.pk)
        if notice is not None:
            params["outage"] = {
                "reason": notice.reason,
                "end": format_wire_time(notice.expected_end),
            }
        findings.append(
            Finding(
                AlarmKind.SILENT_DEVICE,
                device.enterprise_id,
                f"device:{device.pk}",
                "silent_device",
                params,
                device_id=device.pk,
                quiet=notice is not None,
            )
        )
    return findings


# --- Completeness and consistency -------------------------------------------------------------


def completeness_findings(day: date) -> list[Finding]:
    """Items below the completeness flag on ``day`` (one query over the roll-ups and items)."""
    flag = Decimal(settings.TELEMETRY_COMPLETENESS_FLAG)
    items = DataItem.objects.filter(
        is_active=True,
        stat_type__in=[StatType.REALTIME, StatType.DAILY],
        enterprise__connection__state__in=WATCHED_STATES,
    )
    received = {
        item_id: on + back + late
        for item_id, on, back, late in DailyRollup.objects.filter(
            item__in=items, day=day
        ).values_list("item_id", "on_time", "backfilled", "late")
    }
    findings = []
    for pk, enterprise_id, stat_type, interval, code in items.values_list(
        "pk", "enterprise_id", "stat_type", "interval_minutes", "data_code"
    ):
        expected = 24 * 60 // interval if stat_type == StatType.REALTIME else 1
        got = min(received.get(pk, 0), expected)
        if Decimal(got) / expected < flag:
            findings.append(
                Finding(
                    AlarmKind.COMPLETENESS,
                    enterprise_id,
                    f"item:{pk}",
                    "completeness",
                    {
                        "day": day.isoformat(),
                        "code": code,
                        "rate": str(round(100 * got / expected, 1)),
                        "flag": f"{(flag * 100).normalize():f}",
                    },
                    item_id=pk,
                )
            )
    return findings


def consistency_findings(month: date) -> list[Finding]:
    """Monthly values against the sum of the matching daily values of ``month`` (SQL sums)."""
    tolerance = Decimal(settings.TELEMETRY_CONSISTENCY_TOLERANCE)
    start = _midnight(month)
    end = _midnight((month + timedelta(days=32)).replace(day=1))
    monthly = {
        (enterprise_id, code[:14]): (pk, code, value)
        for pk, enterprise_id, code, value in Reading.objects.filter(
            item__stat_type=StatType.MONTHLY, item__is_active=True, slot=start, valid=True
        ).values_list("item_id", "item__enterprise_id", "item__data_code", "value")
    }
    if not monthly:
        return []
    daily = defaultdict(Decimal)
    for enterprise_id, code, total in (
        Reading.objects.filter(
            item__stat_type=StatType.DAILY,
            item__is_active=True,
            item__enterprise_id__in={key[0] for key in monthly},
            slot__gte=start,
            slot__lt=end,
            valid=True,  # a suspect daily value must not make (or hide) a deviation
        )
        .values_list("item__enterprise_id", "item__data_code")
        .annotate(total=Sum("value"))
        .order_by()
    ):
        daily[(enterprise_id, code[:14])] += total
    findings = []
    for key, (pk, code, value) in monthly.items():
        if key not in daily or not value:
            continue
        deviation = abs(daily[key] - value) / abs(value)
        if deviation > tolerance:
            findings.append(
                Finding(
                    AlarmKind.CONSISTENCY,
                    key[0],
                    f"item:{pk}:{month:%Y-%m}",
                    "consistency",
                    {
                        "month": f"{month:%Y-%m}",
                        "code": code,
                        "value": f"{value.normalize():f}",
                        "sum": f"{daily[key].normalize():f}",
                        "dev": str(round(deviation * 100, 2)),
                        "tol": f"{(tolerance * 100).normalize():f}",
                    },
                    item_id=pk,
                )
            )
    return findings


# --- Opening and clearing ---------------------------------------------------------------------


def reconcile(kinds: list[str], findings: list[Finding], now: datetime, scope=None) -> AlarmSummary:
    """Open alarms for new findings, clear open ones of ``kinds`` no longer found.

    ``scope`` (a Q on Alarm) limits which open alarms this check is entitled to clear.
    """
    summary = AlarmSummary()
    found = {(f.kind, f.subject): f for f in findings}
    open_alarms = Alarm.objects.open().filter(kind__in=kinds)
    if scope is not None:
        open_alarms = open_alarms.filter(scope)
    existing = {(a.kind, a.subject): a for a in open_alarms}
    gone = [a for key, a in existing.items() if key not in found]
    if gone:
        Alarm.objects.filter(pk__in=[a.pk for a in gone]).update(cleared_at=now)
        summary.cleared = [a.pk for a in gone]
        for alarm in gone:
            # Only who was told the data stopped is told it is back: a quiet alarm (an
            # outage reported and over before anyone was told) clears without a word.
            told = alarm.notified_at is not None
            if told and alarm.kind in (AlarmKind.SILENT_DEVICE, AlarmKind.SILENT_ITEM):
                _tell(
                    alarm,
                    Sentence(
                        gettext_noop("数据已恢复上传：%(kind)s"), kind=AlarmKind(alarm.kind).label
                    ),
                )
    for key, finding in found.items():
        if key in existing:
            if existing[key].notified_at is None and not finding.quiet:
                _announce(existing[key], finding, now)
            continue
        try:
            with transaction.atomic():
                alarm = Alarm.objects.create(
                    enterprise_id=finding.enterprise_id,
                    device_id=finding.device_id,
                    item_id=finding.item_id,
                    kind=finding.kind,
                    subject=finding.subject,
                    opened_at=now,
                    detail=finding.detail,
                    detail_code=finding.code,
                    detail_params=finding.params,
                    notified_at=None if finding.quiet else now,
                )
        except IntegrityError:
            continue  # another check opened it a moment ago
        summary.opened.append(alarm.pk)
        if not finding.quiet:
            _tell(alarm, Sentence.label(AlarmKind(alarm.kind).label))
    return summary


def _announce(alarm: Alarm, finding: Finding, now: datetime) -> None:
    """Tell about an alarm opened quietly (a reported outage) whose excuse has ended.

    The conditional UPDATE is the claim: of two overlapping checks only one tells. The detail
    becomes the current finding's, which no longer mentions the outage.
    """
    detail = finding.detail
    claimed = Alarm.objects.filter(pk=alarm.pk, notified_at=None).update(
        notified_at=now, detail=detail, detail_code=finding.code, detail_params=finding.params
    )
    if claimed:
        alarm.notified_at, alarm.detail = now, detail
        alarm.detail_code, alarm.detail_params = finding.code, finding.params
        _tell(alarm, Sentence.label(AlarmKind(alarm.kind).label))


def _tell(alarm: Alarm, title) -> None:
    # enterprise_users needs only the id: no query per alarm for the Enterprise row.
    body = alarm.detail
    if alarm.detail_code:
        body = Sentence.coded("telemetry", alarm.detail_code, alarm.detail_params)
    notify(
        enterprise_users(alarm.enterprise_id),
        title,
        body,
        reverse("telemetry:enterprise_monitoring", args=[alarm.enterprise_id]),
    )


def check_alarms(now: datetime | None = None) -> dict:
    """The beat task's work: silence every run; completeness and consistency for the last
    full day and month."""
    now = now or timezone.now()
    today = now.astimezone(BEIJING).date()
    yesterday = today - timedelta(days=1)
    last_month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    with transaction.atomic():
        silent = reconcile(
            [AlarmKind.SILENT_DEVICE, AlarmKind.SILENT_ITEM], silence_findings(now), now
        )
        complete = reconcile([AlarmKind.COMPLETENESS], completeness_findings(yesterday), now)
        consistent = reconcile(
            [AlarmKind.CONSISTENCY],
            consistency_findings(last_month),
            now,
            scope=Q(subject__endswith=f":{last_month:%Y-%m}"),
        )
    return {
        "opened": len(silent.opened) + len(complete.opened) + len(consistent.opened),
        "cleared": len(silent.cleared) + len(complete.cleared) + len(consistent.cleared),
    }
