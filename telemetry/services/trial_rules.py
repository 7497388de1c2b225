"""The stable-upload trial's rules in words, with this installation's settings (DESIGN §4).

The trial page shows them, so an enterprise and a reviewer read the same thresholds the
arrival classes (``telemetry.timeslots``) and the evaluation (``services.trial``) apply.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..models.trial import percent

DAY_STATES = {
    "pending": gettext_lazy("未到期"),
    "open": gettext_lazy("待补传"),
    "complete": gettext_lazy("完整"),
    "lost": gettext_lazy("缺数（已过补传期限）"),
    "low_rate": gettext_lazy("成功率不足"),
}


def day_rows(run) -> list[dict]:
    """The run's per-day figures with the state in words, for the trial page."""
    rows = []
    for entry in run.days:
        state = entry.get("state") or ("complete" if entry.get("complete") else "open")
        rates = {
            key: percent(Decimal(entry[key])) if entry.get(key) else ""
            for key in ("success_rate", "on_time_rate")
        }
        rows.append({**entry, **rates, "state": state, "state_label": DAY_STATES.get(state, state)})
    return rows


def rules_in_words() -> list[str]:
    """The arrival classes and the pass rule, one sentence each, in the user's language."""
    cycles = settings.TELEMETRY_BACKFILL_CYCLES
    cap = settings.TELEMETRY_BACKFILL_CAP_HOURS
    days = settings.TELEMETRY_TRIAL_DAYS
    rate = percent(Decimal(settings.TELEMETRY_TRIAL_SUCCESS_RATE))
    basis = (
        _("一次上传成功率（按期到达且有效 ÷ 应报）")
        if settings.TELEMETRY_TRIAL_RATE_BASIS == "on_time"
        else _("上传成功率")
    )
    return [
        _(
            "按期到达：实时数据在本时段结束后一个采集周期内到达，日数据在次日结束前到达，"
            "月数据在次月 %(day)s 日结束前到达。"
        )
        % {"day": settings.TELEMETRY_MONTHLY_DEADLINE_DAY},
        _(
            "补传：错过按期期限后，在随后 %(cycles)s 个上报周期内到达；或设备在此期间因链路中断"
            "没有任何成功上传时，在恢复后首次成功上传起一个上报周期内到达。因中断而补传的数据"
            "最迟须在该时段起点后 %(cap)s 小时内到达。"
        )
        % {"cycles": cycles, "cap": cap},
        _("迟到：超过以上期限才到达的数据照常保存和显示，但不计为上传成功。缺失：尚未收到。"),
        _(
            "上传成功 = 按期到达或补传、且数据有效（valid=1）；"
            "上传成功率 = 上传成功时段 ÷ 应报时段。"
        ),
        _(
            "试运行：最近连续 %(days)s 天每天完整（应报时段全部收到）且%(basis)s不低于 "
            "%(rate)s，并且没有待处理的疑似中转上传时通过。"
        )
        % {"days": days, "rate": rate, "basis": basis},
        _(
            "某日缺数且已过补传期限，或该日未成功时段多到任何包含它的连续 %(days)s 天都达不到"
            "要求时，从次日起重新计数；当天及以后的日期显示为未到期，不计为缺失。"
        )
        % {"days": days},
        _("试运行超过 %(flag)s 天仍未通过的，提请审核人员关注；审核人员可停止或重新开始试运行。")
        % {"flag": settings.TELEMETRY_TRIAL_FLAG_DAYS},
    ]
