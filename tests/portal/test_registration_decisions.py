"""A registration decision stands until a reviewer overturns it on purpose, with a reason.

Two reviewers deciding at the same instant: the row lock lets one through, and the second
is refused because the state it saw is gone (approve vs reject, approve vs approve).
"""

import pytest
from django.contrib.messages import get_messages

from portal.models import AuditEvent, Enterprise, Notification, RegistrationStatus
from portal.services import approve_registration, overturn_rejection, reject_registration
from portal.workflow import RefusalReason, TransitionRefused
from tests.concurrency import at_once
from tests.portal.factories import EnterpriseFactory, ReviewerFactory, member_of


@pytest.fixture
def rejected(pending, reviewer):
    return reject_registration(pending, reviewer, "营业执照与名称不符")


def test_approving_a_rejected_registration_is_refused(rejected, reviewer):
    with pytest.raises(TransitionRefused) as refused:
        approve_registration(rejected, reviewer, "")
    assert refused.value.reason == RefusalReason.WRONG_STATE
    rejected.refresh_from_db()
    assert rejected.registration_status == RegistrationStatus.REJECTED


def test_a_stale_approve_page_does_not_overturn_a_rejection(rejected, reviewer, client_for):
    response = client_for(reviewer).post(f"/enterprises/{rejected.pk}/approve/")
    assert response.status_code == 302
    assert [str(m) for m in get_messages(response.wsgi_request)] != []
    rejected.refresh_from_db()
    assert rejected.registration_status == RegistrationStatus.REJECTED


def test_overturning_needs_a_reason(rejected, reviewer):
    with pytest.raises(TransitionRefused) as refused:
        overturn_rejection(rejected, reviewer, "  ")
    assert refused.value.reason == RefusalReason.COMMENT_REQUIRED


def test_overturning_with_a_reason_approves_and_tells_the_enterprise(rejected, reviewer):
    member = member_of(rejected)
    overturn_rejection(rejected, reviewer, "补交的营业执照已核实")

    rejected.refresh_from_db()
    assert rejected.registration_status == RegistrationStatus.APPROVED
    event = AuditEvent.objects.get(enterprise=rejected, event="registration_rejection_overturned")
    assert (event.comment, event.from_state, event.to_state) == (
        "补交的营业执照已核实",
        RegistrationStatus.REJECTED,
        RegistrationStatus.APPROVED,
    )
    assert Notification.objects.filter(recipient=member, title__contains="复核").exists()


def test_the_page_offers_the_overturn_only_for_a_rejection(pending, rejected, reviewer, client_for):
    client = client_for(reviewer)
    other = EnterpriseFactory(registration_status=RegistrationStatus.PENDING)
    pending_page = client.get(f"/enterprises/{other.pk}/").content.decode()
    rejected_page = client.get(f"/enterprises/{rejected.pk}/").content.decode()
    assert "/approve/" in pending_page and "/overturn/" not in pending_page
    assert "/overturn/" in rejected_page and "/approve/" not in rejected_page

    client.post(f"/enterprises/{rejected.pk}/overturn/", {"comment": "复核通过"})
    rejected.refresh_from_db()
    assert rejected.registration_status == RegistrationStatus.APPROVED


def test_the_api_overturns_with_a_reason(rejected, reviewer, api_client_for):
    api = api_client_for(reviewer)
    url = f"/api/v1/enterprises/{rejected.pk}/overturn/"
    assert api.post(url, {"comment": ""}, format="json").status_code == 409
    response = api.post(url, {"comment": "复核通过"}, format="json")
    assert response.status_code == 200
    assert response.json()["registration_status"] == RegistrationStatus.APPROVED


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgresql(reason="row locks need PostgreSQL")
@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        (approve_registration, reject_registration, ["ok", "wrong_state"]),
        (approve_registration, approve_registration, ["ok", "wrong_state"]),
        (reject_registration, reject_registration, ["ok", "wrong_state"]),
    ],
)
def test_two_reviewers_deciding_at_once_only_one_decides(first, second, expected):
    enterprise = EnterpriseFactory(registration_status=RegistrationStatus.PENDING)
    pairs = [(first, ReviewerFactory()), (second, ReviewerFactory())]
    outcomes = at_once(lambda pair: pair[0](enterprise, pair[1], "意见"), pairs)

    assert sorted(outcomes) == expected
    decided = AuditEvent.objects.filter(
        enterprise=enterprise, event__in=["registration_approved", "registration_rejected"]
    )
    assert decided.count() == 1
    status = Enterprise.objects.get(pk=enterprise.pk).registration_status
    assert status == decided.get().to_state
