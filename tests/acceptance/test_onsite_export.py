"""The on-site acceptance list exports as CSV and XLSX, scoped like its page, the panel in
one cell, in a bounded number of queries."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from acceptance.services.onsite import propose_onsite, set_panel
from portal.models import Region

from ..portal.factories import (
    EnterpriseFactory,
    GovernmentViewerFactory,
    PanelMemberFactory,
    member_of,
)
from .factories import proposal
from .test_onsite import full_panel, people  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


def visit(region, people, place):  # noqa: F811
    from acceptance.models import AcceptanceState

    from .factories import AcceptanceApplicationFactory

    enterprise = EnterpriseFactory(region=region)
    member = member_of(enterprise)
    application = AcceptanceApplicationFactory(
        enterprise=enterprise, state=AcceptanceState.ACCEPTED
    )
    onsite = propose_onsite(member, application, proposal(place=place))
    if region == Region.WUHAN:
        set_panel(onsite, people["institute"], full_panel(people))
    return onsite


def test_scoped_with_the_panel_in_one_cell(client, people, django_assert_max_num_queries):  # noqa: F811
    wuhan = visit(Region.WUHAN, people, '=HYPERLINK("http://x")')
    yichang = visit(Region.YICHANG, people, "宜昌会议室")
    client.force_login(GovernmentViewerFactory(region=Region.WUHAN))
    with django_assert_max_num_queries(12):
        text = client.get(reverse("acceptance:onsite_export", args=["csv"])).content.decode(
            "utf-8-sig"
        )
    assert wuhan.application.owner_name in text and yichang.application.owner_name not in text
    assert "'=HYPERLINK" in text
    assert "当地发改委代表" in text and "省计量院代表" in text
    # A panel member sees only the panels they sit on.
    client.force_login(people["expert"])
    sheet = load_workbook(
        io.BytesIO(client.get(reverse("acceptance:onsite_export", args=["xlsx"])).content)
    ).active
    cells = [c.value for row in sheet.iter_rows() for c in row]
    assert wuhan.application.owner_name in cells
    assert yichang.application.owner_name not in cells
    client.force_login(PanelMemberFactory())
    text = client.get(reverse("acceptance:onsite_export", args=["csv"])).content.decode("utf-8-sig")
    assert text.count("\n") == 1  # the header only
    # More visits, same number of queries.
    for index in range(3):
        visit(Region.WUHAN, people, f"{index} 号会议室")
    client.force_login(GovernmentViewerFactory(region=Region.WUHAN))
    with django_assert_max_num_queries(12):
        client.get(reverse("acceptance:onsite_export", args=["csv"]))
