"""能耗数据分析: the energy values the devices sent, aggregated in SQL.

Plain functions over an enterprise and a checked period (telemetry.forms.AnalysisForm);
the views scope the enterprise first. Every figure is one grouped query over the readings
table (index on (item, slot)), never a loop over readings:

- ``item_series``: one item's values per 15-minute slot, Beijing day or Beijing month.
- ``energy_totals``: per day (month) and energy type, the physical quantity and the tce of
  the level-1 consumption items (``totals_items``).

Only valid readings (valid=1) are summed; suspect ones (valid=0) are counted beside them.
tce = Σ value × the item's 折标系数 convertRation (kgce per unit, by default the GB/T 2589
coefficient of its energy type from the energy dictionary) ÷ 1000. The item's coefficient
is the one used, because it is what the enterprise registered and the device sends.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncDay, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import EnergyType, Reading
from .models.item import MeteringLevel
from .timeslots import BEIJING, StatType

SLOT, DAY, MONTH = "slot", "day", "month"

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


def unit_name(unit: str) -> str:
    """The unit's Chinese name (in English, its symbol); an unknown unit as registered."""
    name = UNIT_NAMES.get((unit or "").strip())
    return str(name) if name is not None else unit


KG_PER_TONNE = Decimal(1000)


@dataclass(frozen=True)
class Period:
    """Beijing calendar days ``start``..``end`` (both included), grouped by ``step``."""

    start: date
    end: date
    step: str

    @property
    def first_slot(self) -> datetime:
        return datetime.combine(self.start, time.min, tzinfo=BEIJING)

    @property
    def end_slot(self) -> datetime:
        """The first slot after the period (exclusive bound)."""
        return datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=BEIJING)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def _bucket(step: str):
    if step == MONTH:
        return TruncMonth("slot", tzinfo=BEIJING)
    if step == DAY:
        return TruncDay("slot", tzinfo=BEIJING)
    return F("slot")


def bucket_label(moment, step: str) -> str:
    local = timezone.localtime(moment, BEIJING) if isinstance(moment, datetime) else moment
    if step == MONTH:
        return local.strftime("%Y-%m")
    if step == DAY:
        return local.strftime("%Y-%m-%d")
    return local.strftime("%Y-%m-%d %H:%M")


def tce(kgce: Decimal | None) -> Decimal:
    return (kgce or Decimal(0)) / KG_PER_TONNE


def _readings(item_ids, period: Period):
    return Reading.objects.filter(
        item_id__in=item_ids, slot__gte=period.first_slot, slot__lt=period.end_slot
    )


def item_series(item, period: Period) -> list[dict]:
    """One row per slot/day/month that has readings: valid sum, its tce, counts."""
    rows = (
        _readings([item.pk], period)
        .annotate(bucket=_bucket(period.step))
        .values("bucket")
        .annotate(
            total=Sum("value", filter=Q(valid=True)),
            readings=Count("value", filter=Q(valid=True)),
            suspect=Count("value", filter=Q(valid=False)),
        )
        .order_by("bucket")
    )
    coefficient = item.convert_ration
    return [
        {
            "label": bucket_label(row["bucket"], period.step),
            "value": row["total"],
            "tce": tce(row["total"] * coefficient) if row["total"] is not None else None,
            "readings": row["readings"],
            "suspect": row["suspect"],
        }
        for row in rows
    ]


@dataclass
class EnergyTotals:
    """Per period bucket and energy type (with unit): physical quantity and tce."""

    columns: list[dict] = field(default_factory=list)  # {"key", "type", "unit"}
    rows: list[dict] = field(default_factory=list)  # {"label", "cells": [..], "tce": Decimal}
    total_tce: Decimal = Decimal(0)


# Energy classes whose items are the enterprise's consumption (SPEC §6: 01 primary, 02
# secondary energy; 05/06 probably the other flow direction, so they are not added).
CONSUMPTION_CLASSES = frozenset({"01", "02"})


def totals_items(items, step: str) -> list:
    """Items whose values add up to the enterprise's consumption: energy items of class 01
    or 02 metered at level 1 (进出用能单位), so sub-meters are not counted twice; per day the
    real-time and daily items, per month the monthly items too."""
    stat_types = {StatType.REALTIME, StatType.DAILY}
    if step == MONTH:
        stat_types.add(StatType.MONTHLY)
    return [
        i
        for i in items
        if i.energy_type_id is not None
        and i.metering_level == MeteringLevel.LEVEL1
        and i.stat_type in stat_types
        and i.code.energy_class in CONSUMPTION_CLASSES
    ]


def energy_totals(items, period: Period) -> EnergyTotals:
    """Totals per day (or month when ``period.step`` is month) and energy type.

    The readings are summed per item and day (month) in SQL, without a join, and those
    sums (items x days rows, never readings) are added up per energy type and unit here,
    each times its item's coefficient: Σ(value x c) = c x Σ value for one item. ``items``
    should carry their energy type (select_related).
    """
    step = MONTH if period.step == MONTH else DAY
    chosen = {i.pk: i for i in totals_items(items, step)}
    result = EnergyTotals()
    if not chosen:
        return result
    grouped = (
        _readings(list(chosen), period)
        .filter(valid=True)
        .annotate(bucket=_bucket(step))
        .values_list("item_id", "bucket")
        .annotate(physical=Sum("value"))
        .order_by()
    )
    cells: dict[str, dict] = {}
    columns: dict[tuple[str, str], EnergyType] = {}
    for item_id, bucket, physical in grouped:  # one row per item and day, not per reading
        item = chosen[item_id]
        key = (item.energy_type.code, item.unit)
        columns[key] = item.energy_type
        bucket_cells = cells.setdefault(bucket_label(bucket, step), {})
        physical_sum, tce_sum = bucket_cells.get(key, (Decimal(0), Decimal(0)))
        bucket_cells[key] = (physical_sum + physical, tce_sum + tce(physical * item.convert_ration))
    ordered = sorted(columns)
    result.columns = [{"type": columns[k], "unit": k[1]} for k in ordered]
    for label in sorted(cells):
        by_key = cells[label]
        row_tce = sum((by_key[k][1] for k in by_key), Decimal(0))
        result.rows.append(
            {
                "label": label,
                "cells": [by_key.get(k, (None, None)) for k in ordered],
                "tce": row_tce,
            }
        )
        result.total_tce += row_tce
    return result


def chart_data(item, series: list[dict]) -> dict:
    return {
        "labels": [row["label"] for row in series],
        "datasets": [
            {
                "label": f"{item.name}（{unit_name(item.unit)}）",
                "data": [None if row["value"] is None else float(row["value"]) for row in series],
            }
        ],
        "unit": item.unit,
    }
