"""Chinese by default, English by the language switch; times shown in Beijing time.

The English strings come from `locale/en/LC_MESSAGES/django.po`, compiled at setup.
"""

import datetime as dt

import pytest

from portal.models import AuditEvent

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
