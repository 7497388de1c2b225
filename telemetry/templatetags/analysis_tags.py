"""Number and unit display of the 能耗数据分析 pages: thousands separators (the zh-hans
locale groups no digits, so this is explicit) and units named in Chinese."""

from decimal import Decimal, InvalidOperation

from django import template
from django.utils.translation import gettext_lazy as _

register = template.Library()

# Unit symbols as registered (the dictionary's and common ones) -> the name shown.
UNIT_NAMES = {
    "kWh": _("千瓦时"),
    "万kWh": _("万千瓦时"),
    "MWh": _("兆瓦时"),
    "kg": _("千克"),
    "t": _("吨"),
    "m3": _("立方米"),
    "m³": _("立方米"),
    "m3 (standard state)": _("立方米（标准状态）"),
    "万m3": _("万立方米"),
    "MJ": _("兆焦"),
    "GJ": _("吉焦"),
    "kgce": _("千克标准煤"),
    "tce": _("吨标准煤"),
    "unit": _("单位"),
}


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
    name = UNIT_NAMES.get((unit or "").strip())
    return str(name) if name is not None else unit
