"""Import and export of an enterprise's item list: all rows or none, errors by row and column."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from telemetry.models import DataItem
from telemetry.services.importexport import (
    COLUMNS,
    ImportRefused,
    export_csv,
    export_xlsx,
    header,
    import_items,
)
from tests.portal.factories import member_of

from .factories import DataItemFactory, EndDeviceFactory

pytestmark = pytest.mark.django_db

HEADER = ",".join(header(k, label) for k, label, _f in COLUMNS)


def csv_file(*rows: str) -> bytes:
    return ("\n".join([HEADER, *rows]) + "\n").encode("utf-8-sig")


GOOD = "010200030233000001,一号变压器,3300,,kWh,0,15,2,4,meter,0,5000,2,电能表 1 级,,1"


def test_a_csv_creates_items_and_a_second_import_updates_them(member, enterprise):
    result = import_items(member, enterprise, "items.csv", csv_file(GOOD))
    assert result == {"created": 1, "updated": 0, "pending": 0}
    item = DataItem.objects.get(enterprise=enterprise)
    assert str(item.convert_ration.normalize()) == "0.1229"
    result = import_items(member, enterprise, "items.csv", csv_file(GOOD.replace("5000", "6000")))
    assert result == {"created": 0, "updated": 1, "pending": 0}
    item.refresh_from_db()
    assert item.value_max == 6000


def test_a_file_with_a_bad_row_writes_nothing_and_names_row_and_column(member, enterprise):
    rows = [
        GOOD,
        "010200030233000002,二号,3300,,kWh,0,15,2,4,meter,10,5,2,,,1",  # band inverted
        "0102000302330000,三号,3300,,kWh,0,15,2,4,meter,0,1,2,,,1",  # 16 digits
        "010200031133000004,四号,,,kWh,0,15,2,4,meter,0,1,2,,,1",  # class 11
        "010200030233000005,五号,9999,,kWh,0,15,2,4,meter,0,1,2,,NOPE,1",  # unknown codes
        "010200030233000001,重复,3300,,kWh,0,15,2,4,meter,0,1,2,,,1",  # duplicate code
    ]
    with pytest.raises(ImportRefused) as refused:
        import_items(member, enterprise, "items.csv", csv_file(*rows))
    found = {(e.row, e.column) for e in refused.value.errors}
    assert {
        (3, "dataValueMax"),
        (4, "dataCode"),
        (5, "dataCode"),
        (6, "energyCode"),
        (6, "deviceSerial"),
        (7, "dataCode"),
    } <= found
    assert (2, "dataCode") not in found
    assert not DataItem.objects.exists()
    segment_reason = next(e.reason for e in refused.value.errors if e.row == 5)
    assert "采集数据分类编码" in segment_reason


def test_an_xlsx_export_imports_back_unchanged(member, enterprise, other_enterprise):
    device = EndDeviceFactory(enterprise=enterprise, serial="HB-X-1")
    DataItemFactory(enterprise=enterprise, device=device, instrument="电能表")
    DataItemFactory(enterprise=enterprise, value_min=None, value_max=None)
    content = export_xlsx(enterprise)
    sheet = load_workbook(io.BytesIO(content)).active
    assert sheet.max_row == 3
    assert sheet["A2"].value.startswith("0000")  # leading zeros kept

    fields = [f.name for f in DataItem._meta.concrete_fields if f.name != "updated_at"]
    before = list(DataItem.objects.order_by("pk").values(*fields))
    result = import_items(member, enterprise, "items.xlsx", content)
    assert result == {"created": 0, "updated": 2, "pending": 0}
    assert list(DataItem.objects.order_by("pk").values(*fields)) == before

    # Another enterprise cannot point its items at this enterprise's device.
    with pytest.raises(ImportRefused) as refused:
        import_items(member_of(other_enterprise), other_enterprise, "items.xlsx", content)
    assert [(e.row, e.column) for e in refused.value.errors] == [(2, "deviceSerial")]
    assert not DataItem.objects.filter(enterprise=other_enterprise).exists()


def test_an_xlsx_with_numeric_codes_is_understood(member, enterprise):
    book = Workbook()
    sheet = book.active
    sheet.append(["dataCode", "name", "unit", "energyCode"])
    sheet.append([233000001, "一号", "kWh", 3300])
    out = io.BytesIO()
    book.save(out)
    import_items(member, enterprise, "items.xlsx", out.getvalue())
    assert DataItem.objects.get().data_code == "000000000233000001"


def test_an_xlsx_code_mangled_by_excel_is_refused(member, enterprise):
    book = Workbook()
    sheet = book.active
    sheet.append(["dataCode", "name", "unit"])
    sheet.append([1.0200030233000001e16, "一号", "kWh"])
    out = io.BytesIO()
    book.save(out)
    with pytest.raises(ImportRefused) as refused:
        import_items(member, enterprise, "items.xlsx", out.getvalue())
    assert refused.value.errors[0].column == "dataCode"
    assert "15 位有效数字" in refused.value.errors[0].reason


def test_unknown_columns_and_file_types_are_refused(member, enterprise):
    with pytest.raises(ImportRefused) as refused:
        import_items(member, enterprise, "x.csv", b"dataCode,name,unit,colour\n")
    assert refused.value.errors[0].column == "colour"
    with pytest.raises(ImportRefused):
        import_items(member, enterprise, "x.txt", b"")


def test_the_import_page_shows_row_errors(client_for, member, enterprise):
    upload = SimpleUploadedFile("items.csv", csv_file(GOOD.replace(",15,", ",20,")), "text/csv")
    response = client_for(member).post(
        reverse("telemetry:item_import", args=[enterprise.pk]), {"file": upload}
    )
    assert response.status_code == 400
    assert response.context["errors"][0].column == "interval"
    assert 'id="import-errors"' in response.content.decode()


def test_the_export_pages_serve_both_formats(client_for, reviewer, enterprise):
    DataItemFactory(enterprise=enterprise)
    client = client_for(reviewer)
    csv = client.get(reverse("telemetry:item_export_csv", args=[enterprise.pk]))
    assert csv.status_code == 200 and csv.content.startswith(b"\xef\xbb\xbf")
    assert csv.content == export_csv(enterprise)
    xlsx = client.get(reverse("telemetry:item_export_xlsx", args=[enterprise.pk]))
    assert xlsx.status_code == 200 and xlsx["Content-Type"].endswith("sheet")
