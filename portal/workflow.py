"""The one way a state changes: lock, check, transition, save, record, notify after commit.

Every FSM field is protected, so nothing else can write a state. Views, the API, admin
actions and Celery tasks all call `run_transition`.
"""

from dataclasses import dataclass
from enum import StrEnum

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from .models import AuditEvent


class RefusalReason(StrEnum):
    WRONG_STATE = "wrong_state"
    CONDITION_UNMET = "condition_unmet"
    NOT_PERMITTED = "not_permitted"
    COMMENT_REQUIRED = "comment_required"


REFUSAL_MESSAGES = {
    RefusalReason.WRONG_STATE: _("当前状态为“%(state)s”，不能执行此操作。"),
    RefusalReason.CONDITION_UNMET: _("条件未满足：%(detail)s"),
    RefusalReason.NOT_PERMITTED: _("您没有执行此操作的权限。"),
    RefusalReason.COMMENT_REQUIRED: _("请填写意见或理由。"),
}


class TransitionRefused(Exception):
    """A transition that may not run now; `message` is for the person who asked."""

    def __init__(self, reason: RefusalReason, *, field: str = "state", **params):
        self.reason = reason
        self.field = field
        self.message = str(REFUSAL_MESSAGES[reason]) % params
        super().__init__(self.message)

    def as_dict(self) -> dict:
        return {"field": self.field, "reason": self.message, "code": str(self.reason)}


@dataclass(frozen=True)
class Outcome:
    obj: object
    event: AuditEvent


def condition(message):
    """Mark a guard with the message shown when it fails."""

    def wrap(func):
        func.refusal = message
        return func

    return wrap


def _fsm_field_name(step) -> str:
    field = step._django_fsm.field
    return field if isinstance(field, str) else field.name


def check_transition(obj, name: str, actor) -> None:
    """Raise TransitionRefused saying which rule stops `actor` from running `name` on obj."""
    step = getattr(obj, name)
    meta = step._django_fsm
    field = obj._meta.get_field(_fsm_field_name(step))
    state = getattr(obj, field.attname)
    transition_ = meta.get_transition(state)
    if transition_ is None:
        label = dict(field.flatchoices).get(state, state)
        raise TransitionRefused(RefusalReason.WRONG_STATE, state=label)
    if not transition_.has_perm(obj, actor):
        raise TransitionRefused(RefusalReason.NOT_PERMITTED)
    for guard in transition_.conditions:
        if not guard(obj):
            detail = getattr(guard, "refusal", guard.__doc__ or guard.__name__)
            raise TransitionRefused(
                RefusalReason.CONDITION_UNMET,
                field=getattr(guard, "field", "state"),
                detail=str(detail),
            )


def run_transition(
    obj,
    name: str,
    actor,
    *,
    event: str,
    comment: str = "",
    require_comment: bool = False,
    context: dict | None = None,
    notify=None,
    **data,
) -> Outcome:
    """Fire transition `name` on a freshly locked copy of obj and record it.

    `notify(obj, event)` is called inside the transaction: build it with
    `portal.notifications.tell`, whose inbox rows roll back with the change and whose
    e-mails are queued for after the commit, so nobody is told about a change that was
    rolled back.
    Two people acting at once queue on the row lock; the second sees the new state and is
    refused with WRONG_STATE.
    """
    if require_comment and not comment.strip():
        raise TransitionRefused(RefusalReason.COMMENT_REQUIRED, field="comment")
    with transaction.atomic():
        locked = type(obj).objects.select_for_update().get(pk=obj.pk)
        check_transition(locked, name, actor)
        step = getattr(locked, name)
        field = locked._meta.get_field(_fsm_field_name(step))
        before = getattr(locked, field.attname)
        step(actor=actor, **data)
        locked.save()
        recorded = AuditEvent.record(
            locked,
            actor,
            event,
            from_state=before,
            to_state=getattr(locked, field.attname),
            comment=comment,
            context=context,
        )
        if notify is not None:
            notify(locked, recorded)
    return Outcome(locked, recorded)


def available_transitions(obj, actor, field_name: str) -> list[str]:
    """Names of the transitions `actor` could run now (for buttons)."""
    method = getattr(obj, f"get_available_user_{field_name}_transitions")
    return [t.name for t in method(actor)]
