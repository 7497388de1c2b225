"""What the conformance test report (附件1, 符合性测试报告) says: a frozen snapshot of figures.

:func:`freeze_figures` takes everything the report prints from the passed ``TrialRun`` (its
per-day table and rates, frozen when the trial ended) and the records around it: the
enterprise, the design scheme of its approved access application, the end devices and their
certificates, the data items registered on the window's last day, outage notices, relay
flags, and the historical energy data. Readings are never read: the report quotes the trial
as it was judged. The result is plain JSON (dates as ISO text, decimals as text) that the
reports engine stores on the issued document, so a later change of any record does not
change a report already drafted.

The report is printed in Chinese whatever the reader's language, so the snapshot's labels
are Chinese; :func:`refusal_to_draft` speaks to the reviewer and is translated.

The institute sets the 测试依据 (``REPORT_TEST_BASIS``), the 测试单位
(``REPORT_TESTING_UNIT``) and the statement page (``REPORT_STATEMENT``) in the settings.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from applications.models import AccessApplication, DesignScheme, DeviceCertificate, SchemeState
from portal.models import Region
from telemetry.energy import current_energy_types
from telemetry.models import (
    Connection,
    ConnectionState,
    DataItemRevision,
    EndDevice,
    OutageNotice,
    RelayFlag,
    RelayFlagStatus,
    TrialRun,
    TrialStatus,
)
from telemetry.models.trial import percent
from telemetry.services import energy_history
from telemetry.services.relay import open_relay_flags
from telemetry.timeslots import BEIJING, STAT_TYPE_LABELS, StatType

TEMPLATE = "reports/pdf/conformance.html"
SCHEMA = 1
CONFORMS, NOT_CONFORMS = "符合", "不符合"
DAY_FIELDS = ("expected", "on_time", "backfilled", "late", "missing", "suspect")
OTHER_TYPE = "其他（非能源品种数据项）"


def passed_trial(connection: Connection) -> TrialRun | None:
    """The connection's latest passed trial run (the one a report quotes), or None."""
    return (
        TrialRun.objects.filter(connection=connection, status=TrialStatus.PASSED)
        .order_by("-number")
        .first()
    )


def refusal_to_draft(connection: Connection) -> str | None:
    """Why a conformance report cannot be drafted for ``connection`` now, or None.

    Checked in order: the connection's state, its passed trial run and that run's frozen
    window, relay flags (open ones wait for a reviewer; a confirmed one is the seed's
    fail condition 3), and the historical energy data the enterprise must have submitted.
    """
    state = connection.state
    if state == ConnectionState.REPORT_ISSUED:
        return _("该企业已出具符合性测试报告；如需重新出具，请先撤销原报告。")
    if state == ConnectionState.TRIAL_FAILED:
        reason = connection.display_failure_reason
        return _("稳定上传试运行未通过，不能出具符合性测试报告：%(r)s") % {"r": reason or "—"}
    if state != ConnectionState.TRIAL_PASSED:
        return _("稳定上传试运行尚未通过（当前状态：%(s)s），不能出具符合性测试报告。") % {
            "s": connection.get_state_display()
        }
    run = passed_trial(connection)
    if run is None:
        return _("没有已通过的稳定上传试运行记录，不能出具符合性测试报告。")
    if run.window_start is None or run.window_end is None or not window_days(run):
        return _("第 %(n)s 次试运行没有记录通过时的连续完整天数据，请联系运维人员。") % {
            "n": run.number
        }
    open_flags = open_relay_flags(connection).count()
    if open_flags:
        return _(
            "有 %(n)s 个疑似经第三方中转的上传来源地址尚待审核人员处理，处理后才能出具报告。"
        ) % {"n": open_flags}
    confirmed = (
        RelayFlag.objects.filter(
            enterprise_id=connection.enterprise_id, status=RelayFlagStatus.CONFIRMED
        )
        .filter(last_seen__gte=_start_of(run.started_on))
        .first()
    )
    if confirmed is not None:
        return _(
            "来自 %(a)s 的上传已被认定为经第三方中转（未经端设备直接报送），不符合接入要求。"
        ) % {"a": confirmed.source_ip or _("未知地址")}
    if energy_history.current_import(connection.enterprise) is None:
        return _("企业尚未提交历史能耗数据（表1 材料 10），请企业导入后再出具报告。")
    return None


def window_days(run: TrialRun) -> list[dict]:
    """The frozen day rows the trial passed on."""
    return [day for day in run.days or [] if day.get("in_window")]


def freeze_figures(trial_run: TrialRun, display_confirmed: dict | None = None) -> dict:
    """Everything the report prints, as JSON-ready data (see the module docstring).

    ``display_confirmed`` is the drafting reviewer's check that the enterprise's data show
    correctly in the platform's 企业子系统 and 政府子系统: ``{"enterprise": bool,
    "government": bool}``; missing means not confirmed, and the conclusion is then 不符合.
    """
    run = (
        TrialRun.objects.select_related("connection__enterprise").filter(pk=trial_run.pk).first()
        or trial_run
    )
    connection = run.connection
    enterprise = connection.enterprise
    window_end = run.window_end or run.ends_on
    figures = {
        "schema": SCHEMA,
        "frozen_at": _iso(timezone.now()),
        "trial": _trial(run),
        "enterprise": {
            "id": enterprise.pk,
            "name": enterprise.name,
            "uscc": enterprise.uscc,
            "region": enterprise.region,
            "region_label": _zh_region(enterprise.region),
            "address": enterprise.address,
        },
        **_scheme_and_application(enterprise),
        "basis": list(settings.REPORT_TEST_BASIS),
        "testing_unit": settings.REPORT_TESTING_UNIT,
        "statement": list(settings.REPORT_STATEMENT),
        "devices": _devices(enterprise),
        "items": _items(enterprise, window_end),
        "window": _window(run),
        "days": [_day_row(day) for day in window_days(run)],
        "rates": _rates(run),
        "consecutive": {
            "days": run.consecutive_complete_days,
            "required": settings.TELEMETRY_TRIAL_DAYS,
            "ok": run.consecutive_complete_days >= settings.TELEMETRY_TRIAL_DAYS,
        },
        "relay": _relay(enterprise, run),
        "display": _display(display_confirmed),
        "energy_history": _history(enterprise),
    }
    figures["totals"] = _totals(figures["days"])
    figures["backfill"] = _backfill(enterprise, run, figures["days"])
    figures["conclusion"] = _conclusion(run, figures)
    return figures


# --- The parts -------------------------------------------------------------------------------


def _iso(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(BEIJING).isoformat()
    return value.isoformat()


def _plain(number) -> str:
    """A decimal as people write it: 6000000, 10, 99.9 (never 6E+6)."""
    return f"{Decimal(number).normalize():f}"


def person(user) -> str:
    """How a report names a person: the portal's full name, else the login name."""
    if user is None:
        return ""
    return getattr(user, "full_name", "") or user.get_full_name() or user.get_username()


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=BEIJING)


def _zh_region(code: str) -> str:
    from django.utils import translation

    with translation.override("zh-hans"):
        return str(Region(code).label) if code in Region.values else code


def _trial(run: TrialRun) -> dict:
    return {
        "id": run.pk,
        "number": run.number,
        "status": run.status,
        "passed": run.status == TrialStatus.PASSED,
        "started_on": _iso(run.started_on),
        "counted_from": _iso(run.counted_from),
        "finished_at": _iso(run.finished_at),
        "evaluated_at": _iso(run.evaluated_at),
    }


def _scheme_and_application(enterprise) -> dict:
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
            "finalised_at": _iso(scheme.finalised_at),
        },
        "application": None
        if application is None
        else {
            "id": application.pk,
            "application_date": _iso(application.application_date),
            "approved_at": _iso(application.reviewed_at),
            "builder_name": application.builder_name,
            "declared_points": application.monitoring_points,
            "declared_energy_types": list(application.energy_types or []),
        },
    }


def _devices(enterprise) -> list[dict]:
    devices = list(EndDevice.objects.filter(enterprise=enterprise, is_active=True))
    now = timezone.now()
    certificates: dict[str, DeviceCertificate] = {}
    for cert in DeviceCertificate.objects.filter(
        enterprise=enterprise,
        device_serial__in=[d.serial for d in devices],
        revoked_at__isnull=True,
        not_after__gt=now,
    ).order_by("issued_at", "pk"):
        certificates[cert.device_serial] = cert  # the latest issued valid one wins
    rows = []
    for device in devices:
        cert = certificates.get(device.serial)
        rows.append(
            {
                "manufacturer": device.manufacturer,
                "model": device.model,
                "serial": device.serial,
                "manufacture_date": _iso(device.manufacture_date),
                "certificate_serial": cert.serial_hex if cert else "",
                "certificate_not_after": _iso(cert.not_after) if cert else None,
            }
        )
    return rows


def _items(enterprise, on: date) -> dict:
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
        code, name = _energy_of(item, types)
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
STAT_LABELS = {STAT_KEYS[k]: v for k, v in STAT_TYPE_LABELS.items()}


def _energy_of(item, types: dict[str, str]) -> tuple[str, str]:
    if item.energy_type_id is not None:
        return item.energy_type.code, item.energy_type.name
    try:
        code = item.code.energy_type_code
    except ValueError:
        code = None
    if code:
        return code, types.get(code, code)
    return "", OTHER_TYPE


def _window(run: TrialRun) -> dict:
    start, end = run.window_start, run.window_end
    return {
        "start": _iso(start),
        "end": _iso(end),
        "days": (end - start).days + 1 if start and end else 0,
    }


def _day_row(day: dict) -> dict:
    row = {"day": day["day"], **{key: int(day.get(key, 0)) for key in DAY_FIELDS}}
    row["complete"] = bool(day.get("complete"))
    return row


def _totals(days: list[dict]) -> dict:
    totals = {key: sum(day[key] for day in days) for key in DAY_FIELDS}
    totals["complete_days"] = sum(1 for day in days if day["complete"])
    return totals


def _rates(run: TrialRun) -> dict:
    required = Decimal(settings.TELEMETRY_TRIAL_SUCCESS_RATE)
    basis = settings.TELEMETRY_TRIAL_RATE_BASIS

    def rate(value: Decimal | None, key: str) -> dict:
        return {
            "value": None if value is None else str(value),
            "display": percent(value),
            "ok": value is not None and value >= required,
            "decides": basis == key,
        }

    return {
        "required": str(required),
        "required_display": f"{_plain(required * 100)}%",
        "basis": basis,
        "expected": run.expected,
        "successful": run.successful,
        "on_time": run.on_time,
        "success": rate(run.success_rate, "success"),
        "on_time_rate": rate(run.on_time_rate, "on_time"),
    }


def _relay(enterprise, run: TrialRun) -> dict:
    flags = (
        RelayFlag.objects.filter(enterprise=enterprise, last_seen__gte=_start_of(run.started_on))
        .select_related("decided_by")
        .order_by("first_seen", "pk")
    )
    rows = [
        {
            "source_ip": flag.source_ip or "未知地址",
            "first_seen": _iso(flag.first_seen),
            "last_seen": _iso(flag.last_seen),
            "batch_count": flag.batch_count,
            "status": flag.status,
            "status_label": str(RelayFlagStatus(flag.status).label),
            "reason": flag.reason,
            "decided_by": person(flag.decided_by),
            "decided_at": _iso(flag.decided_at),
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


def _display(confirmed: dict | None) -> dict:
    confirmed = confirmed or {}
    shown = {
        "enterprise": bool(confirmed.get("enterprise")),
        "government": bool(confirmed.get("government")),
    }
    return {**shown, "ok": all(shown.values())}


def _history(enterprise) -> dict:
    view = energy_history.structure_for(enterprise)
    if view is None:
        return {"received": False}
    structure = view.structure
    return {
        "received": True,
        "file_name": view.source.original_name,
        "uploaded_at": _iso(view.source.uploaded_at),
        "first_month": f"{structure.first_month:%Y-%m}",
        "last_month": f"{structure.last_month:%Y-%m}",
        "months": len(energy_history.monthly_totals(view.source)),
        "total_tce": str(structure.total_tce),
        "structure": [
            {
                **{key: entry[key] for key in ("code", "name", "unit", "tce", "share")},
                "quantity": _plain(entry["quantity"]),
            }
            for entry in structure.shares
        ],
        "main_share": _plain(structure.main_share * 100),
        "missing_main": view.missing_main,
    }


def _backfill(enterprise, run: TrialRun, days: list[dict]) -> dict:
    """断点续传: the backfilled slots of the window and the outages reported in it."""
    start, end = run.window_start, run.window_end
    outages = []
    if start and end:
        by_day = {row["day"]: row for row in days}
        notices = (
            OutageNotice.objects.filter(
                enterprise=enterprise, starts_at__lt=_start_of(end + timedelta(days=1))
            )
            .exclude(resolved_at__lt=_start_of(start))
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
                    "starts_at": _iso(notice.starts_at),
                    "expected_end": _iso(notice.expected_end),
                    "resolved_at": _iso(notice.resolved_at),
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


def _conclusion(run: TrialRun, figures: dict) -> dict:
    reasons = []
    if run.status != TrialStatus.PASSED:
        reasons.append("稳定上传试运行未通过")
    if not figures["consecutive"]["ok"]:
        reasons.append(
            f"连续完整天数 {figures['consecutive']['days']} 天，"
            f"未达到 {figures['consecutive']['required']} 天"
        )
    rates = figures["rates"]
    for key, label in (("success", "上传成功率"), ("on_time_rate", "一次上传成功率")):
        if rates[key]["decides"] and not rates[key]["ok"]:
            reasons.append(f"{label} {rates[key]['display']}，低于 {rates['required_display']}")
    relay = figures["relay"]
    if relay["confirmed"]:
        reasons.append("存在经审核认定的第三方中转上传（未经端设备直接报送）")
    if relay["open"]:
        reasons.append("存在尚未处理的疑似第三方中转上传")
    display = figures["display"]
    if not display["enterprise"]:
        reasons.append("未确认省平台企业子系统正确显示该企业上报的能耗数据")
    if not display["government"]:
        reasons.append("未确认省平台政府子系统正确显示该企业上报的能耗数据")
    if not figures["energy_history"]["received"]:
        reasons.append("企业未提交历史能耗数据")
    return {
        "conforms": not reasons,
        "label": NOT_CONFORMS if reasons else CONFORMS,
        "reasons": reasons,
    }
