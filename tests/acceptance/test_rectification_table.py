"""The rectification notice's transitions as a table: state × transition × who → result."""

from datetime import timedelta

import pytest
from django.utils import timezone

from acceptance.choices import NoticeState
from acceptance.models import RectificationNotice
from portal.workflow import TransitionRefused, check_transition

from ..portal.factories import EnterpriseFactory, ReviewerFactory, member_of

pytestmark = pytest.mark.django_db

S = NoticeState
PAST, FUTURE = -1, 30
TABLE = [
    # (state, acknowledged, deadline offset, transition, who, expected)
    (S.ISSUED, False, FUTURE, "acknowledge", "member", "ok"),
    (S.ISSUED, False, FUTURE, "acknowledge", "reviewer", "not_permitted"),
    (S.ISSUED, False, FUTURE, "acknowledge", "outsider", "not_permitted"),
    (S.ISSUED, False, FUTURE, "report", "member", "wrong_state"),
    (S.ISSUED, False, FUTURE, "escalate", "system", "condition_unmet"),
    (S.ISSUED, False, PAST, "escalate", "system", "ok"),
    (S.ACKNOWLEDGED, True, FUTURE, "acknowledge", "member", "wrong_state"),
    (S.ACKNOWLEDGED, True, FUTURE, "report", "member", "ok"),
    (S.ACKNOWLEDGED, True, FUTURE, "report", "outsider", "not_permitted"),
    (S.ACKNOWLEDGED, True, FUTURE, "close", "reviewer", "wrong_state"),
    (S.ACKNOWLEDGED, True, PAST, "escalate", "system", "ok"),
    (S.REPORTED, True, FUTURE, "close", "reviewer", "ok"),
    (S.REPORTED, True, FUTURE, "close", "member", "not_permitted"),
    (S.REPORTED, True, FUTURE, "send_back", "reviewer", "ok"),
    (S.REPORTED, True, FUTURE, "report", "member", "wrong_state"),
    (S.REPORTED, True, PAST, "escalate", "system", "wrong_state"),
    (S.ESCALATED, False, PAST, "acknowledge", "member", "ok"),
    (S.ESCALATED, True, PAST, "acknowledge", "member", "condition_unmet"),
    (S.ESCALATED, False, PAST, "report", "member", "condition_unmet"),
    (S.ESCALATED, True, PAST, "report", "member", "ok"),
    (S.ESCALATED, True, PAST, "escalate", "system", "wrong_state"),
    (S.CLOSED, True, FUTURE, "report", "member", "wrong_state"),
    (S.CLOSED, True, FUTURE, "close", "reviewer", "wrong_state"),
    (S.CLOSED, True, PAST, "escalate", "system", "wrong_state"),
]


@pytest.mark.parametrize(
    ("state", "acknowledged", "offset", "transition", "who", "expected"), TABLE
)
def test_transition_table(state, acknowledged, offset, transition, who, expected):
    enterprise = EnterpriseFactory()
    now = timezone.now()
    notice = RectificationNotice.objects.create(
        enterprise=enterprise,
        occasion="annual_audit",
        audit_year=2026,
        occasion_date=timezone.localdate(),
        situations={"2": "中断"},
        consequence="年度审核定为不通过等级",
        deadline=timezone.localdate() + timedelta(days=offset),
        acknowledged_at=now if acknowledged else None,
        escalated_at=now if state == S.ESCALATED else None,
    )
    RectificationNotice.objects.filter(pk=notice.pk).update(state=state)
    notice = RectificationNotice.objects.get(pk=notice.pk)
    actor = {
        "member": lambda: member_of(enterprise),
        "outsider": lambda: member_of(EnterpriseFactory()),
        "reviewer": ReviewerFactory,
        "system": lambda: None,
    }[who]()
    try:
        check_transition(notice, transition, actor)
    except TransitionRefused as refusal:
        outcome = str(refusal.reason)
    else:
        outcome = "ok"
    assert outcome == expected
