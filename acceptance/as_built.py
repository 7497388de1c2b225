"""The design scheme against what was actually built, beside item 2 of the 验收报告
(项目实施效果与设计方案一致性): the energy types the finalised scheme plans against the energy
types of the active data items, the planned 一级计量器具 against the level-1 meters registered
in the ledger, the planned monitoring points per energy type against the active data items,
and registered end devices that carry no active data item. Only the differences are listed.
"""

from collections import Counter
from dataclasses import dataclass, field

from applications.models import DesignScheme, Meter, MeterLevel, SchemeState
from portal.catalogue import energy_label
from telemetry.datacode import DataCode, DataCodeError
from telemetry.models import DataItem, EndDevice


@dataclass
class AsBuilt:
    scheme_number: str = ""
    energies_not_built: list[str] = field(default_factory=list)
    energies_not_planned: list[str] = field(default_factory=list)
    instruments_missing: list[dict] = field(default_factory=list)
    points_short: list[dict] = field(default_factory=list)
    idle_devices: list[str] = field(default_factory=list)

    @property
    def has_scheme(self) -> bool:
        return bool(self.scheme_number)

    @property
    def differences(self) -> bool:
        return bool(
            self.energies_not_built
            or self.energies_not_planned
            or self.instruments_missing
            or self.points_short
            or self.idle_devices
        )


def finalised_scheme(enterprise):
    return (
        DesignScheme.objects.filter(enterprise=enterprise, state=SchemeState.FINALISED)
        .order_by("-finalised_at", "-pk")
        .first()
    )


def _item_energy(energy_code, data_code) -> str | None:
    if energy_code:
        return energy_code
    try:
        return DataCode.parse(data_code).energy_type_code
    except DataCodeError:
        return None


def as_built(enterprise) -> AsBuilt:
    """Four queries: the scheme, the active items, the level-1 meters, the idle devices."""
    scheme = finalised_scheme(enterprise)
    if scheme is None:
        return AsBuilt()
    items = DataItem.objects.filter(enterprise=enterprise, is_active=True).values_list(
        "energy_type__code", "data_code"
    )
    built = Counter(code for code in (_item_energy(e, d) for e, d in items) if code is not None)
    planned = scheme.energy_codes
    meters = Counter(
        (m_energy, m_model.strip())
        for m_energy, m_model in Meter.objects.filter(
            enterprise=enterprise, metering_level=MeterLevel.LEVEL1
        ).values_list("energy_type", "model")
    )
    missing, planned_points = [], Counter()
    for row in scheme.instruments:
        planned_points[row["energy_type"]] += 1
        key = (row["energy_type"], (row.get("model") or "").strip())
        if meters[key] > 0:
            meters[key] -= 1
        else:
            missing.append(
                {
                    "energy": energy_label(row["energy_type"]),
                    "instrument": row.get("instrument", ""),
                    "model": row.get("model", ""),
                    "location": row.get("location", ""),
                }
            )
    idle = EndDevice.objects.filter(enterprise=enterprise, is_active=True).exclude(
        data_items__is_active=True
    )
    return AsBuilt(
        scheme_number=scheme.number,
        energies_not_built=[energy_label(c) for c in planned if c not in built],
        energies_not_planned=[energy_label(c) for c in sorted(built) if c not in planned],
        instruments_missing=missing,
        points_short=[
            {"energy": energy_label(code), "planned": n, "built": built[code]}
            for code, n in sorted(planned_points.items())
            if built[code] < n
        ],
        idle_devices=list(idle.order_by("serial").values_list("serial", flat=True).distinct()),
    )
