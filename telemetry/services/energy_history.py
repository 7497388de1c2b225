"""Historical monthly energy data (表1 材料 10) and the energy structure it shows.

The enterprise uploads its monthly reports from 2016-01 to the month before it was connected
to the provincial platform, as XLSX or CSV with the columns 月份 (yyyy-MM), 能源代码 (a code of
the current energy dictionary, e.g. 3300 or 1500-1), 实物量 and 计量单位. Every row is checked
first; any bad row refuses the whole file with (row, column, reason) for each problem, and
nothing is written. A good file is converted to standard coal with the GB/T 2589 coefficients
of the dictionary (tce = quantity x kgce per unit / 1000), replaces the previous import's
records (that import stays, marked superseded), and gets its energy structure: each energy
type's share of comprehensive consumption over the period.

The structure is the evidence for the acceptance's fail condition 2 (seed 5.5: a main energy
type is not collected): the types whose share is at least ``TELEMETRY_MAIN_ENERGY_SHARE`` and
that no active data item of the enterprise monitors, compared by the 4-digit wire code, so
1500-1 and 1500-2 both count as natural gas 1500.
"""

from __future__ import annotations

import io
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.attachments import SPREADSHEETS, XLSX, AttachmentRejected, check_file, save_attachment
from portal.models import AuditEvent, Enterprise
from portal.spreadsheets import SpreadsheetRefused, check_size, safe_row

from ..datacode import DataCode, DataCodeError
from ..energy import current_energy_types
from ..models import (
    Connection,
    DataItem,
    EnergyStructure,
    EnergyType,
    HistoricalEnergyImport,
    HistoricalEnergyRecord,
)
from ..timeslots import BEIJING
from .importexport import ImportRefused, RowError, cell_text, column_key, read_table
from .registry import require_importer

FIRST_MONTH = date(2016, 1, 1)
MAX_ROWS = 20_000
TCE = Decimal("0.0001")
HUNDREDTH = Decimal("0.01")

# (key, header label as in the template); headers may carry a hint: 月份（yyyy-MM）.
COLUMNS = [
    ("month", "月份"),
    ("code", "能源代码"),
    ("quantity", "实物量"),
    ("unit", "计量单位"),
]
LABELS = dict(COLUMNS)
HEADER_ALIASES = {
    "月份": "month",
    "month": "month",
    "能源代码": "code",
    "energycode": "code",
    "code": "code",
    "实物量": "quantity",
    "quantity": "quantity",
    "计量单位": "unit",
    "unit": "unit",
}
MONTH_TEXT = re.compile(r"(\d{4})[-/](\d{1,2})", re.ASCII)


@dataclass(frozen=True)
class MonthRow:
    row: int
    month: date
    energy_type: EnergyType
    quantity: Decimal
    tce: Decimal


def tce_of(quantity: Decimal, kgce_per_unit: Decimal) -> Decimal:
    """Tonnes of standard coal: quantity x kgce per unit / 1000, to 0.1 kgce."""
    return (quantity * kgce_per_unit / 1000).quantize(TCE, ROUND_HALF_UP)


def month_start(day: date) -> date:
    return day.replace(day=1)


def previous_month(day: date) -> date:
    return month_start(month_start(day) - timedelta(days=1))


def last_allowed_month(enterprise) -> date:
    """The month before the connection date (正式接入, ``Connection.connected_at``); until
    there is one, the month before the credentials were issued, or before this month."""
    return previous_month(_connection_day(enterprise)[0])


def _connection_day(enterprise) -> tuple[date, bool]:
    """The day the history runs up to, and whether it is the connection date."""
    dates = (
        Connection.objects.filter(enterprise=enterprise)
        .values_list("connected_at", "credentials_issued_at")
        .first()
    )
    connected, issued = dates or (None, None)
    at = connected or issued
    day = at.astimezone(BEIJING).date() if at else timezone.localdate()
    return day, connected is not None


def history_cutoff(enterprise) -> tuple[date, bool]:
    """``last_allowed_month`` and whether it comes from the connection date (the import
    page says when it does not yet)."""
    day, connected = _connection_day(enterprise)
    return previous_month(day), connected


# --- Reading and checking the file ------------------------------------------------------------


def read_upload(upload) -> list[list]:
    """Rows of an uploaded XLSX or CSV (header first); the type is read from the content."""
    try:
        check_size(upload.size)
        checked = check_file(upload, SPREADSHEETS)
    except (AttachmentRejected, SpreadsheetRefused) as refused:
        raise ImportRefused([RowError(0, "file", refused.reason)]) from None
    upload.seek(0)
    content = upload.read()
    upload.seek(0)
    name = "history.xlsx" if checked.mime_type == XLSX else "history.csv"
    return read_table(name, content, max_rows=MAX_ROWS)


def _header_key(cell) -> str:
    text = column_key(cell)
    return HEADER_ALIASES.get(text.lower(), HEADER_ALIASES.get(text, ""))


def normalise_unit(unit: str) -> str:
    """Units compared loosely: case, spaces, ³ and a bracketed note do not matter."""
    text = unit.split("（", 1)[0].split("(", 1)[0]
    return text.replace("³", "3").replace(" ", "").lower()


def parse_month(value) -> date | None:
    if isinstance(value, datetime | date):
        return date(value.year, value.month, 1)  # Excel turned "2016-01" into a date cell
    match = MONTH_TEXT.fullmatch(cell_text(value))
    if match is None:
        return None
    year, month = int(match.group(1)), int(match.group(2))
    return date(year, month, 1) if 1 <= month <= 12 else None


def _code_text(value) -> str:
    text = cell_text(value)
    if isinstance(value, int | float) and text.isdigit() and len(text) < 4:
        text = text.zfill(4)  # a number cell lost the leading zeros of 0100
    return text


def check_rows(enterprise, rows: list[list]) -> tuple[list[MonthRow], list[RowError]]:
    """Every data row checked; returns the good rows and every problem found."""
    if not rows:
        return [], [RowError(1, "file", _("文件是空的"))]
    keys = [_header_key(cell) for cell in rows[0]]
    missing = [key for key, _label in COLUMNS if key not in keys]
    if missing:
        return [], [RowError(1, LABELS[key], _("缺少必需的列")) for key in missing]
    body = [row for row in rows[1:] if any(cell_text(v) for v in row)]
    if not body:
        return [], [RowError(2, "file", _("文件中没有数据行"))]
    if len(body) > MAX_ROWS:
        return [], [RowError(0, "file", _("一次最多导入 %d 行") % MAX_ROWS)]

    types = {t.code: t for t in current_energy_types()}
    last = last_allowed_month(enterprise)
    position = {key: keys.index(key) for key, _label in COLUMNS}
    errors: list[RowError] = []
    good: list[MonthRow] = []
    seen: dict[tuple[date, str], int] = {}
    for number, row in enumerate(rows[1:], start=2):
        row = [*row, *[None] * (len(keys) - len(row))]
        if not any(cell_text(v) for v in row):
            continue
        cells = {key: row[index] for key, index in position.items()}
        problems: list[tuple[str, str]] = []

        month = parse_month(cells["month"])
        if month is None:
            problems.append(
                (
                    "month",
                    _("月份应为 yyyy-MM 格式，例如 2016-01，收到 %r") % cell_text(cells["month"]),
                )
            )
        elif month < FIRST_MONTH:
            problems.append(("month", _("月份不能早于 2016-01")))
        elif month > last:
            problems.append(
                (
                    "month",
                    _("月份应在正式接入省平台的前一个月（%(last)s）或更早")
                    % {"last": f"{last:%Y-%m}"},
                )
            )

        code = _code_text(cells["code"])
        energy_type = types.get(code)
        if not code:
            problems.append(("code", _("能源代码不能为空")))
        elif energy_type is None:
            problems.append(("code", _("能源代码 %s 不在当前能源品种字典中") % code))

        quantity = None
        raw = cell_text(cells["quantity"]).replace(",", "")
        try:
            quantity = Decimal(raw)
        except InvalidOperation:
            problems.append(("quantity", _("实物量应为数字，收到 %r") % raw))
        else:
            if not quantity.is_finite():
                problems.append(("quantity", _("实物量应为数字，收到 %r") % raw))
                quantity = None
            elif quantity < 0:
                problems.append(("quantity", _("实物量不能为负数")))
                quantity = None
            elif quantity >= Decimal("1e15"):
                problems.append(("quantity", _("实物量过大，请检查计量单位")))
                quantity = None

        unit = cell_text(cells["unit"])
        if (
            energy_type is not None
            and unit
            and normalise_unit(unit) != normalise_unit(energy_type.unit)
        ):
            problems.append(
                (
                    "unit",
                    _("计量单位应为 %(expected)s（与能源品种字典一致），收到 %(given)s")
                    % {"expected": energy_type.unit, "given": unit},
                )
            )

        if month is not None and energy_type is not None:
            earlier = seen.get((month, energy_type.code))
            if earlier is not None:
                problems.append(
                    ("month", _("与第 %d 行的月份和能源代码重复") % earlier),
                )
            else:
                seen[(month, energy_type.code)] = number

        if problems:
            errors.extend(RowError(number, LABELS[key], reason) for key, reason in problems)
            continue
        good.append(
            MonthRow(
                number,
                month,
                energy_type,
                quantity.quantize(TCE, ROUND_HALF_UP),
                tce_of(quantity, energy_type.kgce_per_unit),
            )
        )
    return good, errors


# --- Importing --------------------------------------------------------------------------------


def import_history(actor, enterprise, upload) -> HistoricalEnergyImport:
    """Import the file for ``enterprise``: all rows or none. Raises ImportRefused."""
    require_importer(actor, enterprise)
    rows, errors = check_rows(enterprise, read_upload(upload))
    if errors:
        raise ImportRefused(errors)
    now = timezone.now()
    stored: list = []  # the attachment written to storage, removed again if the import fails
    try:
        return _import_rows(actor, enterprise, upload, rows, now, stored)
    except BaseException:
        for attachment in stored:
            attachment.file.delete(save=False)
        raise


def _import_rows(actor, enterprise, upload, rows: list[MonthRow], now, stored: list):
    with transaction.atomic():
        # Two imports of one enterprise at once: the second waits and supersedes the first.
        Enterprise.objects.select_for_update().get(pk=enterprise.pk)
        for previous in HistoricalEnergyImport.objects.filter(
            enterprise=enterprise, status=HistoricalEnergyImport.Status.IMPORTED
        ):
            previous.status = HistoricalEnergyImport.Status.SUPERSEDED
            previous.superseded_at = now
            previous.save(update_fields=["status", "superseded_at"])
            previous.records.all().delete()
            AuditEvent.record(previous, actor, "energy_history_superseded")
        imported = HistoricalEnergyImport.objects.create(
            enterprise=enterprise,
            original_name=upload.name[:255],
            status=HistoricalEnergyImport.Status.IMPORTED,
            row_count=len(rows),
            first_month=min(r.month for r in rows),
            last_month=max(r.month for r in rows),
            uploaded_by=actor,
        )
        HistoricalEnergyRecord.objects.bulk_create(
            [
                HistoricalEnergyRecord(
                    enterprise=enterprise,
                    source=imported,
                    month=r.month,
                    energy_type=r.energy_type,
                    quantity=r.quantity,
                    unit=r.energy_type.unit,
                    kgce_per_unit=r.energy_type.kgce_per_unit,
                    tce=r.tce,
                )
                for r in rows
            ],
            batch_size=500,
        )
        imported.attachment = save_attachment(
            upload,
            actor=actor,
            enterprise=enterprise,
            owner=imported,
            kind="energy_history",
            allowed=SPREADSHEETS,
        )
        stored.append(imported.attachment)
        structure = snapshot_structure(imported)
        imported.total_tce = structure.total_tce
        imported.save(update_fields=["attachment", "total_tce"])
        AuditEvent.record(
            imported,
            actor,
            "energy_history_imported",
            comment=imported.original_name,
            context={
                "rows": len(rows),
                "first_month": f"{imported.first_month:%Y-%m}",
                "last_month": f"{imported.last_month:%Y-%m}",
                "total_tce": str(structure.total_tce),
                "missing_main": [m["code"] for m in structure.missing_main],
            },
        )
    return imported


# --- The energy structure ---------------------------------------------------------------------


def main_share() -> Decimal:
    return Decimal(settings.TELEMETRY_MAIN_ENERGY_SHARE)


def percentages(amounts: list[Decimal]) -> list[Decimal]:
    """Shares in percent to 0.01 that add up to exactly 100 (largest remainder)."""
    total = sum(amounts, Decimal(0))
    if not total:
        return [Decimal("0.00") for _amount in amounts]
    exact = [amount * 10000 / total for amount in amounts]  # in hundredths of a percent
    floors = [int(value) for value in exact]
    left = 10000 - sum(floors)
    order = sorted(range(len(exact)), key=lambda i: (exact[i] - floors[i], -i), reverse=True)
    for index in order[:left]:
        floors[index] += 1
    return [(Decimal(value) / 100).quantize(HUNDREDTH) for value in floors]


def shares_of(source: HistoricalEnergyImport) -> tuple[Decimal, list[dict]]:
    """Total tce and each energy type's quantity, tce and share (SQL sums per type)."""
    sums = list(
        HistoricalEnergyRecord.objects.filter(source=source)
        .values("energy_type__code", "energy_type__name", "energy_type__unit")
        .annotate(quantity=Sum("quantity"), tce=Sum("tce"))
        .order_by("-tce", "energy_type__code")
    )
    total = sum((row["tce"] for row in sums), Decimal(0))
    shown = percentages([row["tce"] for row in sums])
    shares = []
    for row, percent in zip(sums, shown, strict=True):
        code = row["energy_type__code"]
        shares.append(
            {
                "code": code,
                "wire_code": code.split("-")[0],
                "name": row["energy_type__name"],
                "unit": row["energy_type__unit"],
                "quantity": str(row["quantity"].normalize()),
                "tce": str(row["tce"].quantize(TCE)),
                "share": str(percent),
                "fraction": str((row["tce"] / total).quantize(Decimal("0.000001")))
                if total
                else "0",
            }
        )
    return total.quantize(TCE), shares


def monitored_wire_codes(enterprise) -> set[str]:
    """4-digit energy codes the enterprise's active items collect (by energy type or dataCode)."""
    codes = set()
    for data_code, energy_code in DataItem.objects.filter(
        enterprise=enterprise, is_active=True
    ).values_list("data_code", "energy_type__code"):
        if energy_code:
            codes.add(energy_code.split("-")[0])
        try:
            from_code = DataCode.parse(data_code).energy_type_code
        except DataCodeError:
            from_code = None
        if from_code:
            codes.add(from_code)
    return codes


def missing_main_types(enterprise, shares: list[dict], threshold: Decimal) -> list[dict]:
    """Main energy types (share >= threshold, summed per wire code) no active item collects."""
    by_wire: dict[str, dict] = defaultdict(lambda: {"fraction": Decimal(0), "names": []})
    for entry in shares:
        group = by_wire[entry["wire_code"]]
        group["fraction"] += Decimal(entry["fraction"])
        group["names"].append(entry["name"])
    monitored = monitored_wire_codes(enterprise)
    missing = []
    for wire, group in by_wire.items():
        if group["fraction"] >= threshold and wire not in monitored:
            missing.append(
                {
                    "code": wire,
                    "name": "、".join(group["names"]),
                    "share": str((group["fraction"] * 100).quantize(HUNDREDTH)),
                }
            )
    return sorted(missing, key=lambda m: Decimal(m["share"]), reverse=True)


def snapshot_structure(source: HistoricalEnergyImport) -> EnergyStructure:
    total, shares = shares_of(source)
    threshold = main_share()
    return EnergyStructure.objects.create(
        enterprise_id=source.enterprise_id,
        source=source,
        first_month=source.first_month,
        last_month=source.last_month,
        total_tce=total,
        shares=shares,
        main_share=threshold,
        missing_main=missing_main_types(source.enterprise, shares, threshold),
    )


def current_import(enterprise) -> HistoricalEnergyImport | None:
    return (
        HistoricalEnergyImport.objects.filter(
            enterprise=enterprise, status=HistoricalEnergyImport.Status.IMPORTED
        )
        .select_related("structure", "attachment", "uploaded_by")
        .first()
    )


@dataclass
class StructureView:
    """The structure as pages and the API show it: missing main types against today's items."""

    source: HistoricalEnergyImport
    structure: EnergyStructure
    missing_main: list[dict]

    def as_dict(self) -> dict:
        s = self.structure
        return {
            "enterprise": s.enterprise_id,
            "import": self.source.pk,
            "firstMonth": f"{s.first_month:%Y-%m}",
            "lastMonth": f"{s.last_month:%Y-%m}",
            "totalTce": str(s.total_tce),
            "mainShare": str((s.main_share * 100).normalize()),
            "shares": [
                {key: entry[key] for key in ("code", "name", "unit", "quantity", "tce", "share")}
                for entry in s.shares
            ],
            "missingMain": self.missing_main,
            "missingMainAtImport": s.missing_main,
        }


def structure_for(enterprise) -> StructureView | None:
    source = current_import(enterprise)
    if source is None:
        return None
    structure = source.structure
    missing = missing_main_types(enterprise, structure.shares, structure.main_share)
    return StructureView(source, structure, missing)


def monthly_totals(source: HistoricalEnergyImport) -> list[tuple[date, Decimal]]:
    """Comprehensive consumption per month in tce (one SQL sum)."""
    return list(
        HistoricalEnergyRecord.objects.filter(source=source)
        .values_list("month")
        .annotate(total=Sum("tce"))
        .order_by("month")
    )


def month_table(source: HistoricalEnergyImport) -> tuple[list[dict], list[dict]]:
    """The import's records as a month x energy type table: (columns, rows)."""
    records = (
        HistoricalEnergyRecord.objects.filter(source=source)
        .select_related("energy_type")
        .order_by("month", "energy_type__code")
    )
    columns: dict[str, dict] = {}
    months: dict[date, dict] = {}
    for record in records:
        code = record.energy_type.code
        columns.setdefault(
            code, {"code": code, "name": record.energy_type.display_name, "unit": record.unit}
        )
        row = months.setdefault(record.month, {"month": record.month, "cells": {}, "tce": 0})
        row["cells"][code] = f"{record.quantity.normalize():f}"
        row["tce"] += record.tce
    ordered = sorted(columns.values(), key=lambda c: c["code"])
    rows = [
        {**row, "values": [row["cells"].get(c["code"]) for c in ordered]} for row in months.values()
    ]
    return ordered, rows


# --- The template ---------------------------------------------------------------------------


def template_xlsx(enterprise) -> bytes:
    """An empty monthly report with the columns, and the energy codes on a second sheet."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "历史能耗月报"
    last = last_allowed_month(enterprise)
    sheet.append(["月份（yyyy-MM）", "能源代码", "实物量", "计量单位"])
    for column in ("A", "B"):
        # Text cells keep 2016-01 and 0100 as typed (Excel would make a date and a number).
        sheet.column_dimensions[column].number_format = "@"
        for row in range(2, 2 + 12 * (last.year - FIRST_MONTH.year + 1)):
            sheet[f"{column}{row}"].number_format = "@"
    sheet.column_dimensions["A"].width = 16
    codes = book.create_sheet("能源代码")
    codes.append(["能源代码", "名称", "计量单位", "折标系数（kgce/单位）"])
    for energy_type in current_energy_types():
        codes.append(
            safe_row(
                [
                    energy_type.code,
                    energy_type.name,
                    energy_type.unit,
                    float(energy_type.kgce_per_unit),
                ]
            )
        )
    for cell in codes["A"]:
        cell.number_format = "@"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
