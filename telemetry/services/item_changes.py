"""Saving a data item, and the changes that wait for a reviewer during a trial.

``save_item_change`` is the one way the page form, the items API and the file import save
an item. Outside a stable-upload trial every change applies at once (and a revision is
written when a slot-relevant field changes). While the enterprise's connection is
TRIAL_RUNNING, adding an item, activating or deactivating it, or changing its statType,
interval or band (SLOT_FIELDS) does not apply: an ``ItemChangeRequest`` records the
proposed values, the day from which they should count and the reason, and the reviewers
are told. The other fields (name, instrument, device, ...) apply at once as always. A new
item is stored inactive until its addition is approved.

A reviewer approves (``approve_change``: effective from the stated day, or from the day of
approval if that has passed; applied at once when due, else by ``apply_due_changes``, run
by Celery beat) or rejects with a reason (``reject_change``). Applying writes the item (so
``updated_at`` moves and the upload path's cache sees it) and a revision from
``effective_on``, which is what the trial counts expected slots from.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from portal.models import AuditEvent
from portal.notifications import enterprise_users, notify, reviewers, tell
from portal.sentences import Sentence
from portal.workflow import run_transition

from ..models import (
    OPEN_STATUSES_VALUES,
    ChangeKind,
    ChangeStatus,
    Connection,
    ConnectionState,
    DataItem,
    ItemChangeRequest,
)
from .registry import require_editor


@dataclass(frozen=True)
class Saved:
    item: DataItem
    created: bool
    request: ItemChangeRequest | None = None  # set when the change waits for a reviewer


def trial_running(enterprise) -> bool:
    return Connection.objects.filter(
        enterprise=enterprise, state=ConnectionState.TRIAL_RUNNING
    ).exists()


def check_terms(effective_on: date | None, reason: str) -> date:
    """The day and reason a change during a trial needs; raises ValidationError."""
    today = timezone.localdate()
    if not (reason or "").strip():
        raise ValidationError({"reason": _("试运行期间修改采集项需经审核，请填写变更原因。")})
    effective_on = effective_on or today
    if effective_on < today:
        raise ValidationError({"effective_on": _("生效日期不能早于今天（北京时间）。")})
    return effective_on


def _kind(creating: bool, before: dict | None, proposed: dict) -> str:
    if creating:
        return ChangeKind.ADD
    if before["is_active"] != proposed["is_active"]:
        return ChangeKind.ACTIVATE if proposed["is_active"] else ChangeKind.DEACTIVATE
    return ChangeKind.CHANGE


def _plain(values: dict) -> dict:
    return {k: (str(v.normalize()) if hasattr(v, "normalize") else v) for k, v in values.items()}


def save_item_change(
    actor, enterprise, form, *, effective_on=None, reason="", tell_reviewers=True, record=True
) -> Saved:
    """Save a valid DataItemForm, or, during a trial, ask for the slot-relevant part.

    Raises ValidationError (field ``reason`` or ``effective_on``, or ``__all__`` when the
    item already has an open request) when a change during a trial cannot be asked for.
    ``tell_reviewers``/``record``: the file import tells once and records one event.
    """
    require_editor(actor, enterprise)
    with transaction.atomic():
        creating = form.instance.pk is None
        stored = None if creating else DataItem.objects.select_for_update().get(pk=form.instance.pk)
        item = form.save(commit=False)
        proposed = item.slot_values()
        before = stored.slot_values() if stored is not None else None
        changes_slots = proposed["is_active"] if creating else proposed != before
        if not (changes_slots and trial_running(enterprise)):
            if stored is not None and proposed != before and _has_open_request(item):
                raise ValidationError(_open_request_message())
            item.save(revision={"made_by": actor, "reason": reason})
            if record:
                _record_saved(item, actor, creating, form)
            return Saved(item, creating)

        effective_on = check_terms(effective_on, reason)
        if not creating and _has_open_request(item):
            raise ValidationError(_open_request_message())
        held = {"is_active": False} if creating else before
        for name, value in held.items():
            setattr(item, name, value)
        item.save(revision={"made_by": actor, "reason": reason.strip()})
        if record:
            _record_saved(item, actor, creating, form)
        request = ItemChangeRequest.objects.create(
            enterprise=enterprise,
            item=item,
            kind=_kind(creating, before, proposed),
            before=_plain(before or {}),
            requested_on=effective_on,
            effective_on=effective_on,
            reason=reason.strip(),
            requested_by=actor,
            **proposed,
        )
        event = AuditEvent.record(
            request,
            actor,
            "item_change_requested",
            to_state=request.status,
            comment=request.reason,
            context={"data_code": item.data_code, "kind": request.kind, **_plain(proposed)},
        )
        if tell_reviewers:
            notify(
                reviewers(),
                Sentence(
                    gettext_noop("%(e)s 申请变更数据采集项 %(c)s，待审核"),
                    e=enterprise.name,
                    c=item.data_code,
                ),
                body=request.reason,
                link=reverse("telemetry:item_change_detail", args=[request.pk]),
                event=event,
            )
    return Saved(item, creating, request)


def save_item(actor, enterprise, form, **terms) -> DataItem:
    """``save_item_change`` for callers that only want the item (the demo)."""
    return save_item_change(actor, enterprise, form, **terms).item


def tell_reviewers_of_import(enterprise, pending: int, event) -> None:
    notify(
        reviewers(),
        Sentence(
            gettext_noop("%(e)s 导入的采集项清单中有 %(n)d 项变更待审核"),
            e=enterprise.name,
            n=pending,
        ),
        link=reverse("telemetry:item_change_list") + f"?enterprise={enterprise.pk}",
        event=event,
    )


def _has_open_request(item) -> bool:
    return (
        item.pk is not None
        and ItemChangeRequest.objects.filter(item=item, status__in=OPEN_STATUSES_VALUES).exists()
    )


def _open_request_message() -> str:
    return _(
        "该采集项已有待审核或待生效的变更申请，请等审核结束后再修改统计类型、间隔、合理值范围或启用状态。"
    )


def _record_saved(item, actor, creating, form) -> None:
    AuditEvent.record(
        item,
        actor,
        "item_registered" if creating else "item_updated",
        context={"data_code": item.data_code, "fields": list(form.changed_data)},
    )


def _tell_enterprise(title, body):
    return tell(
        lambda r: enterprise_users(r.enterprise),
        title,
        lambda r: reverse("telemetry:item_change_detail", args=[r.pk]),
        body=body,
    )


def _approved_body(r) -> Sentence:
    return Sentence(
        gettext_noop("%(c)s（%(k)s）自 %(d)s 起生效。%(n)s"),
        c=r.item.data_code,
        k=ChangeKind(r.kind).label,
        d=str(r.effective_on),
        n=r.decision_comment,
    )


def _rejected_body(r) -> Sentence:
    return Sentence(
        gettext_noop("%(c)s（%(k)s）未获批准：%(n)s"),
        c=r.item.data_code,
        k=ChangeKind(r.kind).label,
        n=r.decision_comment,
    )


def approve_change(actor, request: ItemChangeRequest, comment: str = "") -> ItemChangeRequest:
    """A staff reviewer approves; applied at once when its day has come (else by
    ``apply_due_changes``). TransitionRefused when the actor is not staff or the request is
    no longer pending."""
    with transaction.atomic():
        outcome = run_transition(
            request,
            "approve",
            actor,
            event="item_change_approved",
            comment=comment,
            notify=_tell_enterprise(Sentence(gettext_noop("数据采集项变更已批准")), _approved_body),
            note=comment,
        )
        approved = outcome.obj
        if approved.effective_on <= timezone.localdate():
            approved = apply_change(approved)
    return approved


def reject_change(actor, request: ItemChangeRequest, comment: str) -> ItemChangeRequest:
    """A staff reviewer refuses with a reason (required); the item stays as registered."""
    return run_transition(
        request,
        "reject",
        actor,
        event="item_change_rejected",
        comment=comment,
        require_comment=True,
        notify=_tell_enterprise(Sentence(gettext_noop("数据采集项变更未获批准")), _rejected_body),
        note=comment,
    ).obj


def apply_change(request: ItemChangeRequest) -> ItemChangeRequest:
    """Give the item the approved values and write its revision from ``effective_on``."""
    with transaction.atomic():
        applied = run_transition(
            request,
            "apply",
            None,
            event="item_change_applied",
            context={"effective_on": request.effective_on.isoformat()},
        ).obj
        item = DataItem.objects.select_for_update().get(pk=applied.item_id)
        for name, value in applied.proposed().items():
            setattr(item, name, value)
        item.save(
            revision={
                "valid_from": applied.effective_on,
                "made_by": applied.requested_by,
                "approved_by": applied.decided_by,
                "reason": applied.reason,
                "request": applied,
            }
        )
    return applied


def apply_due_changes() -> int:
    """Apply every approved change whose day has come (Celery beat); returns how many."""
    due = ItemChangeRequest.objects.filter(
        status=ChangeStatus.APPROVED, effective_on__lte=timezone.localdate()
    ).order_by("effective_on", "pk")
    applied = 0
    for request in due:
        apply_change(request)
        applied += 1
    return applied


def pending_count() -> int:
    """The reviewers' work queue: requests waiting for a decision (one COUNT)."""
    return ItemChangeRequest.objects.filter(status=ChangeStatus.PENDING).count()
