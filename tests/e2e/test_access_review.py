"""A reviewer works a submitted access application (附表1) in the workbench: opens it from
the queue, sees its materials beside the form, starts the review and approves it."""

import re

import pytest
from django.urls import reverse

from applications.models import ApplicationState
from telemetry.models import Connection
from tests.applications.factories import AccessApplicationFactory, make_root
from tests.portal.factories import EnterpriseFactory, ReviewerFactory

from .browser import MARKS

pytestmark = MARKS


@pytest.fixture
def submitted(transactional_db, live_server):
    make_root()  # approval opens the VPN account and needs the portal's CA
    return AccessApplicationFactory(enterprise=EnterpriseFactory(), submitted=True)


def test_a_reviewer_approves_a_submitted_application_with_a_comment(submitted, page, log_in, watch):
    from playwright.sync_api import expect

    log_in(ReviewerFactory())
    page.goto(reverse("applications:application_list"))
    row = page.locator("#queue-table tbody tr", has_text=submitted.applicant_name)
    expect(row).to_have_count(1)
    row.get_by_role("link", name=submitted.applicant_name).click()

    detail = reverse("applications:application_detail", args=[submitted.pk])
    expect(page).to_have_url(re.compile(re.escape(detail) + "$"))
    # The six materials and the CA form, each with its file, beside the form's fields.
    materials = page.locator("#materials")
    expect(materials.locator("a[href*='/files/']")).to_have_count(7)
    expect(materials).to_contain_text("photo.png")
    expect(materials).to_contain_text("construction_contract.pdf")
    expect(page.locator("#preview")).to_be_attached()

    page.click("#start-review")
    expect(page.locator("#approve")).to_be_visible()
    page.fill("#id_comment", "材料齐全，同意接入。")
    page.click("#approve")

    expect(page.locator("#application-state .badge.bg-success")).to_be_visible()
    expect(page.locator(".alert-success").first).to_be_visible()
    expect(page.locator(".timeline")).to_contain_text("材料齐全，同意接入。")
    expect(page.locator("#approve")).to_have_count(0)

    submitted.refresh_from_db()
    assert submitted.state == ApplicationState.APPROVED
    assert Connection.objects.filter(enterprise=submitted.enterprise).exists()
    assert watch.problems == []
