"""Hypothesis on every import (issue 14): whatever file arrives, the import succeeds or is
refused with row errors, never another exception, and a refused file writes nothing."""

import functools
import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from portal.models import Attachment, AuditEvent
from telemetry.models import DataItem, HistoricalEnergyImport, HistoricalEnergyRecord
from telemetry.services.energy_history import import_history
from telemetry.services.importexport import COLUMNS, ImportRefused, header, import_items
from tests.portal.spreadsheet_files import xlsx

pytestmark = pytest.mark.django_db

PROPERTY = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
XLSX_PROPERTY = settings(PROPERTY, max_examples=10)  # each parse is a child process

ITEM_HEADER = [header(k, label) for k, label, _f in COLUMNS]
HISTORY_HEADER = ["月份", "能源代码", "实物量", "计量单位"]

cells = st.one_of(
    st.text(max_size=24),
    st.sampled_from(
        [
            "",
            "3300",
            "1500-1",
            "0100",
            "kWh",
            "2024-01",
            "2016-13",
            "-1",
            "1e400",
            "NaN",
            '=HYPERLINK("x")',
            "'=1",
            "010200030233000001",
            "0",
            "15",
            "meter",
            "\x00",
        ]
    ),
    st.integers(-(10**20), 10**20).map(str),
    st.from_regex(r"[0-9]{18}", fullmatch=True),
    st.from_regex(r"20[0-9]{2}-[0-9]{2}", fullmatch=True),
)


def csv_text(rows) -> str:
    return "\n".join(",".join(f'"{c.replace(chr(34), chr(34) * 2)}"' for c in row) for row in rows)


def table(head):
    return st.lists(
        st.lists(cells, min_size=0, max_size=len(head) + 2), min_size=0, max_size=8
    ).map(lambda rows: [head, *rows])


encoded = st.sampled_from(["utf-8-sig", "gb18030", "utf-8"])


def snapshot():
    return (
        list(DataItem.objects.order_by("pk").values()),
        HistoricalEnergyImport.objects.count(),
        HistoricalEnergyRecord.objects.count(),
        Attachment.objects.count(),
        AuditEvent.objects.count(),
    )


def attempt(run):
    before = snapshot()
    try:
        result = run()
    except ImportRefused as refused:
        assert refused.errors and all(e.reason for e in refused.errors)
        assert snapshot() == before  # nothing written
        event("refused")
        return None
    event("imported")
    return result


@PROPERTY
@given(rows=table(ITEM_HEADER), encoding=encoded)
def test_item_csv_imports_never_crash_nor_half_write(member, enterprise, rows, encoding):
    content = csv_text(rows).encode(encoding, errors="replace")
    result = attempt(lambda: import_items(member, enterprise, "items.csv", content))
    if result is not None:
        assert result["created"] + result["updated"] + 0 >= 0


@PROPERTY
@given(content=st.binary(max_size=600), name=st.sampled_from(["x.csv", "x.xlsx", "x.txt"]))
def test_arbitrary_bytes_never_crash_an_item_import(member, enterprise, content, name):
    attempt(lambda: import_items(member, enterprise, name, content))


@functools.cache
def good_xlsx() -> bytes:
    """One file for a whole run (openpyxl stamps the time in it: the size would vary)."""
    return xlsx(ITEM_HEADER, ["010200030233000001", "一号"])


def printable(rows):
    # openpyxl refuses control characters in cells; such a file cannot be made.
    return [[c for c in row if c.isprintable()] for row in rows]


@XLSX_PROPERTY
@given(rows=table(ITEM_HEADER).map(printable))
def test_item_xlsx_imports_never_crash_nor_half_write(member, enterprise, rows):
    content = xlsx(*rows)
    attempt(lambda: import_items(member, enterprise, "items.xlsx", content))


@XLSX_PROPERTY
@given(st.data())
def test_a_damaged_xlsx_is_refused_with_a_reason(member, enterprise, data):
    content = bytearray(good_xlsx())
    for _ in range(data.draw(st.integers(1, 6))):
        content[data.draw(st.integers(0, len(content) - 1))] = data.draw(st.integers(0, 255))
    attempt(lambda: import_items(member, enterprise, "items.xlsx", bytes(content)))


@XLSX_PROPERTY
@given(st.data())
def test_a_sheet_with_damaged_xml_is_refused_with_a_reason(member, enterprise, data):
    base = good_xlsx()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(base)) as source, zipfile.ZipFile(out, "w") as target:
        for entry in source.infolist():
            part = bytearray(source.read(entry.filename))
            if entry.filename.endswith(".xml") and data.draw(st.booleans()):
                for _ in range(data.draw(st.integers(1, 4))):
                    part[data.draw(st.integers(0, len(part) - 1))] = data.draw(st.integers(0, 255))
            target.writestr(entry, bytes(part))
    attempt(lambda: import_items(member, enterprise, "items.xlsx", out.getvalue()))


@PROPERTY
@given(rows=table(HISTORY_HEADER), encoding=encoded)
def test_history_csv_imports_never_crash_nor_half_write(member, enterprise, rows, encoding):
    upload = SimpleUploadedFile("h.csv", csv_text(rows).encode(encoding, errors="replace"))
    attempt(lambda: import_history(member, enterprise, upload))


@XLSX_PROPERTY
@given(rows=table(HISTORY_HEADER).map(printable))
def test_history_xlsx_imports_never_crash_nor_half_write(member, enterprise, rows):
    upload = SimpleUploadedFile("h.xlsx", xlsx(*rows))
    attempt(lambda: import_history(member, enterprise, upload))
