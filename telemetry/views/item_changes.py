"""Pages for data-item changes asked for during a stable-upload trial (thin views).

The enterprise sees its own requests; reviewers see the province's (the pending ones
first) and approve or reject them; government viewers read their region's. Objects come
through ``item_changes_visible_to``, so an outsider gets 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal.access import enterprise_user, government, grant_access, reviewer
from portal.roles import is_staff_reviewer
from portal.views.outcomes import attempt

from ..forms import ChangeDecisionForm
from ..models import ChangeStatus, IntervalChoice, StatTypeChoice
from ..permissions import item_changes_visible_to
from ..services.item_changes import approve_change, reject_change

READERS = (enterprise_user, reviewer, government)


@grant_access(*READERS)
def item_change_list(request):
    status = request.GET.get("status")
    if status is None and is_staff_reviewer(request.user):
        status = ChangeStatus.PENDING  # the reviewer's work queue
    changes = item_changes_visible_to(request.user).order_by("effective_on", "-requested_at")
    if status in ChangeStatus.values:
        changes = changes.filter(status=status)
    else:
        status = ""
    enterprise = request.GET.get("enterprise", "")
    if enterprise.isdigit():
        changes = changes.filter(enterprise_id=enterprise)
    page = Paginator(changes, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "telemetry/item_changes/list.html",
        {
            "page": page,
            "status": status,
            "statuses": ChangeStatus.choices,
            "enterprise_filter": enterprise if enterprise.isdigit() else "",
        },
    )


@grant_access(*READERS)
def item_change_detail(request, pk):
    change = get_object_or_404(
        item_changes_visible_to(request.user).select_related("decided_by"), pk=pk
    )
    can_decide = is_staff_reviewer(request.user) and change.status == ChangeStatus.PENDING
    return render(
        request,
        "telemetry/item_changes/detail.html",
        {
            "change": change,
            "enterprise": change.enterprise,
            "rows": _comparison_rows(change),
            "form": ChangeDecisionForm() if can_decide else None,
        },
    )


def _number(value, infinite: str) -> str:
    if value is None:
        return infinite
    return str(value.normalize()) if hasattr(value, "normalize") else str(value)


def _in_words(values: dict) -> dict:
    if not values:
        return {}
    stat, interval = values.get("stat_type"), values.get("interval_minutes")
    low = _number(values.get("value_min"), "−∞")
    high = _number(values.get("value_max"), "+∞")
    return {
        "stat": str(StatTypeChoice(int(stat)).label) if stat is not None else "—",
        "interval": str(IntervalChoice(int(interval)).label) if interval else "—",
        "band": f"[{low}, {high}]",
        "active": _("启用") if values.get("is_active") else _("停用"),
    }


def _comparison_rows(change) -> list[tuple]:
    """(label, before, proposed, changed) for the slot-relevant fields, in words."""
    before, after = _in_words(change.before), _in_words(change.proposed())
    labels = {
        "stat": _("统计类型（statType）"),
        "interval": _("实时采集间隔"),
        "band": _("合理值范围"),
        "active": _("状态"),
    }
    return [
        (label, before.get(key, "—"), after[key], before.get(key, "—") != after[key])
        for key, label in labels.items()
    ]


def _decide(request, pk, service, success_message=None):
    change = get_object_or_404(item_changes_visible_to(request.user), pk=pk)
    form = ChangeDecisionForm(request.POST)
    comment = form.cleaned_data["comment"] if form.is_valid() else ""
    done = attempt(request, lambda: service(request.user, change, comment), success_message)
    return change, done


@require_POST
@grant_access(reviewer)
def item_change_approve(request, pk):
    change, done = _decide(request, pk, approve_change)
    if done is not None:
        message = (
            _("已批准，变更已于 %(d)s 生效。")
            if done.status == ChangeStatus.APPLIED
            else _("已批准，变更将于 %(d)s 生效。")
        )
        messages.success(request, message % {"d": done.effective_on})
    return redirect("telemetry:item_change_detail", pk=change.pk)


@require_POST
@grant_access(reviewer)
def item_change_reject(request, pk):
    change, _done = _decide(request, pk, reject_change, _("已驳回该变更申请，并通知企业。"))
    return redirect("telemetry:item_change_detail", pk=change.pk)
