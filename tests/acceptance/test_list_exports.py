"""The lists this issue added exports to (enterprises, trials, issued documents), and the
rectification notices' state filter: CSV and XLSX, scoped as the page is, formulas inert."""

import io
from datetime import date

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from portal.models import Region
from reports.models import DocumentKind, IssuedDocument
from telemetry.models import TrialRun

from ..portal.factories import (
    EnterpriseFactory,
    GovernmentViewerFactory,
    ReviewerFactory,
    member_of,
)
from ..telemetry.factories import trial_connection
from .supervision import failed_audit_notice

pytestmark = pytest.mark.django_db
FORMULA = '=HYPERLINK("http://x","y")'


def csv_text(client, name, **params) -> str:
    response = client.get(reverse(name, args=["csv"]), params)
    assert response.status_code == 200
    return response.content.decode("utf-8-sig")


def xlsx_cells(client, name) -> list:
    response = client.get(reverse(name, args=["xlsx"]))
    sheet = load_workbook(io.BytesIO(response.content)).active
    return [c.value for row in sheet.iter_rows() for c in row]


@pytest.fixture
def two_regions():
    wuhan = EnterpriseFactory(region=Region.WUHAN, name=FORMULA)
    yichang = EnterpriseFactory(region=Region.YICHANG, name="宜昌某化工有限公司")
    return wuhan, yichang


def test_enterprises_export_is_the_viewers_region_with_formulas_neutralised(client, two_regions):
    wuhan, yichang = two_regions
    client.force_login(GovernmentViewerFactory(region=Region.WUHAN))
    text = csv_text(client, "enterprises_export")
    assert "'" + FORMULA.replace('"', '""') in text and yichang.name not in text
    cells = xlsx_cells(client, "enterprises_export")
    assert "'" + FORMULA in cells and yichang.name not in cells
    client.force_login(ReviewerFactory())
    assert yichang.name not in csv_text(client, "enterprises_export", region=Region.WUHAN)
    client.force_login(member_of(wuhan))
    assert client.get(reverse("enterprises_export", args=["csv"])).status_code == 403


def trial_for(enterprise):
    connection = trial_connection(enterprise, date(2026, 5, 1))
    return TrialRun.objects.get_or_create(
        connection=connection,
        number=1,
        defaults={"started_on": date(2026, 5, 1), "ends_on": date(2026, 5, 15)},
    )[0]


def test_trials_export_is_scoped(client, two_regions):
    wuhan, yichang = two_regions
    trial_for(wuhan), trial_for(yichang)
    client.force_login(member_of(yichang))
    text = csv_text(client, "telemetry:trials_export")
    assert yichang.name in text and "HYPERLINK" not in text
    client.force_login(member_of(EnterpriseFactory()))
    assert csv_text(client, "telemetry:trials_export").count("\n") == 1  # the header only
    client.force_login(ReviewerFactory())
    cells = xlsx_cells(client, "telemetry:trials_export")
    assert "'" + FORMULA in cells and yichang.name in cells


def test_documents_export_is_scoped_and_filtered(client):
    notice, member, _reviewer = failed_audit_notice(region=Region.WUHAN, name=FORMULA)
    number = IssuedDocument.objects.get(pk=notice.document_id).number
    client.force_login(member)
    assert number in csv_text(client, "reports:documents_export")
    assert "'" + FORMULA in xlsx_cells(client, "reports:documents_export")
    assert number not in csv_text(client, "reports:documents_export", kind=DocumentKind.CONFORMANCE)
    client.force_login(member_of(EnterpriseFactory()))
    assert number not in csv_text(client, "reports:documents_export")
    client.force_login(GovernmentViewerFactory(region=Region.YICHANG))
    assert number not in "".join(str(c) for c in xlsx_cells(client, "reports:documents_export"))


def test_notices_export_follows_the_state_filter_and_shows_the_closure(client):
    notice, _member, reviewer = failed_audit_notice()
    client.force_login(reviewer)
    assert notice.enterprise.name in csv_text(client, "acceptance:notices_export", state="issued")
    assert notice.enterprise.name not in csv_text(
        client, "acceptance:notices_export", state="closed"
    )
    assert "关闭时间" in csv_text(client, "acceptance:notices_export")
    assert "整改完成日期" in csv_text(client, "acceptance:results_export")


def test_every_list_page_links_its_exports(client, two_regions):
    client.force_login(ReviewerFactory())
    for page, export in [
        ("enterprise_list", "enterprises_export"),
        ("reports:document_list", "reports:documents_export"),
        ("telemetry:trial_board", "telemetry:trials_export"),
        ("acceptance:notice_list", "acceptance:notices_export"),
    ]:
        html = client.get(reverse(page)).content.decode()
        assert reverse(export, args=["xlsx"]) in html, page
