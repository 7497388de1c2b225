from django.db.models import Count
from django.shortcuts import redirect, render

from ..access import grant_access, logged_in
from ..dashboards import (
    ENTERPRISE_PANELS,
    GOVERNMENT_PANELS,
    OPERATOR_QUEUES,
    REVIEWER_QUEUES,
    render_panels,
)
from ..models import Role, Stage
from ..permissions import enterprises_visible_to, notifications_visible_to, own_enterprise
from ..stages import next_action, stage_tracker


@grant_access(logged_in)
def dashboard(request):
    """Each role lands on its own dashboard."""
    user = request.user
    if user.is_operator and user.role != Role.REVIEWER:
        return operator_dashboard(request)
    if user.role == Role.REVIEWER:
        return reviewer_dashboard(request)
    if user.role == Role.GOVERNMENT:
        return government_dashboard(request)
    if user.role == Role.PANEL:
        return render(request, "portal/dashboard_panel.html", _inbox(user))
    return enterprise_dashboard(request)


def _inbox(user):
    return {"recent_notifications": notifications_visible_to(user)[:5]}


def enterprise_dashboard(request):
    enterprise = own_enterprise(request.user)
    context = {"enterprise": enterprise, **_inbox(request.user)}
    if enterprise is not None:
        context["tracker"] = stage_tracker(enterprise)
        context["next_action"] = next_action(enterprise)
        context["enterprise_panels"] = render_panels(ENTERPRISE_PANELS, request.user, enterprise)
    return render(request, "portal/dashboard_enterprise.html", context)


def reviewer_dashboard(request):
    queues = [(queue, queue.count()) for queue in REVIEWER_QUEUES if queue.shown_to(request.user)]
    return render(
        request, "portal/dashboard_reviewer.html", {"queues": queues, **_inbox(request.user)}
    )


def government_dashboard(request):
    enterprises = enterprises_visible_to(request.user)
    counts = dict(enterprises.values_list("stage").annotate(n=Count("pk")))
    per_stage = [(stage, counts.get(stage.value, 0)) for stage in Stage]
    return render(
        request,
        "portal/dashboard_government.html",
        {
            "per_stage": per_stage,
            "chart": {
                "labels": [str(stage.label) for stage in Stage],
                "values": [n for _, n in per_stage],
            },
            "total": sum(counts.values()),
            "government_panels": render_panels(GOVERNMENT_PANELS, request.user),
            **_inbox(request.user),
        },
    )


def operator_dashboard(request):
    from ..models import Enterprise, User

    by_role = dict(User.objects.values_list("role").annotate(n=Count("pk")))
    context = {
        "user_counts": [(label, by_role.get(value, 0)) for value, label in Role.choices],
        "enterprise_count": Enterprise.objects.count(),
        "queues": [
            (queue, queue.count()) for queue in OPERATOR_QUEUES if queue.shown_to(request.user)
        ],
        **_inbox(request.user),
    }
    return render(request, "portal/dashboard_operator.html", context)


@grant_access(logged_in)
def dashboard_redirect(request):
    return redirect("dashboard")
