"""List exports: the filtered rows of a list page as CSV (UTF-8 with BOM, so Excel reads
Chinese) or XLSX, every cell passed through portal.spreadsheets.safe_cell."""

import csv
import io

from django.http import Http404, HttpResponse
from openpyxl import Workbook

from .spreadsheets import safe_row

FORMATS = ("csv", "xlsx")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def table_response(filename: str, header: list, rows, fmt: str) -> HttpResponse:
    """`rows` is any iterable of lists (a queryset's values_list, say)."""
    if fmt not in FORMATS:
        raise Http404
    if fmt == "csv":
        out = io.StringIO()
        out.write("\ufeff")
        writer = csv.writer(out)
        writer.writerow(safe_row(header))
        for row in rows:
            writer.writerow(safe_row(row))
        response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    else:
        book = Workbook(write_only=True)
        sheet = book.create_sheet()
        sheet.append(safe_row(header))
        for row in rows:
            sheet.append(safe_row(row))
        out = io.BytesIO()
        book.save(out)
        response = HttpResponse(out.getvalue(), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    return response
