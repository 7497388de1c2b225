"""Two reviewers deciding the same 附表1 at the same instant (PostgreSQL row locks).

One decision stands; the other reviewer is refused because the state their page showed is
gone, so nobody overturns a decision they never saw and the enterprise hears one outcome.
"""

import pytest

from applications.models import AccessApplication, ApplicationState
from applications.services.access import (
    approve_application,
    reject_application,
    return_application,
)
from portal.models import AuditEvent, Notification
from tests.applications.factories import AccessApplicationFactory, make_root
from tests.concurrency import at_once
from tests.portal.factories import ReviewerFactory, member_of

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.postgresql(reason="row locks need PostgreSQL"),
]

DECISIONS = {
    "approve": lambda application, reviewer: approve_application(application, reviewer, "同意"),
    "reject": lambda application, reviewer: reject_application(application, reviewer, "不符合"),
    "return": lambda application, reviewer: return_application(application, reviewer, "补正"),
}


@pytest.mark.parametrize(
    "first,second",
    [("approve", "reject"), ("approve", "return"), ("reject", "return"), ("reject", "reject")],
)
def test_one_of_two_decisions_at_once_stands(first, second):
    make_root()
    application = AccessApplicationFactory(under_review=True)
    member = member_of(application.enterprise)
    pairs = [(DECISIONS[first], ReviewerFactory()), (DECISIONS[second], ReviewerFactory())]

    outcomes = at_once(lambda pair: pair[0](application, pair[1]), pairs)

    assert sorted(outcomes) == ["ok", "wrong_state"]
    application = AccessApplication.objects.get(pk=application.pk)
    assert application.state in {
        ApplicationState.APPROVED,
        ApplicationState.REJECTED,
        ApplicationState.RETURNED,
    }
    decided = AuditEvent.objects.filter(
        event__in=["application_approved", "application_rejected", "application_returned"]
    )
    assert decided.count() == 1
    assert decided.get().to_state == application.state
    assert Notification.objects.filter(recipient=member).count() == 1
