"""`seed_demo` builds the demo province, and running it again changes nothing.

The snapshot covers every model of every app, so it stays meaningful as other apps add
their demo data through `<app>.demo.seed`.
"""

from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command

from portal.demo import DEMO_PASSWORD
from portal.models import Enterprise, Role, User


def snapshot():
    counts = {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models()
        if not model._meta.proxy
    }
    enterprises = list(
        Enterprise.objects.order_by("uscc").values_list(
            "uscc", "name", "region", "stage", "registration_status"
        )
    )
    return counts, enterprises


def seed():
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


@pytest.fixture
def seeded(db):
    return seed()


def test_seeding_twice_gives_the_same_data(seeded):
    first = snapshot()
    seed()
    assert snapshot() == first


def test_seeding_twice_keeps_the_audit_history(seeded):
    counts, _ = snapshot()
    assert counts["portal.AuditEvent"] > 0
    assert counts["portal.Membership"] >= 30


def test_the_demo_has_enough_enterprises_across_regions_and_industries(seeded):
    assert Enterprise.objects.count() >= 30
    assert Enterprise.objects.values("region").distinct().count() >= 5
    assert Enterprise.objects.values("industry").distinct().count() >= 5
    statuses = set(Enterprise.objects.values_list("registration_status", flat=True))
    assert statuses == {"pending", "approved", "rejected"}


def test_the_demo_has_a_user_for_every_role(seeded):
    roles = set(User.objects.values_list("role", flat=True))
    assert roles >= set(Role.values)


def test_every_demo_enterprise_has_a_member(seeded):
    assert not Enterprise.objects.filter(memberships__isnull=True).exists()


def test_the_demo_viewers_have_a_region(seeded):
    assert not User.objects.filter(role=Role.GOVERNMENT, region="").exists()


def test_the_demo_logins_work_with_the_printed_password(seeded, client):
    for username in ("reviewer", "gov_wuhan", "expert", "operator", "ent01"):
        assert User.objects.get(username=username).check_password(DEMO_PASSWORD)
    assert client.login(username="reviewer", password=DEMO_PASSWORD)


def test_the_command_prints_the_demo_logins(seeded):
    assert DEMO_PASSWORD in seeded
    for username in ("reviewer", "expert", "gov_wuhan", "operator", "ent01"):
        assert username in seeded
    assert f"{Enterprise.objects.count()} 家重点用能单位" in seeded
