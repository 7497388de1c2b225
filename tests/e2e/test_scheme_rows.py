"""The institute's reviewer adds and removes rows of a design scheme's lists on the page,
without saving in between (static/js/portal-forms.js)."""

import pytest
from django.urls import reverse

from tests.applications.factories import DesignSchemeFactory
from tests.portal.factories import ReviewerFactory

from .browser import MARKS

pytestmark = MARKS


@pytest.fixture
def scheme(transactional_db, live_server):
    return DesignSchemeFactory()


def test_rows_are_added_and_removed_before_one_save(scheme, page, log_in, watch):
    from playwright.sync_api import expect

    log_in(ReviewerFactory())
    page.goto(reverse("applications:scheme_edit", args=[scheme.pk]))
    energy = page.locator("#formset-energy_types tbody tr:visible")
    expect(energy).to_have_count(2)

    # Remove the second energy type, add two budget lines, all before saving.
    energy.nth(1).get_by_role("button").click()
    expect(energy).to_have_count(1)
    for item, amount in (("VPN 专线", "1200.00"), ("数据对接服务", "15000.00")):
        page.click("#add-budget_items")
        row = page.locator("#formset-budget_items tbody tr").last
        row.locator("input[name$='-item']").fill(item)
        row.locator("input[name$='-amount']").fill(amount)
    expect(page.locator("#id_budget_items-TOTAL_FORMS")).to_have_value("3")
    page.click("#save-scheme")

    expect(page).to_have_url(
        f"{watch.origin}{reverse('applications:scheme_detail', args=[scheme.pk])}"
    )
    scheme.refresh_from_db()
    assert [row["energy_type"] for row in scheme.energy_types] == ["3300"]
    assert [row["item"] for row in scheme.budget_items] == [
        "端设备及安装",
        "VPN 专线",
        "数据对接服务",
    ]
    assert watch.problems == []
