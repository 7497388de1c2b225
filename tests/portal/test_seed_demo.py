"""`seed_demo` builds the demo province, and running it again changes nothing.

Seeding the whole province (every app's demo data) takes most of a minute on PostgreSQL,
so the module seeds twice in all: one test checks what the first run built, including the
second run's idempotency. The snapshot covers every model of every app, so it stays
meaningful as other apps add their demo data through `<app>.demo.seed`.
"""

from io import StringIO

from django.apps import apps
from django.core.management import call_command
from django.test import Client

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


def test_the_demo_province_is_complete_and_seeding_again_changes_nothing(db):
    printed = seed()
    first = snapshot()

    # Enough enterprises, spread over regions, industries and registration states.
    assert Enterprise.objects.count() >= 30
    assert Enterprise.objects.values("region").distinct().count() >= 5
    assert Enterprise.objects.values("industry").distinct().count() >= 5
    statuses = set(Enterprise.objects.values_list("registration_status", flat=True))
    assert statuses == {"pending", "approved", "rejected"}
    assert not Enterprise.objects.filter(memberships__isnull=True).exists()

    # A user for every role, viewers bound to a region, and an audit history.
    assert set(User.objects.values_list("role", flat=True)) >= set(Role.values)
    assert not User.objects.filter(role=Role.GOVERNMENT, region="").exists()
    counts, _ = first
    assert counts["portal.AuditEvent"] > 0
    assert counts["portal.Membership"] >= 30

    # The printed logins work with the printed password.
    assert DEMO_PASSWORD in printed
    for username in ("reviewer", "expert", "gov_wuhan", "operator", "ent01"):
        assert username in printed
        assert User.objects.get(username=username).check_password(DEMO_PASSWORD)
    assert f"{Enterprise.objects.count()} 家重点用能单位" in printed

    # The trial cases a reviewer should find (issue 9): a relay flag waiting and one
    # explained, an item change waiting for approval, a trial running past its flag date,
    # a passed trial and a 3-hour outage backfilled.
    from telemetry.models import DailyRollup, ItemChangeRequest, RelayFlag, TrialRun

    assert {"open", "explained"} <= set(RelayFlag.objects.values_list("status", flat=True))
    assert ItemChangeRequest.objects.filter(status="pending").exists()
    assert TrialRun.objects.filter(status="running", flagged_at__isnull=False).exists()
    assert TrialRun.objects.filter(status="passed").exists()
    assert DailyRollup.objects.filter(backfilled__gt=0).exists()

    # Every acceptance state with content (issue 11), on enough enterprises whose
    # conformance report was issued through the engine from a passed trial with history.
    from acceptance.choices import ReportState
    from acceptance.models import (
        AcceptanceApplication,
        AcceptanceState,
        OnSiteAcceptance,
        OnSiteState,
        Publication,
        RectificationNotice,
        ReportSignature,
    )
    from reports.models import DocumentKind, IssuedDocument

    conformance = IssuedDocument.objects.filter(kind=DocumentKind.CONFORMANCE, state="issued")
    assert conformance.count() == TrialRun.objects.filter(status="passed").count() >= 7
    states = set(AcceptanceApplication.objects.values_list("state", flat=True))
    assert states == set(AcceptanceState.values)
    refiled = AcceptanceApplication.objects.get(previous__state=AcceptanceState.FAILED)
    assert refiled.state == AcceptanceState.DRAFT
    returned = AcceptanceApplication.objects.get(state=AcceptanceState.RETURNED)
    assert "实施服务合同" in returned.review_comment
    assert OnSiteAcceptance.objects.filter(state=OnSiteState.SCHEDULED).exists()
    signing = ReportSignature.objects.filter(report__state=ReportState.SIGNING)
    assert 0 < signing.count() < 5
    assert {
        d.number[:7] for d in IssuedDocument.objects.exclude(kind=DocumentKind.CONFORMANCE)
    } >= {
        "HBJL-YS",
        "HBJL-ZG",
    }
    assert RectificationNotice.objects.exists()
    assert Publication.objects.count() >= 2

    # Supervision (issue 12): last year's audit, one passed, one failed with its
    # rectification in progress, a drawn sample, a dossier.
    from acceptance.models import AnnualAudit, AuditPlan, Dossier

    assert {"passed", "failed"} <= set(AnnualAudit.objects.values_list("state", flat=True))
    assert AuditPlan.objects.exclude(sample=[]).exists()
    assert RectificationNotice.objects.filter(state="reported").exists()
    assert Dossier.objects.exists()
    # The written review's evidence files on the answers; the sampled enterprise's spot
    # check with its structured findings and one comparison reading.
    from acceptance.models import AuditAnswer, SpotComparison
    from acceptance.services.audits import EVIDENCE_KIND
    from portal.models import Attachment

    evidence = Attachment.objects.filter(kind=EVIDENCE_KIND)
    assert evidence.count() >= 2
    assert set(evidence.values_list("object_id", flat=True)) <= set(
        AuditAnswer.objects.values_list("pk", flat=True)
    )
    spot = AnnualAudit.objects.exclude(spot_checked_at=None).get()
    assert spot.enterprise_id in spot.plan.sample
    assert spot.spot_layout and spot.spot_devices and spot.spot_collection
    comparison = SpotComparison.objects.get()
    assert comparison.audit == spot and comparison.meter

    seed()
    assert snapshot() == first
    assert Client().login(username="reviewer", password=DEMO_PASSWORD)
