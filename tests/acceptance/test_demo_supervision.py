"""The supervision demo: last year's audit of two accepted systems, one passed and one
failed with its rectification report waiting for the re-check, a sample drawn from a
recorded seed, a dossier asked for; seeding again changes nothing."""

import pytest
from django.utils import timezone

from acceptance import demo_supervision
from acceptance.choices import AuditState, NoticeState
from acceptance.models import AnnualAudit, AuditPlan, Dossier, RectificationNotice
from acceptance.services.audits import draw

from ..portal.factories import EnterpriseFactory, ReviewerFactory, member_of

pytestmark = pytest.mark.django_db


def test_the_demo_audit_and_its_rectification():
    ReviewerFactory(username="reviewer")
    enterprises = [EnterpriseFactory(), EnterpriseFactory()]
    for enterprise in enterprises:
        member_of(enterprise)
    context = {"connected": enterprises, "enterprises": enterprises}
    demo_supervision.seed(context, log=lambda *_: None)

    plan = AuditPlan.objects.get()
    assert plan.year == timezone.localdate().year - 1
    states = sorted(AnnualAudit.objects.values_list("state", flat=True))
    assert states == [AuditState.FAILED, AuditState.PASSED]
    notice = RectificationNotice.objects.get()
    assert notice.state == NoticeState.REPORTED and notice.reports.count() == 1
    assert (
        plan.sample
        and draw(list(plan.audits.values_list("enterprise_id", flat=True)), plan.sample_seed)
        == plan.sample
    )
    assert Dossier.objects.count() == 1

    demo_supervision.seed(context, log=lambda *_: None)
    assert AuditPlan.objects.count() == 1 and RectificationNotice.objects.count() == 1
