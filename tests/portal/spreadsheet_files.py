"""Spreadsheets for tests: good ones, and bombs that decompress huge (issue 14)."""

from __future__ import annotations

import io
import zipfile

from openpyxl import Workbook

SHEET = "xl/worksheets/sheet1.xml"
SHARED = "xl/sharedStrings.xml"
MB = 1024 * 1024


def xlsx(*rows) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _rebuilt(base: bytes, name: str, pieces) -> bytes:
    """``base`` with the part ``name`` replaced by the concatenation of ``pieces``."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(base)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target,
    ):
        for entry in source.infolist():
            if entry.filename != name:
                target.writestr(entry, source.read(entry.filename))
        with target.open(name, "w", force_zip64=True) as part:
            for piece in pieces:
                part.write(piece)
    return out.getvalue()


def sheet_bomb(header=("dataCode", "name"), megabytes: int = 200) -> bytes:
    """A small XLSX whose sheet XML decompresses to ``megabytes`` (whitespace padding)."""
    base = xlsx(header)
    cells = "".join(
        f'<c r="{chr(65 + i)}1" t="inlineStr"><is><t>{text}</t></is></c>'
        for i, text in enumerate(header)
    )
    opening = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f'<sheetData><row r="1">{cells}</row>'
    ).encode()
    chunk = b" " * MB

    def pieces():
        yield opening
        for _ in range(megabytes):
            yield chunk
        yield b"</sheetData></worksheet>"

    return _rebuilt(base, SHEET, pieces())


def shared_strings_bomb(count: int = 4_000_000) -> bytes:
    """An XLSX whose shared-string table has ``count`` entries (openpyxl loads it whole)."""
    base = xlsx(("dataCode", "name"))
    opening = (
        b'<?xml version="1.0" encoding="UTF-8"?>'
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    )
    entry = b"<si><t>bomb</t></si>" * 10_000

    def pieces():
        yield opening
        for _ in range(count // 10_000):
            yield entry
        yield b"</sst>"

    content = _rebuilt(base, SHARED, pieces())
    return _with_shared_strings_part(content)


def _with_shared_strings_part(content: bytes) -> bytes:
    """Register sharedStrings.xml in [Content_Types].xml and the workbook's relations."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(content)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for entry in source.infolist():
            data = source.read(entry.filename)
            if entry.filename == "[Content_Types].xml" and b"sharedStrings" not in data:
                data = data.replace(
                    b"</Types>",
                    b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                    b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
                    b"</Types>",
                )
            if entry.filename == "xl/_rels/workbook.xml.rels" and b"sharedStrings" not in data:
                data = data.replace(
                    b"</Relationships>",
                    b'<Relationship Id="rIdSS" Type="http://schemas.openxmlformats.org/'
                    b'officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
                    b"</Relationships>",
                )
            target.writestr(entry, data)
    return out.getvalue()
