"""Demo data for the telemetry stage: devices, items, two weeks of uploads, trials and alarms.

For each connected enterprise (``context["connected"]``, from ``applications.demo``) an end
device is registered under the serial of its access application, with a certificate issued
through the applications services if it has none, and eight data items (five 15-minute
meters, the daily comprehensive consumption, two monthly manual items). Readings arrive as
real upload batches, one per device per 15-minute cycle, written by the ingestion path
(``ingest.ingest_batches``), so arrival classes, roll-ups and trial starts are exactly what
uploads produce. The uploads end yesterday and follow a scenario per enterprise, so that
after ``evaluate_trials`` the demo shows trials passed (one after a 3-hour outage re-sent on
reconnection), running with the count restarted (a 30-hour outage re-sent beyond the
backfill cap loses a day; a device that went silent) and running, with backfilled slots, late
readings, suspect values, third-party-relay suspicions, a silent-device alarm, monthly
filings and historical energy data (one enterprise missing a main energy type; every
enterprise whose trial passed has its history, so its conformance report can be issued).

Values come from a random generator seeded per enterprise, and every time is reckoned from
today's date, so running the seed twice on one day gives the same data; an enterprise that
already has its device is left alone.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone

from portal.attachments import as_bytes_upload
from portal.catalogue import CollectionMethod
from portal.models import Enterprise, Role, User

from .energy import current_energy_types
from .forms import DataItemForm, EndDeviceForm
from .models import (
    AlarmKind,
    BatchStatus,
    Connection,
    DataItem,
    DataItemRevision,
    EndDevice,
    HistoricalEnergyImport,
    InputType,
    MonthlyFiling,
    RelayFlag,
    RelayFlagStatus,
    TrialRun,
    TrialStatus,
    UploadBatch,
)
from .protocol import canonical_body
from .timeslots import BEIJING, StatType, format_wire_time

RELAY_ADDRESS = "203.0.113.25"  # a documentation address: "the data came through a relay"
INGEST_CHUNK = 400  # batches per ingestion write


@dataclass(frozen=True)
class ItemSpec:
    key: str
    name: str
    segments: tuple[str, str, str, str, str, str]
    energy_code: str | None
    unit: str
    stat_type: int
    base: float  # typical value per period
    instrument: str
    level: int = 1
    convert: str | None = None
    manual: bool = False


ITEMS = [
    ItemSpec(
        "total",
        "全厂综合能耗",
        ("00", "00", "0000", "01", "0000", "0000"),
        None,
        "tce",
        StatType.DAILY,
        0,
        "能源管理系统计算值",
    ),
    ItemSpec(
        "power",
        "全厂总用电量",
        ("00", "00", "0000", "02", "3300", "0000"),
        "3300",
        "kWh",
        StatType.REALTIME,
        3200,
        "三相智能电能表 DTZ341 0.5S级 110kV 总降压站进线柜",
    ),
    ItemSpec(
        "power_ws1",
        "一车间用电量",
        ("01", "00", "0000", "02", "3300", "0000"),
        "3300",
        "kWh",
        StatType.REALTIME,
        1400,
        "三相智能电能表 DTZ341 0.5S级 一车间配电室",
        level=2,
    ),
    ItemSpec(
        "power_air",
        "空压站用电量",
        ("02", "01", "1201", "02", "3300", "0000"),
        "3300",
        "kWh",
        StatType.REALTIME,
        420,
        "三相智能电能表 DTSD341 1.0级 空压站",
        level=3,
    ),
    ItemSpec(
        "gas",
        "天然气消耗量",
        ("00", "00", "0000", "01", "1500", "0000"),
        "1500-1",
        "m3",
        StatType.REALTIME,
        260,
        "气体涡轮流量计 TBQM-100 1.0级 天然气调压站总管",
    ),
    ItemSpec(
        "steam",
        "外购蒸汽消耗量",
        ("00", "00", "0000", "02", "3200", "0000"),
        "3200-1",
        "t",
        StatType.REALTIME,
        4.2,
        "蒸汽涡街流量计 LUGB-150 1.5级 外购蒸汽入厂总管",
        convert="128.6",
    ),
    ItemSpec(
        "coal",
        "原煤消耗量（月报）",
        ("00", "00", "0000", "01", "0100", "0000"),
        "0100",
        "t",
        StatType.MONTHLY,
        1500,
        "汽车衡 SCS-100 III级 原料场",
        convert="714.3",
        manual=True,
    ),
    ItemSpec(
        "diesel",
        "柴油消耗量（月报）",
        ("00", "00", "0000", "02", "2100", "0000"),
        "2100",
        "t",
        StatType.MONTHLY,
        12,
        "加油机 计量台账",
        convert="1457.1",
        manual=True,
    ),
]
REALTIME_KEYS = [spec.key for spec in ITEMS if spec.stat_type == StatType.REALTIME]


@dataclass(frozen=True)
class Scenario:
    """What happens to one enterprise's uploads, in days before today."""

    name: str
    first_day: int | None  # the first day with data (None: nothing uploaded yet)
    outage_day: int | None = None  # a day with an outage (from 03:00), re-sent on reconnection
    outage_hours: int = 30  # 3: backfilled (a success); 30: beyond the cap, so late
    silent_since: int | None = None  # the day the device stops (at 15:00) for good
    relay: bool = False
    relay_explained: bool = False  # a reviewer has explained the flag (else it awaits one)
    item_change: bool = False  # an item change asked for during the trial awaits approval
    trial_began: int | None = None  # the trial began this many days ago (an overdue one)


# In the order of the connected enterprises; the first ones are the demo logins ent01...
SCENARIOS = [
    Scenario("running", 12, relay=True),
    Scenario("passed", 17),
    Scenario("failed", 17, outage_day=9),
    Scenario("passed", 17, outage_day=8, outage_hours=3),
    Scenario("running", 5, item_change=True),
    Scenario("silent", 14, silent_since=3),
    Scenario("passed", 17, relay=True, relay_explained=True),
    Scenario("running", 9, trial_began=61),
    Scenario("passed", 17),
    Scenario("passed", 17),
    Scenario("passed", 17),
    Scenario("passed", 17, outage_day=5, outage_hours=3),
]


def seed(context, log=print):
    from .services.trial import evaluate_trials

    connected = context.get("connected", [])
    today = timezone.localdate()
    seeded = []
    for enterprise, scenario in zip(connected, SCENARIOS, strict=False):
        if EndDevice.objects.filter(enterprise=enterprise).exists():
            continue
        member = _member(enterprise)
        device = _register(enterprise, member)
        items = _items(enterprise, member, device)
        if scenario.first_day is not None:
            # Registered the morning the data starts: gaps are counted from registration,
            # and expected slots from the items' revisions.
            registered = _midnight(today - timedelta(days=scenario.first_day))
            DataItem.objects.filter(enterprise=enterprise).update(
                created_at=registered + timedelta(hours=10)
            )
            DataItemRevision.objects.filter(item__enterprise=enterprise).update(
                valid_from=today - timedelta(days=scenario.first_day + 1)
            )
            _upload(enterprise, device, items, scenario, today)
            _file_last_month(enterprise, member, items, today)
            if scenario.relay_explained:
                _explain_relay(enterprise)
            if scenario.item_change:
                _request_item_change(enterprise, member, device, items)
            if scenario.trial_began:
                # A trial that began long ago and still has not passed: flagged to reviewers.
                Connection.objects.filter(enterprise=enterprise).update(
                    trial_started_on=today - timedelta(days=scenario.trial_began)
                )
        seeded.append(scenario.name)
    summary = evaluate_trials()
    _alarms(connected, SCENARIOS)
    histories = _histories(connected)
    if seeded:
        log(
            f"数据监测：{len(seeded)} 家企业登记端设备与采集项并上传数据（{'，'.join(seeded)}）；"
            f"试运行通过 {len(summary.passed)}、未通过 {len(summary.failed)}；"
            f"历史能耗数据 {histories} 家"
        )


def _explain_relay(enterprise) -> None:
    """A reviewer has looked at the flagged address and explained it."""
    from .services.relay import decide_relay_flag

    reviewer = User.objects.filter(role=Role.REVIEWER, is_active=True).order_by("pk").first()
    for flag in RelayFlag.objects.filter(enterprise=enterprise, status=RelayFlagStatus.OPEN):
        decide_relay_flag(
            flag, reviewer, confirm=False, reason="企业第二条电信专线出口地址，已现场核实"
        )


def _member(enterprise) -> User:
    return (
        User.objects.filter(role=Role.ENTERPRISE, memberships__enterprise=enterprise)
        .order_by("pk")
        .first()
    )


# --- Registry ---------------------------------------------------------------------------------


def _device_serial(enterprise) -> str:
    from applications.models import AccessApplication

    application = AccessApplication.objects.approved_for(enterprise)
    if application is not None and application.device_serial:
        return application.device_serial
    return f"HB-{enterprise.uscc[-6:]}-01"


def _register(enterprise, member) -> EndDevice:
    from applications.models import DeviceCertificate
    from applications.services.certificates import generate_certificate

    from .services.registry import save_device

    serial = _device_serial(enterprise)
    form = EndDeviceForm(
        {
            "serial": serial,
            "manufacturer": "武汉智测仪表有限公司",
            "model": "EMD-3000",
            "manufacture_date": "2025-12-01",
            "is_active": "on",
        },
        enterprise=enterprise,
    )
    device = save_device(member, enterprise, _valid(form))
    if not DeviceCertificate.objects.filter(enterprise=enterprise, device_serial=serial).exists():
        generate_certificate(enterprise, member, serial)  # the demo has no device to hold the key
    return device


def _item_data(spec, types: dict, device) -> dict:
    """The data item form's fields for one of the demo's ITEMS."""
    process, unit, equipment, energy_class, object_code, usage = spec.segments
    band = Decimal(str(spec.base)) * 3 if spec.base else Decimal(2000)
    return {
        "process": process,
        "process_unit": unit,
        "device_code": equipment,
        "energy_class": energy_class,
        "object_code": object_code,
        "usage": usage,
        "name": spec.name,
        "energy_type": types.get(spec.energy_code, "") if spec.energy_code else "",
        "convert_ration": spec.convert or "",
        "unit": spec.unit,
        "stat_type": int(spec.stat_type),
        "interval_minutes": 15,
        "scope": 1 if process == "00" else 2,
        "input_type": InputType.MANUAL if spec.manual else InputType.FIELD_METER,
        "collection_method": CollectionMethod.MANUAL if spec.manual else CollectionMethod.METER,
        "value_min": "0",
        "value_max": str(band),
        "metering_level": spec.level,
        "instrument": spec.instrument,
        "device": "" if spec.manual else device.pk,
        "is_active": "on",
    }


def _items(enterprise, member, device) -> dict[str, DataItem]:
    from .services.item_changes import save_item

    types = {t.code: t.pk for t in current_energy_types()}
    items = {}
    for spec in ITEMS:
        form = DataItemForm(_item_data(spec, types, device), enterprise=enterprise)
        items[spec.key] = save_item(member, enterprise, _valid(form))
    return items


def _request_item_change(enterprise, member, device, items) -> None:
    """During its trial the enterprise asks to take a sub-meter out of service from
    tomorrow: the change waits for a reviewer's approval."""
    from .services.item_changes import save_item_change

    types = {t.code: t.pk for t in current_energy_types()}
    spec = next(s for s in ITEMS if not s.manual and s.stat_type == StatType.REALTIME)
    data = _item_data(spec, types, device)
    del data["is_active"]  # unticked: deactivate
    form = DataItemForm(data, instance=items[spec.key], enterprise=enterprise)
    save_item_change(
        member,
        enterprise,
        _valid(form),
        effective_on=timezone.localdate() + timedelta(days=1),
        reason="该计量表计划停用更换，新表登记后另行申请",
    )


def _valid(form):
    if not form.is_valid():
        raise ValueError(f"demo data refused by {type(form).__name__}: {form.errors.as_json()}")
    return form


# --- Uploads ----------------------------------------------------------------------------------


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=BEIJING)


def _profile(slot: datetime) -> float:
    """Load over the day: three shifts, a lighter night and a lunch dip."""
    hour = slot.hour + slot.minute / 60
    if 0 <= hour < 6:
        return 0.72
    if 11.5 <= hour < 13:
        return 0.88
    return 1.0 if hour < 22 else 0.8


def _upload(enterprise, device, items, scenario: Scenario, today: date) -> None:
    """Build the scenario's upload batches and ingest them through the real write path."""
    from applications.models import DeviceCertificate

    from .auth import relay_suspected
    from .ingest import ingest_batches
    from .services.relay import record_relay_upload

    rng = random.Random(f"demo-telemetry-{enterprise.uscc}")
    scale = 0.6 + rng.random() * 1.2
    certificate = (
        DeviceCertificate.objects.filter(enterprise=enterprise, device_serial=device.serial)
        .order_by("-not_before")
        .first()
    )
    # Fresh from the database: the applications seed left a stale VPN account cached on it.
    enterprise = Enterprise.objects.get(pk=enterprise.pk)
    try:
        own_address = enterprise.vpn_account.tunnel_address
    except Exception:  # no VPN account: the uploads come from the enterprise's line
        own_address = "10.8.0.200"
    relay_flag = relay_suspected(enterprise, RELAY_ADDRESS)

    step = timedelta(minutes=15)
    start = _midnight(today - timedelta(days=scenario.first_day)) + timedelta(hours=10)
    end = _midnight(today)  # the last slot is yesterday 23:45
    if scenario.silent_since is not None:
        end = _midnight(today - timedelta(days=scenario.silent_since)) + timedelta(hours=15)
    outage = None
    if scenario.outage_day is not None:
        down = _midnight(today - timedelta(days=scenario.outage_day)) + timedelta(hours=3)
        outage = (down, down + timedelta(hours=scenario.outage_hours, minutes=15))
    relay_window = None
    if scenario.relay:
        relay_from = _midnight(today - timedelta(days=1)) + timedelta(hours=20)
        relay_window = (relay_from, relay_from + timedelta(hours=1))

    realtime = [(items[key], spec) for key in REALTIME_KEYS for spec in ITEMS if spec.key == key]
    daily_item = items["total"]
    day_tce: dict[date, float] = {}
    backlog: list[dict] = []  # records not yet sent (failed sends) in upload order
    batches: list[UploadBatch] = []
    slot = start
    while slot < end:
        local = slot.astimezone(BEIJING)
        records = []
        for item, spec in realtime:
            value = spec.base * scale * _profile(local) * (1 + rng.gauss(0, 0.04))
            value = max(round(value, 3 if spec.unit == "t" else 1), 0)
            valid = rng.random() > 0.0002  # now and then the meter flags a reading
            records.append(_record(item, value, slot, StatType.REALTIME, valid))
            coefficient = float(item.convert_ration)
            day_tce[local.date()] = day_tce.get(local.date(), 0.0) + value * coefficient / 1000
        if local.hour == 23 and local.minute == 45:  # the day's total goes with its last slot
            day = local.date()
            records.append(
                _record(daily_item, round(day_tce[day], 3), _midnight(day), StatType.DAILY, True)
            )
        send_at = slot + step + timedelta(seconds=40 + rng.randint(0, 20))
        if outage and outage[0] <= slot < outage[1] - step:
            backlog.extend(records)  # the line is down: kept on the device
            slot += step
            continue
        # Now and then a send fails and goes again with the next cycle (backfilled). Never
        # twice running, nor on the last slot, or the slot would arrive too late.
        if not backlog and slot + step < end and rng.random() < 0.012:
            backlog.extend(records)
            slot += step
            continue
        records = [*backlog, *records]
        backlog = []
        relayed = relay_window is not None and relay_window[0] <= slot < relay_window[1]
        batches.append(
            _batch(
                enterprise,
                device,
                certificate,
                slot,
                send_at,
                records,
                RELAY_ADDRESS if relayed else own_address,
                relay_flag if relayed else False,
            )
        )
        slot += step

    created = UploadBatch.objects.bulk_create(batches, batch_size=200)
    for batch in batches:
        if batch.relay_suspected:  # counted on its address's flag, as an upload is
            record_relay_upload(enterprise.pk, batch.source_ip, batch.received_at)
    ids = [b.pk for b in created]
    if ids[0] is None:  # a backend that does not return ids
        ids = list(
            UploadBatch.objects.filter(device=device, status=BatchStatus.QUEUED)
            .order_by("received_at")
            .values_list("pk", flat=True)
        )
    for first in range(0, len(ids), INGEST_CHUNK):
        ingest_batches(ids[first : first + INGEST_CHUNK])


def _record(item, value, slot, stat_type, valid) -> dict:
    return {
        "dataCode": item.data_code,
        "dataValue": f"{value}",
        "valid": "1" if valid else "0",
        "scope": str(item.scope),
        "inputType": str(item.input_type),
        "statType": str(int(stat_type)),
        "statDate": format_wire_time(slot),
    }


def _batch(enterprise, device, certificate, slot, send_at, records, address, relayed):
    message_id = f"{device.serial}-{slot.astimezone(BEIJING):%Y%m%d%H%M}"
    body = canonical_body(
        {
            "version": "1.0",
            "messageId": message_id,
            "enterpriseCode": enterprise.uscc,
            "deviceSerial": device.serial,
            "sentAt": format_wire_time(send_at - timedelta(seconds=1)),
            "records": records,
        }
    )
    return UploadBatch(
        enterprise=enterprise,
        device=device,
        message_id=message_id,
        body_sha256=hashlib.sha256(body).hexdigest(),
        raw_body=body,
        cert_serial=certificate.serial_hex if certificate else "",
        source_ip=address,
        relay_suspected=relayed,
        sent_at=send_at - timedelta(seconds=1),
        received_at=send_at,
        status=BatchStatus.QUEUED,
        record_count=len(records),
        accepted_count=len(records),
    )


def _file_last_month(enterprise, member, items, today: date) -> None:
    """The monthly manual items of last month, filed through the filing service."""
    from .services.filing import file_month

    month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    if MonthlyFiling.objects.filter(enterprise=enterprise, month=month).exists():
        return
    rng = random.Random(f"demo-filing-{enterprise.uscc}-{month}")
    values = {}
    for key in ("coal", "diesel"):
        spec = next(s for s in ITEMS if s.key == key)
        values[items[key].pk] = Decimal(str(round(spec.base * (0.8 + 0.4 * rng.random()), 2)))
    file_month(enterprise, member, month, values, "演示数据：按月度能源统计报表填报")


# --- Alarms and history -----------------------------------------------------------------------


def _alarms(connected, scenarios) -> None:
    """Silence and completeness alarms of the seeded enterprises, from the real checks.

    Only the silent scenario's device is judged for silence: every demo upload ends
    yesterday, so by the live rule every device would be silent today.
    """
    from .services import alarms

    now = timezone.now()
    silent = [
        e.pk for e, s in zip(connected, scenarios, strict=False) if s.silent_since is not None
    ]
    ours = [e.pk for e in connected]
    findings = [
        f
        for f in alarms.silence_findings(now)
        if f.kind == AlarmKind.SILENT_DEVICE and f.enterprise_id in silent
    ]
    alarms.reconcile([AlarmKind.SILENT_DEVICE], findings, now, scope=Q(enterprise_id__in=silent))
    yesterday = timezone.localdate() - timedelta(days=1)
    complete = [f for f in alarms.completeness_findings(yesterday) if f.enterprise_id in ours]
    alarms.reconcile([AlarmKind.COMPLETENESS], complete, now, scope=Q(enterprise_id__in=ours))


# (code, monthly quantity, unit) of the historical reports; the first enterprise's steel
# works also burns coke, which no item collects: a missing main energy type.
HISTORY_MIX = [
    ("3300", 2_000_000, "kWh"),
    ("1500-1", 100_000, "m3"),
    ("3200-1", 1_500_000, "kg"),
    ("0100", 50_000, "kg"),
    ("2100", 5_000, "kg"),
]
COKE = ("0900", 150_000, "kg")


def _histories(connected) -> int:
    """Material 10, through the history import service, for the first two enterprises and
    every one whose trial passed (the conformance report needs it, and acceptance after it)."""
    from .services.energy_history import FIRST_MONTH, import_history, last_allowed_month

    passed = set(
        TrialRun.objects.filter(
            status=TrialStatus.PASSED, connection__enterprise__in=connected
        ).values_list("connection__enterprise_id", flat=True)
    )
    done = 0
    for index, enterprise in enumerate(connected):
        if index >= 2 and enterprise.pk not in passed:
            continue
        if HistoricalEnergyImport.objects.filter(enterprise=enterprise).exists():
            continue
        if not DataItem.objects.filter(enterprise=enterprise).exists():
            continue
        mix = [*HISTORY_MIX, COKE] if index == 0 else HISTORY_MIX
        rng = random.Random(f"demo-history-{enterprise.uscc}")
        lines = ["月份,能源代码,实物量,计量单位"]
        month, last = FIRST_MONTH, last_allowed_month(enterprise)
        growth = 0.85
        while month <= last:
            season = 1.12 if month.month in (1, 2, 7, 8, 12) else 1.0
            for code, quantity, unit in mix:
                value = quantity * growth * season * (1 + rng.gauss(0, 0.05))
                lines.append(f"{month:%Y-%m},{code},{value:.2f},{unit}")
            month = (month + timedelta(days=32)).replace(day=1)
            growth = min(growth * 1.002, 1.2)
        upload = as_bytes_upload("历史能耗数据月报表.csv", ("\n".join(lines) + "\n").encode())
        import_history(_member(enterprise), enterprise, upload)
        done += 1
    return done
