"""Sentences stored with the records they explain, kept as a code and its parameters.

Alarm details and trial failure reasons are written by the periodic checks, which run in the
portal's language (Chinese); the stored text is what people were told and stays the audit
record. Beside it the record keeps a code and JSON parameters, so a page can say the same in
the reader's language (docs/decisions/0007-stored-texts-and-fixed-formats.md). ``render``
composes the sentence in the active language for the pages; ``stored_text`` composes it in
the portal's language for the record and the notification. A record without a known code
(written before the codes existed) shows its stored text.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _


def _silent_item(p: dict) -> str:
    return _("采集项 %(code)s %(name)s 已连续 %(n)s 个周期以上没有数据（最后时段：%(since)s）") % {
        **p,
        "since": p["since"] or _("两天以上"),
    }


def _silent_device(p: dict) -> str:
    text = _("端设备 %(serial)s 已超过 %(n)s 个上报周期没有上传（最近上传：%(seen)s）") % {
        **p,
        "seen": p["seen"] or _("从未"),
    }
    if p.get("outage"):
        text += _("；企业已报备停运：%(reason)s（预计 %(end)s 恢复）") % p["outage"]
    return text


def _completeness(p: dict) -> str:
    return _("%(day)s 采集项 %(code)s 完整率 %(rate)s%%，低于 %(flag)s%%") % p


def _consistency(p: dict) -> str:
    return (
        _(
            "%(month)s 采集项 %(code)s 月数据 %(value)s 与日数据之和 %(sum)s "
            "偏差 %(dev)s%%，超过 %(tol)s%%"
        )
        % p
    )


def _trial_day_lost(p: dict) -> str:
    return _("%(day)s 缺 %(n)s 个时段，已超过补传期限") % p


def _trial_day_low_rate(p: dict) -> str:
    return (
        _(
            "%(day)s 有 %(n)s 个时段未上传成功（迟到或无效），"
            "任何包含该日的连续 %(days)s 天最多允许 %(allowed)s 个"
        )
        % p
    )


def _trial_stopped(p: dict) -> str:
    return _("审核人员已停止试运行：%(comment)s") % p


def _trial_rate_unreachable(p: dict) -> str:
    return (
        _(
            "%(n)s 个时段的数据无效（valid=0），上传成功率最高只能达到 %(rate)s，"
            "低于要求的 %(required)s"
        )
        % p
    )


def _trial_restarted(p: dict) -> str:
    return _("试运行已重新开始")


def _trial_restarted_by_reviewer(p: dict) -> str:
    return _("审核人员已重新开始试运行")


RENDERERS = {
    "silent_item": _silent_item,
    "silent_device": _silent_device,
    "completeness": _completeness,
    "consistency": _consistency,
    "trial_day_lost": _trial_day_lost,
    "trial_rate_unreachable": _trial_rate_unreachable,
    "trial_day_low_rate": _trial_day_low_rate,
    "trial_stopped": _trial_stopped,
    "trial_restarted": _trial_restarted,
    "trial_restarted_by_reviewer": _trial_restarted_by_reviewer,
}


def stored_text(code: str, params: dict | None) -> str:
    """The sentence as it is stored and sent: in the portal's language, whatever is active."""
    with translation.override(settings.LANGUAGE_CODE):
        return render(code, params)


def render(code: str, params: dict | None, stored: str = "") -> str:
    """The sentence of ``code`` in the active language; ``stored`` when it cannot be composed
    (no code, an unknown one, or parameters that do not fit the template)."""
    renderer = RENDERERS.get(code or "")
    if renderer is None:
        return stored
    try:
        return renderer(params or {})
    except (KeyError, TypeError, ValueError):
        return stored
