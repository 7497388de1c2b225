"""GB 17167 check of an enterprise's 计量器具台账.

The requirements are read from ``applications/data/metering_requirements.csv`` (a copy of
the project's domain table, ../shared/domain/metering_requirements.csv): per energy kind
and metering level the required 配备率, and per kind of instrument at level 1 the required
准确度等级. The CSV names kinds of energy (电力, 固态能源-煤炭, ...); they are mapped here
to the national energy codes the portal speaks (portal.catalogue.EnergyCode).

What the portal can check from the ledger alone:
- every energy type the enterprise uses (its scheme's, and its meters') has meters at each
  level the standard requires a 配备率 for;
- every level-1 meter is at least as accurate as the loosest class the standard sets for
  its kind of instrument (the class every customer category must meet; stricter classes
  depend on the customer category, which the ledger does not record);
- its certificate is in date.
"""

import csv
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path

from django.utils import timezone
from django.utils.translation import gettext as _

from portal.catalogue import energy_label

CSV_PATH = Path(__file__).resolve().parent / "data" / "metering_requirements.csv"

COAL = ("0100", "0102", "0103", "0104", "0105", "0600", "0700", "0800")
MANUFACTURED_GAS = ("1100", "1200", "1300", "1400")
NATURAL_GAS = ("1500", "1600", "1700")
REFINED_OIL = ("1900", "2000", "2100")

# CSV energy kind (the Chinese before " (") -> energy codes.
ENERGY_KINDS = {
    "电力": ("3300",),
    "固态能源-煤炭": COAL,
    "固态能源-焦炭": ("0900",),
    "液态能源-原油": ("1800",),
    "液态能源-成品油": REFINED_OIL,
    "液态能源-重油": ("2200",),
    "气态能源-天然气": NATURAL_GAS,
    "气态能源-液化气": ("2300",),
    "气态能源-煤气": MANUFACTURED_GAS,
    "载能工质-蒸汽": ("3200",),
    "可回收利用的余能": ("3700",),
}
# CSV instrument kind prefix -> energy codes its accuracy row applies to.
INSTRUMENT_KINDS = {
    "衡器": (*COAL, "0900"),
    "电能表": ("3300",),
    "油流量表-成品油": REFINED_OIL,
    "油流量表-重油渣油": ("2200",),
    "气体流量表-煤气": MANUFACTURED_GAS,
    "气体流量表-天然气": NATURAL_GAS,
    "气体流量表-蒸汽": ("3200",),
}


@dataclass(frozen=True)
class Requirements:
    # (code, level) -> required 配备率 in percent
    rates: dict
    # code -> loosest required accuracy class at level 1 (text, e.g. "2.0")
    accuracy: dict


def _kind(text: str) -> str:
    return text.split(" (")[0].strip()


def _level(text: str) -> int | None:
    match = re.match(r"L(\d)", text.strip())
    return int(match.group(1)) if match else None


def class_value(text: str) -> tuple[Decimal, bool] | None:
    """ "0.5S" -> (0.5, True); "1.0" -> (1.0, False); None when not a class."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([sS]?)\s*(级)?\s*", text or "")
    if not match:
        return None
    try:
        return Decimal(match.group(1)), bool(match.group(2))
    except InvalidOperation:
        return None


def worse_than(meter_class: str, required: str) -> bool:
    """Whether a meter of `meter_class` is less accurate than `required` asks."""
    have, need = class_value(meter_class), class_value(required)
    if have is None or need is None:
        return False
    if have[0] != need[0]:
        return have[0] > need[0]
    return need[1] and not have[1]


@cache
def requirements(path: Path = CSV_PATH) -> Requirements:
    rates: dict = {}
    accuracy: dict = {}
    with open(path, encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            kind, level = _kind(row["energy_type"]), _level(row["level"])
            rate = (row.get("configuration_rate_percent") or "").strip()
            if rate and kind in ENERGY_KINDS and level:
                for code in ENERGY_KINDS[kind]:
                    rates[(code, level)] = int(rate)
            required = (row.get("accuracy_class") or "").strip()
            if required:
                for prefix, codes in INSTRUMENT_KINDS.items():
                    if kind.startswith(prefix):
                        for code in codes:
                            current = accuracy.get(code)
                            # The loosest class of the kind (what every customer must meet).
                            if current is None or worse_than(required, current):
                                accuracy[code] = required
    return Requirements(rates=rates, accuracy=accuracy)


def shortfalls(meters, energy_codes=(), today=None) -> list[dict]:
    """What the ledger lacks against GB 17167: [{"kind", "energy", "level", "text"}].

    `meters` are the enterprise's Meter rows (already read), `energy_codes` the energy
    types its scheme names; both count as energy types in use."""
    from .models import MeterLevel

    today = today or timezone.localdate()
    req = requirements()
    in_use = list(dict.fromkeys([*energy_codes, *(m.energy_type for m in meters)]))
    present = {(m.energy_type, m.metering_level) for m in meters}
    found = []
    for code in in_use:
        for level in MeterLevel:
            rate = req.rates.get((code, level.value))
            if rate and (code, level.value) not in present:
                found.append(
                    {
                        "kind": "level",
                        "energy": code,
                        "level": level.value,
                        "text": _(
                            "%(energy)s：GB 17167 要求%(level)s计量器具配备率 %(rate)s%%，"
                            "台账中没有该级计量器具"
                        )
                        % {"energy": energy_label(code), "level": level.label, "rate": rate},
                    }
                )
    for meter in meters:
        required = req.accuracy.get(meter.energy_type)
        if meter.metering_level == MeterLevel.LEVEL1 and required:
            if class_value(meter.accuracy_class) is None:
                text = _("%(m)s：准确度等级“%(c)s”无法识别，应不低于 %(r)s 级")
            elif worse_than(meter.accuracy_class, required):
                text = _("%(m)s：准确度等级 %(c)s 低于 GB 17167 要求的 %(r)s 级")
            else:
                text = None
            if text:
                found.append(
                    {
                        "kind": "accuracy",
                        "energy": meter.energy_type,
                        "level": meter.metering_level,
                        "text": text % {"m": str(meter), "c": meter.accuracy_class, "r": required},
                    }
                )
        if meter.valid_until < today:
            found.append(
                {
                    "kind": "expired",
                    "energy": meter.energy_type,
                    "level": meter.metering_level,
                    "text": _("%(m)s：检定/校准有效期已于 %(d)s 届满")
                    % {"m": str(meter), "d": meter.valid_until.isoformat()},
                }
            )
    return found
