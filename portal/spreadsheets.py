"""Uploaded spreadsheets read safely, and exported cells that stay inert (issue 14, ADR 0011).

Every import of the portal reads its file with :func:`read_rows`, and every CSV or XLSX
export writes its cells through :func:`safe_cell`.

Reading (limits are settings, ``SPREADSHEET_*``):

* the file's size, before anything else;
* an XLSX is a zip: its directory is inspected before any parsing (number of entries, sum
  of the uncompressed sizes, compression ratio of each large entry), so a "zip bomb"
  (a small file whose sheet XML decompresses to gigabytes) is refused in milliseconds.
  Python's zipfile never inflates an entry past its declared size, so the declared sizes
  bound what the parser can be handed;
* the sheet is parsed in a separate short-lived process (``portal/spreadsheet_child.py``)
  with an address-space limit, a CPU limit and a wall-clock timeout: a runaway ends that
  process, not the web worker, and its memory is given back when it exits;
* at most ``SPREADSHEET_MAX_ROWS`` rows and ``SPREADSHEET_MAX_COLUMNS`` columns are read.

A CSV is plain text bounded by the size limit; it is parsed in the request with the same
row and column limits (linear in its size, no decompression).

Every refusal is a :class:`SpreadsheetRefused` with a specific reason; the callers turn it
into their own row-error form, and nothing is written.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

CHILD = Path(__file__).resolve().parent / "spreadsheet_child.py"
# Entries smaller than this are not held to the ratio limit (tiny XML parts compress well).
RATIO_FLOOR = 1024 * 1024


class SpreadsheetRefused(Exception):
    """The file is not read; ``reason`` says why, for the person who sent it."""

    def __init__(self, reason: str, code: str):
        super().__init__(reason)
        self.reason = reason
        self.code = code


@dataclass(frozen=True)
class Limits:
    max_bytes: int
    max_rows: int
    max_columns: int
    max_uncompressed: int
    max_ratio: int
    max_entries: int
    seconds: int
    memory_mb: int

    @classmethod
    def from_settings(cls, **overrides) -> Limits:
        values = {
            "max_bytes": settings.SPREADSHEET_MAX_BYTES,
            "max_rows": settings.SPREADSHEET_MAX_ROWS,
            "max_columns": settings.SPREADSHEET_MAX_COLUMNS,
            "max_uncompressed": settings.SPREADSHEET_MAX_UNCOMPRESSED_BYTES,
            "max_ratio": settings.SPREADSHEET_MAX_RATIO,
            "max_entries": settings.SPREADSHEET_MAX_ZIP_ENTRIES,
            "seconds": settings.SPREADSHEET_SECONDS,
            "memory_mb": settings.SPREADSHEET_MEMORY_MB,
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


def kind_of(name: str) -> str | None:
    lower = name.lower()
    if lower.endswith(".xlsx"):
        return "xlsx"
    if lower.endswith(".csv"):
        return "csv"
    return None


def read_rows(kind: str, content: bytes, *, max_rows: int | None = None) -> list[list]:
    """The rows (header first) of an ``xlsx`` or ``csv`` file, or SpreadsheetRefused.

    ``max_rows`` (data rows) lowers ``SPREADSHEET_MAX_ROWS`` for one import.
    """
    limits = Limits.from_settings()
    if max_rows is not None:
        limits = Limits.from_settings(max_rows=min(max_rows, limits.max_rows))
    check_size(len(content), limits)
    if kind == "xlsx":
        check_zip(content, limits)
        return parse_isolated(content, limits)
    if kind == "csv":
        return parse_csv(content, limits)
    raise SpreadsheetRefused(_("只支持 .xlsx 或 .csv 文件"), "type")


def check_size(size: int, limits: Limits | None = None) -> None:
    limits = limits or Limits.from_settings()
    if size > limits.max_bytes:
        raise SpreadsheetRefused(
            _("文件大小为 %(size)s，超过导入文件的上限 %(limit)s")
            % {"size": filesizeformat(size), "limit": filesizeformat(limits.max_bytes)},
            "size",
        )


def check_zip(content: bytes, limits: Limits) -> None:
    """Refuse an XLSX whose zip directory promises too much, before it is parsed."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as exc:
        raise SpreadsheetRefused(_("无法读取 XLSX 文件：%s") % exc, "unreadable") from exc
    if len(entries) > limits.max_entries:
        raise SpreadsheetRefused(
            _("XLSX 文件包含 %(n)d 个部件，超过上限 %(limit)d")
            % {"n": len(entries), "limit": limits.max_entries},
            "entries",
        )
    total = sum(entry.file_size for entry in entries)
    if total > limits.max_uncompressed:
        raise SpreadsheetRefused(
            _("XLSX 文件解压后为 %(size)s，超过上限 %(limit)s（疑似压缩炸弹）")
            % {"size": filesizeformat(total), "limit": filesizeformat(limits.max_uncompressed)},
            "uncompressed",
        )
    for entry in entries:
        ratio = entry.file_size / max(entry.compress_size, 1)
        if entry.file_size > RATIO_FLOOR and ratio > limits.max_ratio:
            raise SpreadsheetRefused(
                _("XLSX 部件 %(part)s 的压缩比 %(ratio)d:1 超过上限 %(limit)d:1（疑似压缩炸弹）")
                % {"part": entry.filename[:80], "ratio": ratio, "limit": limits.max_ratio},
                "ratio",
            )


def parse_isolated(content: bytes, limits: Limits) -> list[list]:
    """The first sheet's rows, parsed by ``spreadsheet_child`` inside the limits."""
    arguments = json.dumps(
        {
            "max_rows": limits.max_rows,
            "max_columns": limits.max_columns,
            "memory_mb": limits.memory_mb,
            "cpu_seconds": limits.seconds,
        }
    )
    environment = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"}
    try:
        finished = subprocess.run(
            [sys.executable, "-I", str(CHILD), arguments],
            input=content,
            capture_output=True,
            timeout=limits.seconds,
            env=environment,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise SpreadsheetRefused(
            _("读取 XLSX 文件超过 %d 秒，已中止；请删去多余的工作表、格式或行后重试")
            % limits.seconds,
            "time",
        ) from exc
    result = None
    if finished.returncode == 0:
        try:
            result = json.loads(finished.stdout)
        except ValueError:
            result = None
    if result is None:
        # Killed by its CPU limit (SIGXCPU), or out of memory before it could say so.
        raise SpreadsheetRefused(
            _("读取 XLSX 文件超出了允许的内存或计算时间，已中止；请简化文件后重试"),
            "resources",
        )
    if "rows" in result:
        return [[untagged(value) for value in row] for row in result["rows"]]
    raise _child_refusal(result.get("error"), result.get("detail", ""), limits)


def _child_refusal(code: str, detail: str, limits: Limits) -> SpreadsheetRefused:
    if code == "rows":
        return SpreadsheetRefused(_("一次最多导入 %d 行") % limits.max_rows, "rows")
    if code == "columns":
        return SpreadsheetRefused(
            _("表格有 %(n)s 列，超过上限 %(limit)d 列")
            % {"n": detail, "limit": limits.max_columns},
            "columns",
        )
    if code == "memory":
        return SpreadsheetRefused(
            _("读取 XLSX 文件超出了允许的内存或计算时间，已中止；请简化文件后重试"),
            "resources",
        )
    return SpreadsheetRefused(_("无法读取 XLSX 文件：%s") % detail, "unreadable")


def untagged(value):
    if isinstance(value, list) and len(value) == 2:
        tag, text = value
        if tag == "dt":
            return datetime.fromisoformat(text)
        if tag == "d":
            return date.fromisoformat(text)
        if tag == "t":
            return time.fromisoformat(text)
        if tag == "td":
            return timedelta(seconds=text)
    return value


def parse_csv(content: bytes, limits: Limits) -> list[list]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = content.decode("gb18030")  # Excel on Chinese Windows saves CSV as GBK
        except UnicodeDecodeError as exc:
            raise SpreadsheetRefused(_("CSV 文件应为 UTF-8 或 GBK 编码"), "encoding") from exc
    rows: list[list] = []
    try:
        for row in csv.reader(io.StringIO(text.replace("\x00", ""))):
            if len(rows) > limits.max_rows and any(cell.strip() for cell in row):
                raise SpreadsheetRefused(_("一次最多导入 %d 行") % limits.max_rows, "rows")
            while row and not row[-1].strip():
                row.pop()
            if not row and len(rows) > limits.max_rows:
                continue  # trailing blank lines beyond the limit are not kept
            if len(row) > limits.max_columns:
                raise SpreadsheetRefused(
                    _("表格有 %(n)s 列，超过上限 %(limit)d 列")
                    % {"n": len(row), "limit": limits.max_columns},
                    "columns",
                )
            rows.append(row)
    except csv.Error as exc:
        raise SpreadsheetRefused(_("无法读取 CSV 文件：%s") % exc, "unreadable") from exc
    return rows


# --- Exports ------------------------------------------------------------------------------

# Characters that make Excel, LibreOffice or Sheets read a cell as a formula (OWASP CSV
# injection): = + - @, and a leading tab or carriage return.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", re.ASCII)


def safe_cell(value):
    """A cell value for an exported CSV or XLSX that no spreadsheet runs as a formula.

    Text starting with one of :data:`FORMULA_START` gets a leading single quote (OWASP).
    Numbers, and text that is just a number such as ``-5`` or ``-0.25``, are left alone:
    a spreadsheet reads them as numbers, never as formulas.
    """
    if isinstance(value, str) and value.startswith(FORMULA_START):
        if not PLAIN_NUMBER.fullmatch(value):
            return "'" + value
    return value


def safe_row(values) -> list:
    return [safe_cell(value) for value in values]


def unneutralised(text: str) -> str:
    """An imported cell as it was before :func:`safe_cell` (so an export imports back)."""
    if text.startswith("'") and text[1:].startswith(FORMULA_START):
        return text[1:]
    return text
