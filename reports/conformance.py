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

from decimal import Decimal

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from telemetry.models import (
    Connection,
    ConnectionState,
    HistoricalEnergyImport,
    RelayFlag,
    RelayFlagStatus,
    TrialRun,
    TrialStatus,
)
from telemetry.models.trial import percent
from telemetry.services import energy_history
from telemetry.services.relay import open_relay_flags

from . import conformance_records as records

TEMPLATE = "reports/pdf/conformance.html"
SCHEMA = 1
CONFORMS, NOT_CONFORMS = "符合", "不符合"
DAY_FIELDS = ("expected", "on_time", "backfilled", "late", "missing", "suspect")


def passed_trial(connection: Connection) -> TrialRun | None:
    """The connection's latest passed trial run (the one a report quotes), or None."""
    return (
        TrialRun.objects.filter(connection=connection, status=TrialStatus.PASSED)
        .order_by("-number")
        .first()
    )


def draft_facts(connections) -> dict[int, dict]:
    """What ``refusal_to_draft`` reads, for many connections in four queries (the queue
    page says why each passed trial can or cannot be reported without a query per row)."""
    connections = list(connections)
    enterprise_ids = {c.enterprise_id for c in connections}
    runs = {}
    for run in TrialRun.objects.filter(
        connection__in=connections, status=TrialStatus.PASSED
    ).order_by("connection_id", "-number"):
        runs.setdefault(run.connection_id, run)
    flags = list(
        RelayFlag.objects.filter(
            enterprise_id__in=enterprise_ids,
            status__in=[RelayFlagStatus.OPEN, RelayFlagStatus.CONFIRMED],
        ).order_by("pk")
    )
    histories = set(
        HistoricalEnergyImport.objects.filter(
            enterprise_id__in=enterprise_ids,
            status=HistoricalEnergyImport.Status.IMPORTED,
        ).values_list("enterprise_id", flat=True)
    )
    facts = {}
    for connection in connections:
        run = runs.get(connection.pk)
        mine = [f for f in flags if f.enterprise_id == connection.enterprise_id]
        trial_start = connection.trial_started_on
        open_flags = [
            f
            for f in mine
            if f.status == RelayFlagStatus.OPEN
            and (trial_start is None or f.last_seen >= records.start_of(trial_start))
        ]
        confirmed = (
            next(
                (
                    f
                    for f in mine
                    if f.status == RelayFlagStatus.CONFIRMED
                    and f.last_seen >= records.start_of(run.started_on)
                ),
                None,
            )
            if run is not None
            else None
        )
        facts[connection.pk] = {
            "run": run,
            "open_flags": len(open_flags),
            "confirmed": confirmed,
            "history": connection.enterprise_id in histories,
        }
    return facts


def _facts(connection: Connection) -> dict:
    run = passed_trial(connection)
    confirmed = None
    if run is not None:
        confirmed = (
            RelayFlag.objects.filter(
                enterprise_id=connection.enterprise_id, status=RelayFlagStatus.CONFIRMED
            )
            .filter(last_seen__gte=records.start_of(run.started_on))
            .first()
        )
    return {
        "run": run,
        "open_flags": open_relay_flags(connection).count(),
        "confirmed": confirmed,
        "history": energy_history.current_import(connection.enterprise) is not None,
    }


def refusal_to_draft(connection: Connection, facts: dict | None = None) -> str | None:
    """Why a conformance report cannot be drafted for ``connection`` now, or None.

    Checked in order: the connection's state, its passed trial run and that run's frozen
    window, relay flags (open ones wait for a reviewer; a confirmed one is the seed's
    fail condition 3), and the historical energy data the enterprise must have submitted.
    ``facts`` (from ``draft_facts``) saves the queries when many connections are listed.
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
    facts = facts if facts is not None else _facts(connection)
    run = facts["run"]
    if run is None:
        return _("没有已通过的稳定上传试运行记录，不能出具符合性测试报告。")
    if run.window_start is None or run.window_end is None or not window_days(run):
        return _("第 %(n)s 次试运行没有记录通过时的连续完整天数据，请联系运维人员。") % {
            "n": run.number
        }
    open_flags = facts["open_flags"]
    if open_flags:
        return _(
            "有 %(n)s 个疑似经第三方中转的上传来源地址尚待审核人员处理，处理后才能出具报告。"
        ) % {"n": open_flags}
    confirmed = facts["confirmed"]
    if confirmed is not None:
        return _(
            "来自 %(a)s 的上传已被认定为经第三方中转（未经端设备直接报送），不符合接入要求。"
        ) % {"a": confirmed.source_ip or _("未知地址")}
    if not facts["history"]:
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
        "frozen_at": records.iso(timezone.now()),
        "trial": _trial(run),
        "enterprise": {
            "id": enterprise.pk,
            "name": enterprise.name,
            "uscc": enterprise.uscc,
            "region": enterprise.region,
            "region_label": records.zh_region(enterprise.region),
            "address": enterprise.address,
        },
        **records.scheme_and_application(enterprise),
        "basis": list(settings.REPORT_TEST_BASIS),
        "testing_unit": settings.REPORT_TESTING_UNIT,
        "statement": list(settings.REPORT_STATEMENT),
        "devices": records.devices(enterprise),
        "items": records.items(enterprise, window_end),
        "window": _window(run),
        "days": [_day_row(day) for day in window_days(run)],
        "rates": _rates(run),
        "consecutive": {
            "days": run.consecutive_complete_days,
            "required": settings.TELEMETRY_TRIAL_DAYS,
            "ok": run.consecutive_complete_days >= settings.TELEMETRY_TRIAL_DAYS,
        },
        "relay": records.relay(enterprise, run),
        "display": _display(display_confirmed),
        "energy_history": records.history(enterprise),
    }
    figures["totals"] = _totals(figures["days"])
    figures["backfill"] = records.backfill(enterprise, run, figures["days"])
    figures["conclusion"] = _conclusion(run, figures)
    return figures


# --- The parts -------------------------------------------------------------------------------


def _trial(run: TrialRun) -> dict:
    return {
        "id": run.pk,
        "number": run.number,
        "status": run.status,
        "passed": run.status == TrialStatus.PASSED,
        "started_on": records.iso(run.started_on),
        "counted_from": records.iso(run.counted_from),
        "finished_at": records.iso(run.finished_at),
        "evaluated_at": records.iso(run.evaluated_at),
    }


def _window(run: TrialRun) -> dict:
    start, end = run.window_start, run.window_end
    return {
        "start": records.iso(start),
        "end": records.iso(end),
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
        "required_display": f"{records.plain(required * 100)}%",
        "basis": basis,
        "expected": run.expected,
        "successful": run.successful,
        "on_time": run.on_time,
        "success": rate(run.success_rate, "success"),
        "on_time_rate": rate(run.on_time_rate, "on_time"),
    }


def _display(confirmed: dict | None) -> dict:
    confirmed = confirmed or {}
    shown = {
        "enterprise": bool(confirmed.get("enterprise")),
        "government": bool(confirmed.get("government")),
    }
    return {**shown, "ok": all(shown.values())}


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
