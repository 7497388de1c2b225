"""Read the first sheet of an XLSX given on stdin, inside resource limits (ADR 0011).

Run by ``portal.spreadsheets`` as a separate process (``python -I <this file> <limits>``):
it imports nothing of the portal or Django, sets its own address-space and CPU limits
before openpyxl is loaded, and writes one JSON object to stdout: ``{"rows": [...]}`` or
``{"error": code, "detail": text}``. Dates and times travel tagged (``["dt", iso]``).
A runaway that the limits stop ends this process, never the web worker that started it.
"""

from __future__ import annotations

import io
import json
import resource
import sys
from datetime import date, datetime, time, timedelta


def limit(kind: int, value: int) -> None:
    _soft, hard = resource.getrlimit(kind)
    if hard != resource.RLIM_INFINITY:
        value = min(value, hard)
    resource.setrlimit(kind, (value, hard))


def tagged(value):
    if isinstance(value, datetime):
        return ["dt", value.isoformat()]
    if isinstance(value, date):
        return ["d", value.isoformat()]
    if isinstance(value, time):
        return ["t", value.isoformat()]
    if isinstance(value, timedelta):
        return ["td", value.total_seconds()]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def read(content: bytes, max_rows: int, max_columns: int) -> dict:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        sheet = book.worksheets[0]
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        return {"error": "unreadable", "detail": str(exc)[:200]}
    # The <dimension> element is the file's own claim; rows are not padded to it.
    sheet.reset_dimensions()
    rows: list[list] = []
    physical = 0
    for row in sheet.iter_rows(values_only=True):
        physical += 1
        cells = list(row)
        while cells and cells[-1] is None:
            cells.pop()
        if not cells:
            if physical > 4 * (max_rows + 1):
                return {"error": "rows", "detail": str(physical)}
            rows.append([])
            continue
        if physical > max_rows + 1:  # the header row and max_rows data rows
            return {"error": "rows", "detail": str(physical)}
        if len(cells) > max_columns:
            return {"error": "columns", "detail": str(len(cells))}
        rows.append([tagged(value) for value in cells])
    book.close()
    while rows and not rows[-1]:
        rows.pop()
    return {"rows": rows}


def main() -> int:
    limits = json.loads(sys.argv[1])
    memory = limits["memory_mb"] * 1024 * 1024
    limit(resource.RLIMIT_AS, memory)
    limit(resource.RLIMIT_CPU, limits["cpu_seconds"])
    content = sys.stdin.buffer.read()
    try:
        result = read(content, limits["max_rows"], limits["max_columns"])
    except MemoryError:
        result = {"error": "memory", "detail": ""}
    except Exception as exc:  # a damaged sheet found while reading it
        result = {"error": "unreadable", "detail": f"{type(exc).__name__}: {exc}"[:200]}
    sys.stdout.write(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
