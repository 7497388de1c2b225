"""Filters the conformance report's template needs for its frozen figures (ISO text)."""

from __future__ import annotations

from datetime import date, datetime

from django import template
from django.utils import timezone

register = template.Library()


@register.filter
def as_date(value):
    """ISO text of a frozen snapshot back to a date or datetime (for ``cn_date``)."""
    if not isinstance(value, str) or not value:
        return value
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return value
    return parsed.date() if len(value) == 10 else parsed


@register.filter
def moment(value) -> str:
    """A frozen moment as 2026-03-03 09:50 (Beijing time); a dash for none."""
    parsed = as_date(value)
    if isinstance(parsed, datetime):
        if timezone.is_aware(parsed):
            parsed = timezone.localtime(parsed)
        return f"{parsed:%Y-%m-%d %H:%M}"
    if isinstance(parsed, date):
        return parsed.isoformat()
    return "—"


@register.filter
def short_day(value) -> str:
    """2026-03-01 as 3月1日 (the per-day table)."""
    parsed = as_date(value)
    return f"{parsed.month}月{parsed.day}日" if isinstance(parsed, date) else str(value)


@register.filter
def mark(value) -> str:
    """A yes/no of the report as ✓ / ✗ (a dash for unknown)."""
    if value is None:
        return "—"
    return "是" if value else "否"
