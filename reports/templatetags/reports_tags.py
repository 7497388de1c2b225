"""Filters for the printed documents (shared by every PDF template of the reports app)."""

from __future__ import annotations

from datetime import date, datetime

from django import template
from django.utils import timezone

register = template.Library()


@register.filter
def cn_date(value) -> str:
    """A date as Chinese documents write it: 2026年11月30日 (a datetime in Beijing time).

    Takes a date, an aware datetime or ISO text; nothing gives the blank form "年 月 日"."""
    if isinstance(value, str) and value:
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    if not isinstance(value, date):
        return "\u3000\u3000\u3000\u3000年\u3000\u3000月\u3000\u3000日"
    return f"{value.year}年{value.month}月{value.day}日"
