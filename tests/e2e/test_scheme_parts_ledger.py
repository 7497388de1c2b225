"""In Chromium: the scheme page lists seed 4.1(2)'s parts with their completeness, and the
meter ledger shows its GB 17167 shortfalls, which shrink as the clerk registers a meter."""

import pytest
from django.urls import reverse

from applications.models import SiteSurvey
from tests.applications.factories import DesignSchemeFactory, MeterFactory
from tests.portal.factories import ReviewerFactory, member_of

from .browser import MARKS

pytestmark = MARKS


@pytest.fixture
def scheme(transactional_db, live_server):
    scheme = DesignSchemeFactory()
    SiteSurvey.objects.filter(scheme=scheme).delete()
    return scheme


def test_the_scheme_page_shows_its_parts(scheme, page, log_in, watch):
    from playwright.sync_api import expect

    log_in(ReviewerFactory())
    page.goto(reverse("applications:scheme_detail", args=[scheme.pk]))
    parts = page.locator("#scheme-parts .part-row")
    expect(parts).to_have_count(10)
    expect(page.locator("#scheme-parts .part-row[data-complete='0']")).to_have_count(1)
    expect(page.locator(".part-row[data-part='site_survey']")).to_have_attribute(
        "data-complete", "0"
    )
    expect(page.locator(".part-row[data-part='energy_flow'] a")).to_have_count(1)
    expect(page.locator("#parts-progress")).to_contain_text("9/10")

    # Sending is refused, naming the survey; recording it completes the scheme.
    page.click("#send-scheme")
    expect(page.locator(".alert")).to_contain_text("现场调研记录")
    page.click("#record-survey")
    page.fill("#id_surveyed_on", "2026-01-10")
    page.fill("#id_surveyors", "张工、王工")
    page.fill("#id_findings", "总降压站进线柜具备通信接口")
    page.click("#save-survey")
    expect(page.locator("#parts-progress")).to_contain_text("10/10")
    expect(page.locator(".part-row[data-part='site_survey']")).to_contain_text("张工、王工")
    assert watch.problems == []


def test_the_ledger_shows_the_shortfalls(scheme, page, log_in, watch):
    from playwright.sync_api import expect

    enterprise = scheme.enterprise
    MeterFactory(enterprise=enterprise, energy_type="3300", metering_level=2, accuracy_class="1.0")
    log_in(member_of(enterprise))
    page.goto(reverse("applications:meter_index"))
    expect(page).to_have_url(
        f"{watch.origin}{reverse('applications:meter_list', args=[enterprise.pk])}"
    )
    # Electricity level 3 and natural gas levels 2 and 3 have no meter.
    shortfalls = page.locator("#shortfalls .shortfall[data-kind='level']")
    expect(shortfalls).to_have_count(3)
    expect(page.locator("#meter-table .meter-row")).to_have_count(3)

    page.click("#new-meter")
    page.fill("#id_name", "多功能电力仪表")
    page.fill("#id_management_number", "DB-301")
    page.fill("#id_model", "PD194E")
    page.fill("#id_accuracy_class", "1.0")
    page.select_option("#id_energy_type", "3300")
    page.select_option("#id_metering_level", "3")
    page.fill("#id_location", "空压机房")
    page.fill("#id_certificate_number", "JD-301")
    page.fill("#id_valid_until", "2099-12-31")
    page.click("#save-meter")
    expect(page.locator("#meter-table .meter-row")).to_have_count(4)
    expect(shortfalls).to_have_count(2)
    assert watch.problems == []
