"""Historical energy data (表1 材料 10): all rows or none, tce, structure, missing main types."""

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from portal.models import Attachment, AuditEvent
from telemetry.models import (
    EnergyStructure,
    EnergyType,
    HistoricalEnergyImport,
    HistoricalEnergyRecord,
)
from telemetry.services.energy_history import (
    import_history,
    last_allowed_month,
    percentages,
    tce_of,
)
from telemetry.services.importexport import ImportRefused

from .factories import DataItemFactory, connection_for

pytestmark = pytest.mark.django_db

HEADER = ["月份", "能源代码", "实物量", "计量单位"]


def csv_upload(*rows, name="history.csv", encoding="utf-8-sig"):
    lines = [",".join(HEADER), *(",".join(str(c) for c in row) for row in rows)]
    return SimpleUploadedFile(name, ("\n".join(lines) + "\n").encode(encoding))


def xlsx_upload(*rows, name="history.xlsx"):
    book = Workbook()
    sheet = book.active
    sheet.append(["月份（yyyy-MM）", "能源代码", "实物量", "计量单位"])
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return SimpleUploadedFile(name, out.getvalue())


def coefficient(code: str) -> Decimal:
    return EnergyType.objects.get(dictionary__is_current=True, code=code).kgce_per_unit


# Electricity 2,000,000 kWh, gas 100,000 m3 and coal 50,000 kg a month.
GOOD_MONTH = [
    ("3300", "2000000", "kWh"),
    ("1500-1", "100000", "m3"),
    ("0100", "50000", ""),
]


def good_rows(months=("2024-01", "2024-02", "2024-03")):
    return [(month, code, qty, unit) for month in months for code, qty, unit in GOOD_MONTH]


@pytest.fixture
def connected(enterprise):
    conn = connection_for(enterprise)
    conn.credentials_issued_at = timezone.now().replace(year=2025, month=6, day=15)
    conn.save(update_fields=["credentials_issued_at"])
    return conn


def test_a_good_csv_is_imported_with_tce_from_the_coefficients(member, enterprise, connected):
    imported = import_history(member, enterprise, csv_upload(*good_rows()))
    assert imported.status == "imported"
    assert imported.row_count == 9
    assert (f"{imported.first_month:%Y-%m}", f"{imported.last_month:%Y-%m}") == (
        "2024-01",
        "2024-03",
    )
    electricity = HistoricalEnergyRecord.objects.get(
        source=imported, month="2024-01-01", energy_type__code="3300"
    )
    assert electricity.tce == Decimal("2000000") * coefficient("3300") / 1000  # 245.8 tce
    assert electricity.tce == Decimal("245.8000")
    gas = HistoricalEnergyRecord.objects.get(
        source=imported, month="2024-01-01", energy_type__code="1500-1"
    )
    assert gas.tce == Decimal("133.0000") and gas.unit == "m3 (standard state)"
    month_total = Decimal("245.8") + Decimal("133.0") + Decimal("35.715")
    assert imported.total_tce == 3 * month_total
    assert imported.attachment.mime_type == "text/csv"
    assert AuditEvent.objects.for_object(imported).filter(event="energy_history_imported").exists()


def test_a_good_xlsx_is_imported_and_number_cells_keep_their_codes(member, enterprise, connected):
    rows = [("2024-01", 3300, 1000, "kWh"), ("2024-01", 100, 2000.5, "kg")]
    imported = import_history(member, enterprise, xlsx_upload(*rows))
    codes = set(imported.records.values_list("energy_type__code", flat=True))
    assert codes == {"3300", "0100"}
    coal = imported.records.get(energy_type__code="0100")
    assert coal.quantity == Decimal("2000.5")
    assert coal.tce == tce_of(Decimal("2000.5"), coefficient("0100")) == Decimal("1.4290")


def test_a_gbk_csv_from_chinese_excel_is_read(member, enterprise, connected):
    imported = import_history(member, enterprise, csv_upload(*good_rows(), encoding="gb18030"))
    assert imported.row_count == 9


def test_every_bad_row_is_named_by_row_and_column_and_nothing_is_written(
    member, enterprise, connected
):
    rows = [
        ("2024-01", "3300", "100", "kWh"),  # row 2: good
        ("2024-13", "3300", "100", "kWh"),  # row 3: no such month
        ("2015-12", "3300", "100", "kWh"),  # row 4: before 2016-01
        ("2025-06", "3300", "100", "kWh"),  # row 5: the month of the connection
        ("2024-02", "9999", "100", "kWh"),  # row 6: unknown code
        ("2024-03", "3300", "-5", "kWh"),  # row 7: negative
        ("2024-04", "3300", "lots", "kWh"),  # row 8: not a number
        ("2024-05", "3300", "100", "吨"),  # row 9: unit mismatch
        ("2024-01", "3300", "200", "kWh"),  # row 10: duplicate of row 2
    ]
    with pytest.raises(ImportRefused) as refused:
        import_history(member, enterprise, csv_upload(*rows))
    found = {(e.row, e.column) for e in refused.value.errors}
    assert found == {
        (3, "月份"),
        (4, "月份"),
        (5, "月份"),
        (6, "能源代码"),
        (7, "实物量"),
        (8, "实物量"),
        (9, "计量单位"),
        (10, "月份"),
    }
    reasons = {e.row: e.reason for e in refused.value.errors}
    assert "2025-05" in reasons[5]
    assert "9999" in reasons[6]
    assert "第 2 行" in reasons[10]
    assert not HistoricalEnergyImport.objects.exists()
    assert not HistoricalEnergyRecord.objects.exists()
    assert not EnergyStructure.objects.exists()
    assert not Attachment.objects.exists()


def test_without_a_connection_the_months_end_before_this_month(member, enterprise):
    this_month = timezone.localdate().replace(day=1)
    assert last_allowed_month(enterprise) == (this_month - timedelta(days=1)).replace(day=1)
    with pytest.raises(ImportRefused) as refused:
        import_history(member, enterprise, csv_upload((f"{this_month:%Y-%m}", "3300", "1", "")))
    assert [(e.row, e.column) for e in refused.value.errors] == [(2, "月份")]


def test_a_missing_column_and_a_non_spreadsheet_are_refused(member, enterprise):
    upload = SimpleUploadedFile("h.csv", "月份,能源代码,实物量\n2024-01,3300,1\n".encode())
    with pytest.raises(ImportRefused) as refused:
        import_history(member, enterprise, upload)
    assert [(e.row, e.column) for e in refused.value.errors] == [(1, "计量单位")]
    with pytest.raises(ImportRefused):
        import_history(member, enterprise, SimpleUploadedFile("h.csv", b"%PDF-1.4 not a table"))


def test_the_structure_shares_add_up_to_100_percent(member, enterprise, connected):
    imported = import_history(member, enterprise, csv_upload(*good_rows()))
    shares = imported.structure.shares
    assert sum(Decimal(s["share"]) for s in shares) == Decimal("100.00")
    assert [s["code"] for s in shares] == ["3300", "1500-1", "0100"]  # largest first
    total = Decimal("245.8") + Decimal("133.0") + Decimal("35.715")
    assert Decimal(shares[0]["share"]) == (Decimal("245.8") / total * 100).quantize(Decimal("0.01"))


def test_percentages_use_the_largest_remainder():
    assert percentages([Decimal(1), Decimal(1), Decimal(1)]) == [
        Decimal("33.34"),
        Decimal("33.33"),
        Decimal("33.33"),
    ]
    assert percentages([Decimal(0)]) == [Decimal("0.00")]


def test_a_main_energy_type_no_item_collects_is_flagged(member, enterprise, connected, settings):
    settings.TELEMETRY_MAIN_ENERGY_SHARE = "0.10"
    # Electricity is collected (by energy type), gas only through its dataCode, coal not at all.
    DataItemFactory(
        enterprise=enterprise,
        data_code="000000000233000000",
        energy_type=EnergyType.objects.get(dictionary__is_current=True, code="3300"),
    )
    DataItemFactory(enterprise=enterprise, data_code="000000000115000000")
    imported = import_history(member, enterprise, csv_upload(*good_rows()))
    # Coal is 35.7 / 414.5 = 8.6 %: below the main share, so not flagged.
    assert imported.structure.missing_main == []
    settings.TELEMETRY_MAIN_ENERGY_SHARE = "0.05"
    again = import_history(member, enterprise, csv_upload(*good_rows()))
    assert [m["code"] for m in again.structure.missing_main] == ["0100"]
    assert again.structure.main_share == Decimal("0.05")


def test_sub_variants_count_together_by_wire_code(member, enterprise, connected, settings):
    settings.TELEMETRY_MAIN_ENERGY_SHARE = "0.30"
    rows = [
        ("2024-01", "3300", "1000000", "kWh"),  # 122.9 tce
        ("2024-01", "1500-1", "50000", "m3"),  # 66.5 tce
        ("2024-01", "1500-2", "50000", "m3"),  # 60.7 tce: gas together 50.4 %
    ]
    DataItemFactory(enterprise=enterprise, data_code="000000000233000000")
    imported = import_history(member, enterprise, csv_upload(*rows))
    assert [m["code"] for m in imported.structure.missing_main] == ["1500"]


def test_a_reimport_replaces_the_records_and_keeps_the_old_import(member, enterprise, connected):
    first = import_history(member, enterprise, csv_upload(*good_rows()))
    second = import_history(member, enterprise, csv_upload(*good_rows(("2024-04",))))
    first.refresh_from_db()
    assert first.status == "superseded" and first.superseded_at is not None
    assert second.status == "imported"
    assert not first.records.exists()
    assert HistoricalEnergyRecord.objects.filter(enterprise=enterprise).count() == 3
    assert EnergyStructure.objects.filter(enterprise=enterprise).count() == 2
    assert AuditEvent.objects.for_object(first).filter(event="energy_history_superseded").exists()


def test_only_members_import(reviewer, enterprise, connected):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        import_history(reviewer, enterprise, csv_upload(*good_rows()))


# --- Pages and API --------------------------------------------------------------------------


def test_the_member_uploads_on_the_page_and_sees_the_structure(
    member, enterprise, connected, client_for
):
    client = client_for(member)
    url = reverse("telemetry:history", args=[enterprise.pk])
    response = client.post(url, {"file": csv_upload(*good_rows())})
    imported = HistoricalEnergyImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("telemetry:history_import", args=[imported.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert "structure-chart" in page.content.decode()
    assert client.get(response["Location"]).status_code == 200


def test_the_page_shows_the_row_errors_as_a_table(member, enterprise, connected, client_for):
    url = reverse("telemetry:history", args=[enterprise.pk])
    response = client_for(member).post(url, {"file": csv_upload(("2024-01", "9999", "1", ""))})
    assert response.status_code == 400
    body = response.content.decode()
    assert "import-errors" in body and "9999" in body
    assert not HistoricalEnergyImport.objects.exists()


def test_the_template_is_an_xlsx_with_the_columns(member, enterprise, client_for):
    response = client_for(member).get(reverse("telemetry:history_template", args=[enterprise.pk]))
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    header = [c.value for c in book.worksheets[0][1]]
    assert header[1:] == ["能源代码", "实物量", "计量单位"]
    assert "3300" in [c.value for c in book.worksheets[1]["A"]]


def test_reviewer_and_the_regions_viewer_read_and_cannot_upload(
    member, enterprise, connected, reviewer, viewer, client_for
):
    imported = import_history(member, enterprise, csv_upload(*good_rows()))
    for user in (reviewer, viewer):
        client = client_for(user)
        page = client.get(reverse("telemetry:history", args=[enterprise.pk]))
        assert page.status_code == 200
        assert page.context["form"] is None
        result = client.get(reverse("telemetry:history_import", args=[imported.pk]))
        assert result.status_code == 200


def test_an_outsider_sees_nothing(
    member, enterprise, connected, outsider, other_viewer, client_for, api_client_for
):
    imported = import_history(member, enterprise, csv_upload(*good_rows()))
    for user in (outsider, other_viewer):
        client = client_for(user)
        assert client.get(reverse("telemetry:history", args=[enterprise.pk])).status_code == 404
        assert (
            client.post(
                reverse("telemetry:history", args=[enterprise.pk]),
                {"file": csv_upload(*good_rows())},
            ).status_code
            == 404
        )
        assert (
            client.get(reverse("telemetry:history_import", args=[imported.pk])).status_code == 404
        )
        assert (
            client.get(reverse("telemetry:history_template", args=[enterprise.pk])).status_code
            == 404
        )
        api = api_client_for(user)
        assert api.get(f"/api/v1/telemetry/energy-structure/{enterprise.pk}").status_code == 404
    assert HistoricalEnergyImport.objects.count() == 1


def test_the_api_returns_shares_and_missing_types(
    member, enterprise, connected, reviewer, api_client_for, settings
):
    settings.TELEMETRY_MAIN_ENERGY_SHARE = "0.10"
    api = api_client_for(reviewer)
    url = f"/api/v1/telemetry/energy-structure/{enterprise.pk}"
    assert api.get(url).status_code == 404  # nothing imported yet
    import_history(member, enterprise, csv_upload(*good_rows()))
    data = api.get(url).json()
    assert data["totalTce"] == "1243.5450"
    assert [s["code"] for s in data["shares"]] == ["3300", "1500-1", "0100"]
    assert sum(Decimal(s["share"]) for s in data["shares"]) == 100
    assert {m["code"] for m in data["missingMain"]} == {"3300", "1500"}
    # An item added after the import counts at once.
    DataItemFactory(enterprise=enterprise, data_code="000000000233000000")
    assert {m["code"] for m in api.get(url).json()["missingMain"]} == {"1500"}


def test_the_page_takes_a_bounded_number_of_queries(
    member, enterprise, connected, client_for, django_assert_max_num_queries
):
    import_history(member, enterprise, csv_upload(*good_rows()))
    import_history(member, enterprise, csv_upload(*good_rows(("2023-01", "2023-02"))))
    client = client_for(member)
    url = reverse("telemetry:history", args=[enterprise.pk])
    with django_assert_max_num_queries(16):
        assert client.get(url).status_code == 200
    imported = HistoricalEnergyImport.objects.filter(status="imported").get()
    with django_assert_max_num_queries(12):
        result = client.get(reverse("telemetry:history_import", args=[imported.pk]))
        assert result.status_code == 200


def test_a_failure_after_the_file_is_saved_leaves_no_row_and_no_file(
    member, enterprise, connected, settings, monkeypatch
):
    from telemetry.services import energy_history

    def broken(source):
        raise RuntimeError("structure could not be computed")

    monkeypatch.setattr(energy_history, "snapshot_structure", broken)
    with pytest.raises(RuntimeError):
        import_history(member, enterprise, csv_upload(*good_rows()))

    assert not HistoricalEnergyImport.objects.exists()
    assert not HistoricalEnergyRecord.objects.exists()
    assert not Attachment.objects.exists()
    media = settings.MEDIA_ROOT
    assert not media.exists() or not [p for p in media.rglob("*") if p.is_file()]
