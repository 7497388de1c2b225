"""Number and unit display of the 能耗数据分析 pages: thousands separators (the zh-hans
locale groups no digits, so this is explicit) and units named in Chinese."""

from decimal import Decimal, InvalidOperation

from django import template

from .. import analysis

register = template.Library()


@register.filter
def thousands(value, places=2):
    """1234567.891 -> "1,234,567.89"; None -> "—"."""
    if value is None or value == "":
        return "—"
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return value
    return f"{number:,.{int(places)}f}"


@register.filter
def unit_name(unit: str) -> str:
    """The unit's Chinese name (in English, its symbol); an unknown unit as registered."""
    return analysis.unit_name(unit)
