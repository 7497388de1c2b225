"""Registered data items against what the enterprise declared: the finalised design scheme's
energy types (能源种类) and 附表1 of its access application (采集能源品种, 监测点数量).

Shown to reviewers on the enterprise's registry page (``registry/_comparison.html``, an
include another page can place with ``comparison`` in its context). Items count by the
4-digit national energy code of their energy type (portal sub-codes such as 1500-1 count as
1500), or, without one, by the energy code inside their dataCode. Only active items count;
a monitoring point (监测点) is one active data item. Four queries whatever the size.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count
from django.db.models.functions import Substr

from applications.models import AccessApplication, ApplicationState, DesignScheme, SchemeState
from portal.catalogue import energy_label

from .datacode import ENERGY_TYPE_CLASSES
from .models import DataItem


@dataclass(frozen=True)
class EnergyRow:
    code: str
    label: str
    in_scheme: bool
    in_application: bool
    items: int  # active items of this energy type

    @property
    def differs(self) -> bool:
        return self.items == 0 or not self.in_scheme or not self.in_application


@dataclass
class Comparison:
    scheme: DesignScheme | None
    application: AccessApplication | None
    rows: list[EnergyRow] = field(default_factory=list)
    registered_points: int = 0  # active items
    without_energy: int = 0  # active items whose energy type is not known

    @property
    def declared_points(self) -> int | None:
        return self.application.monitoring_points if self.application else None

    @property
    def points_differ(self) -> bool:
        return self.declared_points is not None and self.declared_points != self.registered_points

    @property
    def scheme_without_items(self) -> list[EnergyRow]:
        """Energy types of the scheme with no active item."""
        return [r for r in self.rows if r.in_scheme and r.items == 0]

    @property
    def items_outside_scheme(self) -> list[EnergyRow]:
        """Energy types of active items that the scheme does not name."""
        return [r for r in self.rows if r.items and self.scheme and not r.in_scheme]

    @property
    def application_without_items(self) -> list[EnergyRow]:
        return [r for r in self.rows if r.in_application and r.items == 0]

    @property
    def items_outside_application(self) -> list[EnergyRow]:
        return [r for r in self.rows if r.items and self.application and not r.in_application]

    @property
    def differs(self) -> bool:
        return bool(
            self.scheme_without_items
            or self.items_outside_scheme
            or self.application_without_items
            or self.items_outside_application
            or self.points_differ
        )


def _item_energy_counts(enterprise) -> tuple[dict[str, int], int]:
    """Active items per 4-digit energy code (grouped in SQL), and those with none."""
    active = DataItem.objects.filter(enterprise=enterprise, is_active=True)
    counts: dict[str, int] = {}
    for row in (
        active.filter(energy_type__isnull=False).values("energy_type__code").annotate(n=Count("id"))
    ):
        code = row["energy_type__code"].split("-")[0]
        counts[code] = counts.get(code, 0) + row["n"]
    unknown = 0
    # Without an energy type: the dataCode's class (chars 9-10) and object (11-14) segments.
    for row in (
        active.filter(energy_type__isnull=True)
        .values(cls=Substr("data_code", 9, 2), obj=Substr("data_code", 11, 4))
        .annotate(n=Count("id"))
    ):
        if row["cls"] in ENERGY_TYPE_CLASSES:
            counts[row["obj"]] = counts.get(row["obj"], 0) + row["n"]
        else:
            unknown += row["n"]
    return counts, unknown


def compare_registry(enterprise) -> Comparison:
    """The enterprise's active items against its finalised scheme and approved 附表1."""
    scheme = (
        DesignScheme.objects.filter(enterprise=enterprise, state=SchemeState.FINALISED)
        .order_by("-finalised_at", "-pk")
        .first()
    )
    application = (
        AccessApplication.objects.filter(enterprise=enterprise, state=ApplicationState.APPROVED)
        .order_by("-reviewed_at", "-submitted_at", "-pk")
        .first()
    )
    scheme_codes = set(scheme.energy_codes) if scheme else set()
    application_codes = set(application.energy_types or []) if application else set()
    counts, unknown = _item_energy_counts(enterprise)
    codes = sorted(scheme_codes | application_codes | set(counts))
    rows = [
        EnergyRow(
            code=code,
            label=energy_label(code),
            in_scheme=code in scheme_codes,
            in_application=code in application_codes,
            items=counts.get(code, 0),
        )
        for code in codes
    ]
    return Comparison(
        scheme=scheme,
        application=application,
        rows=rows,
        registered_points=sum(counts.values()) + unknown,
        without_energy=unknown,
    )
