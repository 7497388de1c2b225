"""Every acceptance list exports its rows as CSV and XLSX, scoped, with formulas inert."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from acceptance.choices import AcceptanceState
from portal.models import Region

from ..portal.factories import (
    EnterpriseFactory,
    GovernmentViewerFactory,
    ReviewerFactory,
    member_of,
)
from .factories import AcceptanceApplicationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def applications():
    wuhan = AcceptanceApplicationFactory(
        enterprise=EnterpriseFactory(region=Region.WUHAN),
        builder_name='=HYPERLINK("http://x")',
        state=AcceptanceState.SUBMITTED,
    )
    yichang = AcceptanceApplicationFactory(
        enterprise=EnterpriseFactory(region=Region.YICHANG), state=AcceptanceState.SUBMITTED
    )
    return wuhan, yichang


def test_csv_and_xlsx_are_scoped_and_neutralise_formulas(client, applications):
    wuhan, yichang = applications
    client.force_login(GovernmentViewerFactory(region=Region.WUHAN))
    text = client.get(reverse("acceptance:applications_export", args=["csv"])).content.decode(
        "utf-8-sig"
    )
    assert wuhan.owner_name in text and yichang.owner_name not in text
    assert "'=HYPERLINK" in text
    response = client.get(reverse("acceptance:applications_export", args=["xlsx"]))
    sheet = load_workbook(io.BytesIO(response.content)).active
    cells = [c.value for row in sheet.iter_rows() for c in row]
    assert '\'=HYPERLINK("http://x")' in cells and yichang.owner_name not in cells


def test_an_outsider_exports_nothing_and_an_unknown_format_is_404(client, applications):
    client.force_login(member_of(EnterpriseFactory()))
    text = client.get(reverse("acceptance:applications_export", args=["csv"])).content.decode(
        "utf-8-sig"
    )
    assert text.count("\n") == 1  # the header only
    client.force_login(ReviewerFactory())
    assert client.get("/acceptance/applications.pdf").status_code == 404


def test_the_public_results_export(client, db):
    assert client.get(reverse("acceptance:results_export", args=["csv"])).status_code == 200
