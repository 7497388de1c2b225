"""Two people acting at once: one wins, the other is refused, nothing is doubled."""

import pytest

from acceptance.choices import SignatureRole
from acceptance.models import AcceptanceApplication, AcceptanceState, ReportSignature
from acceptance.services.applications import FIELDS, create_application
from acceptance.services.report import sign_report
from acceptance.services.review import start_review

from ..concurrency import at_once
from ..portal.factories import EnterpriseFactory, ReviewerFactory, member_of
from .conftest import PASSWORD
from .factories import AcceptanceApplicationFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.postgresql(reason="row locks need PostgreSQL"),
]


def test_two_reviewers_taking_the_same_application():
    application = AcceptanceApplicationFactory(state=AcceptanceState.SUBMITTED)
    outcomes = at_once(
        lambda r: start_review(application, r), [ReviewerFactory(), ReviewerFactory()]
    )
    assert sorted(outcomes) == ["ok", "wrong_state"]


def test_two_members_filing_at_once_create_one_application():
    # Not ready_enterprise(): a transactional test has no energy dictionary to register items.
    enterprise = EnterpriseFactory()
    members = [member_of(enterprise), member_of(enterprise)]
    template = AcceptanceApplicationFactory.build(enterprise=enterprise)
    data = {name: getattr(template, name) for name in FIELDS}
    outcomes = at_once(lambda m: create_application(m, enterprise, data), members)
    assert sorted(outcomes) == ["condition_unmet", "ok"]
    assert AcceptanceApplication.objects.filter(enterprise=enterprise).count() == 1


def test_two_signatures_for_one_role_at_once(signing):
    report, people = signing
    owner2 = member_of(report.enterprise)
    owner2.set_password(PASSWORD)
    owner2.save()
    outcomes = at_once(
        lambda user: sign_report(report, user, SignatureRole.ENTERPRISE, PASSWORD),
        [people["owner"], owner2],
    )
    assert sorted(outcomes) == ["condition_unmet", "ok"]
    assert ReportSignature.objects.filter(role=SignatureRole.ENTERPRISE).count() == 1


def test_two_reviewers_rechecking_the_same_report_at_once():
    from acceptance.choices import NoticeState
    from acceptance.models import RectificationNotice, RectificationReport
    from acceptance.services.rectification import acknowledge_notice, recheck, submit_report

    from .supervision import evidence, failed_audit_notice

    notice, member, _reviewer = failed_audit_notice()
    acknowledge_notice(notice, member)
    submit_report(notice, member, "已修复", [evidence()])
    outcomes = at_once(
        lambda r: recheck(notice, r, rectified=r.username.endswith("a"), note="复查"),
        [ReviewerFactory(username="reviewer-a"), ReviewerFactory(username="reviewer-b")],
    )
    assert sorted(outcomes) == ["ok", "wrong_state"]
    notice.refresh_from_db()
    assert notice.state in (NoticeState.CLOSED, NoticeState.ACKNOWLEDGED)
    report = RectificationReport.objects.get()
    assert report.rechecked_by is not None
    assert RectificationNotice.objects.count() == 1
