"""The stable-upload trial's rules in words, with this installation's settings (DESIGN §4).

The trial page shows them, so an enterprise and a reviewer read the same thresholds the
arrival classes (``telemetry.timeslots``) and the evaluation (``services.trial``) apply.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext as _

from ..models.trial import percent


def rules_in_words() -> list[str]:
    """The arrival classes and the pass rule, one sentence each, in the user's language."""
    cycles = settings.TELEMETRY_BACKFILL_CYCLES
    cap = settings.TELEMETRY_BACKFILL_CAP_HOURS
    days = settings.TELEMETRY_TRIAL_DAYS
    rate = percent(Decimal(settings.TELEMETRY_TRIAL_SUCCESS_RATE))
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
            "试运行：最近连续 %(days)s 天每天完整（应报时段全部收到）且上传成功率不低于 "
            "%(rate)s 时通过。"
        )
        % {"days": days, "rate": rate},
    ]
