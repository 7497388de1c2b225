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

Pure module: no Django, no database. Messages are Chinese (the device protocol answers in
Chinese); each error also carries its template and parameters, marked with ``gettext_noop``
so makemessages extracts them, and pages translate them (``telemetry.forms``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields

LENGTH = 18


def gettext_noop(message: str) -> str:
    """Mark a message for makemessages (it extracts ``gettext_noop``) without importing Django."""
    return message


# Segment name -> (length, label shown to people), in wire order.
SEGMENTS: dict[str, tuple[int, str]] = {
    "process": (2, gettext_noop("生产工序编码")),
    "process_unit": (2, gettext_noop("工序单元编码")),
    "device": (4, gettext_noop("重点耗能设备编号")),
    "energy_class": (2, gettext_noop("采集数据分类编码")),
    "object_code": (4, gettext_noop("采集对象编码")),
    "usage": (4, gettext_noop("数据用途编码")),
}

ENERGY_CLASSES = frozenset(f"{n:02d}" for n in range(1, 11))

# Classes whose object code is an energy type (SPEC §6: 01/05 primary, 02/06 secondary).
ENERGY_TYPE_CLASSES = frozenset({"01", "02", "05", "06"})

# Portal-defined coefficient sub-variants such as 1500-1 (energy_coefficients.csv).
_SUB_VARIANT = re.compile(r"(\d{4})-\d+", re.ASCII)


class DataCodeError(ValueError):
    """A malformed dataCode; ``field`` names the segment (or ``dataCode`` for the whole).

    ``reason`` is the Chinese message; ``template`` % ``params`` gives the same message, so a
    caller with Django can translate ``template`` (and the ``label`` parameter, a segment
    label) instead.
    """

    def __init__(self, field: str, template: str, **params: object):
        self.field = field
        self.template = template
        self.params = params
        self.reason = template % params
        super().__init__(f"{field}: {self.reason}")


def _segment_error(name: str, value: object) -> tuple[str, dict] | None:
    length, label = SEGMENTS[name]
    # isascii() first: isdigit() alone accepts full-width and other Unicode digits.
    if not (
        isinstance(value, str) and len(value) == length and value.isascii() and value.isdigit()
    ):
        return _sub_variant_hint(name, value) or (
            gettext_noop("%(label)s应为 %(length)s 位数字，收到 %(value)s"),
            {"label": label, "length": length, "value": repr(value)},
        )
    if name == "energy_class" and value not in ENERGY_CLASSES:
        return (
            gettext_noop("%(label)s应为 01 至 10，收到 %(value)s"),
            {"label": label, "value": repr(value)},
        )
    return None


def _sub_variant_hint(name: str, value: object) -> tuple[str, dict] | None:
    # People copy codes like 1500-1 from the coefficient table; tell them what to send instead.
    if name != "object_code" or not isinstance(value, str):
        return None
    match = _SUB_VARIANT.fullmatch(value)
    if match is None:
        return None
    return (
        gettext_noop(
            "%(value)s 是门户内部的折标系数子类编码，不能上传；"
            "请使用上级编码 %(parent)s，并在 convertRation 中填写所选折标系数"
        ),
        {"value": value, "parent": match.group(1)},
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
            problem = _segment_error(name, getattr(self, name))
            if problem is not None:
                raise DataCodeError(name, problem[0], **problem[1])

    @classmethod
    def parse(cls, text: str) -> DataCode:
        """Split an 18-digit code into its segments, naming the first bad segment."""
        if not isinstance(text, str) or len(text) != LENGTH:
            raise DataCodeError(
                "dataCode",
                gettext_noop("数据采集项编码应为 %(length)s 位数字，收到 %(value)s"),
                length=LENGTH,
                value=repr(text),
            )
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
                raise DataCodeError(
                    name, gettext_noop("%(name)s 不是数据采集项编码的组成段"), name=name
                )
        for name, (_length, label) in SEGMENTS.items():
            if name not in segments:
                raise DataCodeError(name, gettext_noop("缺少%(label)s"), label=label)
        return cls(**segments)

    def __str__(self) -> str:
        return "".join(getattr(self, f.name) for f in fields(self))

    @property
    def energy_type_code(self) -> str | None:
        """The 4-digit energy type (SPEC §7) when the class is an energy class, else None."""
        return self.object_code if self.energy_class in ENERGY_TYPE_CLASSES else None
