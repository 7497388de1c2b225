"""Chinese by default, English by the language switch; times shown in Beijing time.

The English strings come from `locale/en/LC_MESSAGES/django.po`, compiled at setup.
"""

import datetime as dt
from datetime import date

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.urls import reverse

from applications import pki
from applications.services.access import approve_application
from portal.models import AuditEvent
from telemetry.services.trial import evaluate_trials
from tests.applications.factories import AccessApplicationFactory, make_root
from tests.telemetry.factories import (
    beijing,
    full_days,
    realtime_item,
    trial_connection,
)

pytestmark = pytest.mark.django_db


def test_the_default_language_is_chinese(client):
    html = client.get("/").content.decode()
    assert '<html lang="zh-hans">' in html
    assert "办理流程" in html
    assert "Workflow" not in html


def test_the_browsers_language_does_not_switch_the_portal(client):
    html = client.get("/", headers={"Accept-Language": "en-US,en;q=0.9"}).content.decode()
    assert '<html lang="zh-hans">' in html
    assert "办理流程" in html


def test_the_language_switch_turns_the_portal_english(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    html = client.get("/").content.decode()
    assert '<html lang="en">' in html
    # Strings from our own catalogue, not Django's.
    assert "Workflow" in html
    assert "Enterprise registration" in html
    assert "办理流程" not in html


def test_the_switch_back_to_chinese_works(client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert '<html lang="zh-hans">' in client.get("/").content.decode()


def test_the_dashboard_reads_in_english(client_for, member):
    client = client_for(member)
    client.post("/i18n/setlang/", {"language": "en", "next": "/dashboard/"})
    html = client.get("/dashboard/").content.decode()
    assert "Progress" in html
    assert "Next step:" in html
    assert "Data connection" in html
    assert "办理进度" not in html


def test_choice_labels_are_translated(client_for, member, enterprise):
    client = client_for(member)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    html = client.get(f"/enterprises/{enterprise.pk}/").content.decode()
    assert "Wuhan" in html
    assert "Approved" in html


def test_times_are_shown_in_beijing_time(client_for, member, enterprise):
    event = AuditEvent.record(enterprise, member, "enterprise_updated", comment="改地址")
    AuditEvent.objects.filter(pk=event.pk).update(
        created_at=dt.datetime(2026, 3, 1, 16, 30, tzinfo=dt.UTC)
    )
    html = client_for(member).get(f"/enterprises/{enterprise.pk}/").content.decode()
    assert "2026-03-02 00:30" in html
    assert "2026-03-01 16:30" not in html


def _english(client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    return client


def test_the_scheme_list_reads_in_english(client_for, reviewer):
    html = _english(client_for(reviewer)).get(reverse("applications:scheme_list")).content.decode()
    assert "Scheme no." in html
    assert "Energy-consuming unit" in html
    # The button, not the history event label of the same Chinese string.
    assert "Draft a design scheme" in html
    assert "方案编号" not in html


def test_the_trial_board_reads_in_english(client_for, reviewer, enterprise):
    item = realtime_item(enterprise)
    trial_connection(enterprise, date(2026, 3, 1))
    full_days(item, date(2026, 3, 1), 2)
    evaluate_trials(now=beijing(2026, 3, 5, 12))
    html = _english(client_for(reviewer)).get(reverse("telemetry:trial_board")).content.decode()
    assert 'sort-link">Enterprise<' in html  # the column header, not the menu's "Enterprises"
    assert "Upload success rate" in html and "On-time rate" in html
    assert "Consecutive complete days" in html
    assert "连续完整天数" not in html


def test_a_csr_refusal_is_shown_in_english(client_for, member, enterprise, reviewer):
    make_root()
    application = AccessApplicationFactory(enterprise=enterprise, under_review=True)
    approve_application(application, reviewer, "同意")
    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    csr = pki.make_csr(
        key, uscc=enterprise.uscc, device_serial="HB-DEV-000123", enterprise_name=enterprise.name
    )
    response = _english(client_for(member)).post(
        reverse("applications:certificate_request", args=[enterprise.pk]),
        {"device_serial": "HB-DEV-000123", "csr": csr.decode()},
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "The CSR uses a 1024-bit RSA key; only EC P-256 (secp256r1) keys" in html
    assert "CSR 使用的密钥" not in html


def test_a_datacode_refusal_is_shown_in_english(enterprise):
    from django.utils import translation

    from telemetry.forms import DataItemForm

    data = {"process": "0a", "process_unit": "00", "device_code": "0000"}
    data |= {"energy_class": "02", "object_code": "3300", "usage": "0000"}
    with translation.override("en"):
        form = DataItemForm({**data, "name": "x", "unit": "kWh"}, enterprise=enterprise)
        form.is_valid()
        assert form.errors["process"] == ["Production process code must be 2 digits; got '0a'"]
