"""The acceptance application's transitions as a table: state × transition × who → result."""

import pytest

from acceptance.models import AcceptanceApplication, AcceptanceState
from portal.workflow import TransitionRefused, check_transition

from ..portal.factories import ReviewerFactory, member_of
from .factories import AcceptanceApplicationFactory

pytestmark = pytest.mark.django_db

S = AcceptanceState
# (state, transition, actor) -> "ok" or the refusal reason (guards that read other
# records, the report and the materials, are exercised in test_applications).
TABLE = [
    (S.DRAFT, "start_review", "reviewer", "wrong_state"),
    (S.DRAFT, "accept", "reviewer", "wrong_state"),
    (S.SUBMITTED, "submit", "member", "wrong_state"),
    (S.SUBMITTED, "start_review", "reviewer", "ok"),
    (S.SUBMITTED, "start_review", "member", "not_permitted"),
    (S.MATERIALS_REVIEW, "return_for_correction", "reviewer", "ok"),
    (S.MATERIALS_REVIEW, "return_for_correction", "member", "not_permitted"),
    (S.MATERIALS_REVIEW, "submit", "member", "wrong_state"),
    (S.RETURNED, "start_review", "reviewer", "wrong_state"),
    (S.RETURNED, "accept", "reviewer", "wrong_state"),
    (S.ACCEPTED, "record_pass", "reviewer", "ok"),
    (S.ACCEPTED, "record_fail", "member", "not_permitted"),
    (S.ACCEPTED, "return_for_correction", "reviewer", "wrong_state"),
    (S.PASSED, "record_fail", "reviewer", "wrong_state"),
    (S.FAILED, "submit", "member", "wrong_state"),
    (S.FAILED, "record_pass", "reviewer", "wrong_state"),
]


@pytest.mark.parametrize(("state", "transition", "who", "expected"), TABLE)
def test_transition_table(state, transition, who, expected):
    application = AcceptanceApplicationFactory(state=state)
    actor = ReviewerFactory() if who == "reviewer" else member_of(application.enterprise)
    application = AcceptanceApplication.objects.get(pk=application.pk)
    try:
        check_transition(application, transition, actor)
    except TransitionRefused as refusal:
        outcome = str(refusal.reason)
    else:
        outcome = "ok"
    assert outcome == expected
