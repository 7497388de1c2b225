"""Import and export of an enterprise's data-item list as XLSX or CSV.

Each row is checked by the same form as the page (``DataItemForm``), so the rules are the
same; an import writes nothing unless every row passes, and each problem is reported with
its row number (as the spreadsheet shows it), column and reason. Rows are matched to
existing items by dataCode: a known code updates the item, a new one creates it.
Item lists are small (under a thousand rows), so the import runs in the request.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from portal.models import AuditEvent
from portal.spreadsheets import SpreadsheetRefused, kind_of, read_rows, safe_row, unneutralised

from ..datacode import LENGTH, SEGMENTS
from ..energy import current_energy_types
from ..forms import DataItemForm
from ..models import DataItem, EndDevice
from .registry import require_importer

# (column key, header label, form field or None)
# The header labels are part of the file format, not of the page: an exported file has the
# same Chinese headers whatever the user's language, so a file passes unchanged between
# users, and templates handed out on paper stay valid. They are not marked for translation
# on purpose. (The importer matches on the key before the bracket, so a translated or
# missing label would still import; the error texts below are translated.)
COLUMNS = [
    ("dataCode", "数据采集项编码", None),
    ("name", "采集项名称", "name"),
    ("energyCode", "能源品种代码", "energy_type"),
    ("convertRation", "折标系数", "convert_ration"),
    ("unit", "计量单位", "unit"),
    ("statType", "统计类型", "stat_type"),
    ("interval", "实时采集间隔（分钟）", "interval_minutes"),
    ("scope", "数据范围", "scope"),
    ("inputType", "数据采集来源", "input_type"),
    ("collectionMethod", "数据采集方式", "collection_method"),
    ("dataValueMin", "合理值下限", "value_min"),
    ("dataValueMax", "合理值上限", "value_max"),
    ("meteringLevel", "计量级别", "metering_level"),
    ("instrument", "计量器具", "instrument"),
    ("deviceSerial", "端设备编号", "device"),
    ("isActive", "启用", "is_active"),
    # Last, so files written before the meter ledger existed still read the same.
    ("meterNumber", "计量器具管理编号", "meter"),
]
KEYS = [key for key, _label, _field in COLUMNS]
FIELD_COLUMN = {field: key for key, _label, field in COLUMNS if field}
FIELD_COLUMN.update({name: "dataCode" for name in DataItemForm.SEGMENT_FIELDS.values()})
MAX_ROWS = 5000
NUMERIC_CODE_REASON = gettext_noop(
    "该单元格是数字格式，Excel 只保留 15 位有效数字，编码已失真；请将该列设为文本格式后重新填写"
)


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    reason: str


class ImportRefused(Exception):
    def __init__(self, errors: list[RowError]):
        super().__init__("; ".join(f"{e.row}/{e.column}: {e.reason}" for e in errors[:5]))
        self.errors = errors


def header(key: str, label: str) -> str:
    return f"{key}（{label}）"


# --- Export --------------------------------------------------------------------------------


def item_rows(enterprise):
    items = (
        DataItem.objects.filter(enterprise=enterprise)
        .select_related("energy_type", "device", "meter")
        .order_by("data_code")
    )
    for item in items:
        yield [
            item.data_code,
            item.name,
            item.energy_type.code if item.energy_type else "",
            str(item.convert_ration.normalize()),
            item.unit,
            item.stat_type,
            item.interval_minutes,
            item.scope,
            item.input_type,
            item.collection_method,
            "" if item.value_min is None else str(item.value_min.normalize()),
            "" if item.value_max is None else str(item.value_max.normalize()),
            item.metering_level,
            item.instrument,
            item.device.serial if item.device else "",
            1 if item.is_active else 0,
            item.meter.management_number if item.meter else "",
        ]


def export_csv(enterprise) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([header(k, label) for k, label, _f in COLUMNS])
    writer.writerows(safe_row(row) for row in item_rows(enterprise))
    # A BOM, so that Excel opens the Chinese text as UTF-8.
    return out.getvalue().encode("utf-8-sig")


def export_xlsx(enterprise) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "data_items"
    sheet.append([header(k, label) for k, label, _f in COLUMNS])
    for row in item_rows(enterprise):
        sheet.append(safe_row(row))
    for cell in sheet["A"][1:]:
        cell.number_format = "@"  # keep the leading zeros of dataCode
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --- Import --------------------------------------------------------------------------------


def read_table(name: str, content: bytes, *, max_rows: int = MAX_ROWS) -> list[list]:
    """Rows of the uploaded file (header first), from XLSX or CSV, read inside the limits
    of ``portal.spreadsheets`` (size, zip directory, rows, columns, time, memory)."""
    kind = kind_of(name)
    if kind is None:
        raise ImportRefused([RowError(0, "file", _("只支持 .xlsx 或 .csv 文件"))])
    try:
        return read_rows(kind, content, max_rows=max_rows)
    except SpreadsheetRefused as refused:
        raise ImportRefused([RowError(0, "file", refused.reason)]) from None


def column_key(cell) -> str:
    """A header cell without its bracketed note: "数值（kWh）" -> "数值"."""
    return cell_text(cell).split("（", 1)[0].split("(", 1)[0].strip()


def cell_text(value) -> str:
    """A cell as text; Excel's 3300.0 for a typed-in 3300 reads back as "3300"."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unneutralised(str(value).strip())


def import_items(
    actor, enterprise, name: str, content: bytes, *, effective_on=None, reason=""
) -> dict:
    """Create or update the enterprise's items from a file; all rows or none.

    During a stable-upload trial, rows that add items or change their slot-relevant fields
    become change requests (services.item_changes) with the given day and reason.
    Raises ImportRefused with every row error; returns {"created": n, "updated": m,
    "pending": k} (k rows waiting for a reviewer).
    """
    require_importer(actor, enterprise)
    rows = read_table(name, content)
    if not rows:
        raise ImportRefused([RowError(1, "file", _("文件是空的"))])
    keys = [column_key(cell) for cell in rows[0]]
    # 计量单位 and 折标系数 may be left out: they follow the row's energy type.
    missing = [k for k in ("dataCode", "name") if k not in keys]
    if missing:
        raise ImportRefused([RowError(1, k, _("缺少必需的列")) for k in missing])
    unknown = [k for k in keys if k and k not in KEYS]
    if unknown:
        raise ImportRefused([RowError(1, k, _("无法识别的列")) for k in unknown])
    body = [row for row in rows[1:] if any(cell_text(v) for v in row)]
    if len(body) > MAX_ROWS:
        raise ImportRefused([RowError(0, "file", _("一次最多导入 %d 行") % MAX_ROWS)])

    code_column = keys.index("dataCode")
    energy, devices, meters = lookups(enterprise)
    existing = {i.data_code: i for i in DataItem.objects.filter(enterprise=enterprise)}
    errors: list[RowError] = []
    forms: list[DataItemForm] = []
    seen: dict[str, int] = {}
    for number, row in enumerate(rows[1:], start=2):
        row = [*row, *[None] * (len(keys) - len(row))]
        values = {k: cell_text(v) for k, v in zip(keys, row, strict=False) if k}
        if not any(values.values()):
            continue
        code = values.get("dataCode", "")
        raw_code = row[code_column]
        if isinstance(raw_code, float) and raw_code >= 1e15:
            # Excel keeps 15 significant digits: the cell's code is already wrong.
            errors.append(RowError(number, "dataCode", _(NUMERIC_CODE_REASON)))
            continue
        if isinstance(raw_code, int | float) and len(code) < LENGTH:
            code = code.zfill(LENGTH)  # a number cell lost the leading zeros
        if len(code) != LENGTH:
            errors.append(
                RowError(number, "dataCode", _("数据采集项编码应为 18 位数字，收到 %r") % code)
            )
            continue
        if code in seen:
            errors.append(
                RowError(number, "dataCode", _("与第 %d 行的数据采集项编码重复") % seen[code])
            )
            continue
        seen[code] = number
        form, problems = bind_item_form(
            enterprise, {**values, "dataCode": code}, existing.get(code), energy, devices, meters
        )
        if problems:
            errors.extend(RowError(number, column, reason) for column, reason in problems)
            continue
        forms.append((number, form))
    if errors:
        raise ImportRefused(errors)

    from .item_changes import save_item_change, tell_reviewers_of_import

    counts = {"created": 0, "updated": 0, "pending": 0}
    with transaction.atomic():
        for number, form in forms:
            counts["updated" if form.instance.pk else "created"] += 1
            try:
                saved = save_item_change(
                    actor,
                    enterprise,
                    form,
                    effective_on=effective_on,
                    reason=reason,
                    tell_reviewers=False,
                    record=False,
                )
            except ValidationError as error:
                raise ImportRefused(
                    [RowError(number, "row", message) for message in error.messages]
                ) from error
            counts["pending"] += saved.request is not None
        event = AuditEvent.record(
            enterprise, actor, "items_imported", context={"file": name, **counts}
        )
        if counts["pending"]:
            tell_reviewers_of_import(enterprise, counts["pending"], event)
    return counts


def bind_item_form(
    enterprise, values: dict, instance, energy: dict, devices: dict, meters: dict | None = None
):
    """A DataItemForm bound from column values; returns (form, [(column, reason)]).

    ``energy`` maps energy codes of the current dictionary to pks, ``devices`` device
    serials to pks, ``meters`` management numbers of the enterprise's 计量器具台账 to pks.
    Shared by the file import and the items API, so both apply the page's
    rules.
    """
    code = values.get("dataCode", "")
    if len(code) != LENGTH:
        return None, [("dataCode", _("数据采集项编码应为 18 位数字，收到 %r") % code)]
    problems = []
    data = _form_data(values, code)
    for key, lookup, field in (
        ("energyCode", energy, "energy_type"),
        ("deviceSerial", devices, "device"),
        ("meterNumber", meters or {}, "meter"),
    ):
        given = values.get(key, "")
        if given and given not in lookup:
            problems.append((key, _("未知的代码或编号 %s") % given))
        data[field] = lookup.get(given, "")
    form = DataItemForm(data, instance=instance, enterprise=enterprise)
    if not form.is_valid():
        for field, messages in form.errors.items():
            column = FIELD_COLUMN.get(field, field if field != "__all__" else "row")
            problems.extend((column, str(m)) for m in messages)
    return form, problems


def lookups(enterprise) -> tuple[dict, dict, dict]:
    """Energy codes of the current dictionary, device serials and meter management numbers
    of the enterprise -> pks."""
    from applications.models import Meter

    energy = {t.code: t.pk for t in current_energy_types()}
    devices = {d.serial: d.pk for d in EndDevice.objects.filter(enterprise=enterprise)}
    meters = dict(
        Meter.objects.filter(enterprise=enterprise).values_list("management_number", "pk")
    )
    return energy, devices, meters


def _form_data(values: dict, code: str) -> dict:
    segments, position = {}, 0
    for segment, (length, _label) in SEGMENTS.items():
        segments[DataItemForm.SEGMENT_FIELDS[segment]] = code[position : position + length]
        position += length
    active = str(values.get("isActive", "1")).lower()
    data = {
        **segments,
        "name": values.get("name", ""),
        "convert_ration": values.get("convertRation", ""),
        "unit": values.get("unit", ""),
        "stat_type": values.get("statType", "") or "0",
        "interval_minutes": values.get("interval", "") or "15",
        "scope": values.get("scope", "") or "1",
        "input_type": values.get("inputType", "") or "4",
        "collection_method": values.get("collectionMethod", "") or "meter",
        "value_min": values.get("dataValueMin", ""),
        "value_max": values.get("dataValueMax", ""),
        "metering_level": values.get("meteringLevel", "") or "1",
        "instrument": values.get("instrument", ""),
    }
    if active not in ("0", "false", "否", "no"):
        data["is_active"] = "on"
    return data
