"""The 18-character collection-item code (数据采集项编码, ``dataCode``) of SPEC §6.

Six segments of ASCII digits, concatenated without separators:

====================  ======  =============================================
segment               length  meaning
====================  ======  =============================================
``process``           2       生产工序编码 (``00`` = whole plant)
``process_unit``      2       工序单元编码 (``00`` = whole plant)
``device``            4       重点耗能设备编号 (``0000`` = whole plant)
``energy_class``      2       采集数据分类编码 ``01``..``10``
``object_code``       4       energy type / working medium / product / indicator code
``usage``             4       数据用途编码
====================  ======  =============================================

Pure module: no Django, no database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields

LENGTH = 18

# Segment name -> (length, label shown to people), in wire order.
SEGMENTS: dict[str, tuple[int, str]] = {
    "process": (2, "生产工序编码"),
    "process_unit": (2, "工序单元编码"),
    "device": (4, "重点耗能设备编号"),
    "energy_class": (2, "采集数据分类编码"),
    "object_code": (4, "采集对象编码"),
    "usage": (4, "数据用途编码"),
}

ENERGY_CLASSES = frozenset(f"{n:02d}" for n in range(1, 11))

# Classes whose object code is an energy type (SPEC §6: 01/05 primary, 02/06 secondary).
ENERGY_TYPE_CLASSES = frozenset({"01", "02", "05", "06"})

# Portal-defined coefficient sub-variants such as 1500-1 (energy_coefficients.csv).
_SUB_VARIANT = re.compile(r"(\d{4})-\d+", re.ASCII)


class DataCodeError(ValueError):
    """A malformed dataCode; ``field`` names the segment (or ``dataCode`` for the whole)."""

    def __init__(self, field: str, reason: str):
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def _segment_error(name: str, value: object) -> str | None:
    length, label = SEGMENTS[name]
    # isascii() first: isdigit() alone accepts full-width and other Unicode digits.
    if not (
        isinstance(value, str) and len(value) == length and value.isascii() and value.isdigit()
    ):
        return _sub_variant_hint(name, value) or f"{label}应为 {length} 位数字，收到 {value!r}"
    if name == "energy_class" and value not in ENERGY_CLASSES:
        return f"{label}应为 01 至 10，收到 {value!r}"
    return None


def _sub_variant_hint(name: str, value: object) -> str | None:
    # People copy codes like 1500-1 from the coefficient table; tell them what to send instead.
    if name != "object_code" or not isinstance(value, str):
        return None
    match = _SUB_VARIANT.fullmatch(value)
    if match is None:
        return None
    return (
        f"{value} 是门户内部的折标系数子类编码，不能上传；"
        f"请使用上级编码 {match.group(1)}，并在 convertRation 中填写所选折标系数"
    )


@dataclass(frozen=True)
class DataCode:
    """A validated dataCode; construct with :meth:`parse` or :meth:`build`."""

    process: str
    process_unit: str
    device: str
    energy_class: str
    object_code: str
    usage: str

    def __post_init__(self) -> None:
        for name in SEGMENTS:
            reason = _segment_error(name, getattr(self, name))
            if reason is not None:
                raise DataCodeError(name, reason)

    @classmethod
    def parse(cls, text: str) -> DataCode:
        """Split an 18-digit code into its segments, naming the first bad segment."""
        if not isinstance(text, str) or len(text) != LENGTH:
            raise DataCodeError("dataCode", f"数据采集项编码应为 {LENGTH} 位数字，收到 {text!r}")
        parts: dict[str, str] = {}
        position = 0
        for name, (length, _label) in SEGMENTS.items():
            parts[name] = text[position : position + length]
            position += length
        return cls(**parts)

    @classmethod
    def build(cls, **segments: str) -> DataCode:
        """Assemble a code from named segments, e.g. ``build(process="00", ..., usage="0000")``."""
        for name in segments:
            if name not in SEGMENTS:
                raise DataCodeError(name, f"{name} 不是数据采集项编码的组成段")
        for name, (_length, label) in SEGMENTS.items():
            if name not in segments:
                raise DataCodeError(name, f"缺少{label}")
        return cls(**segments)

    def __str__(self) -> str:
        return "".join(getattr(self, f.name) for f in fields(self))

    @property
    def energy_type_code(self) -> str | None:
        """The 4-digit energy type (SPEC §7) when the class is an energy class, else None."""
        return self.object_code if self.energy_class in ENERGY_TYPE_CLASSES else None
