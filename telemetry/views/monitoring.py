"""Monitoring pages: the enterprise's upload health, the reviewer's trial board, the region.

Thin views: every object comes through a scoper or fetcher of ``portal.permissions`` (an
outsider gets 404), the figures come from ``telemetry.overview`` and ``telemetry.gaps``,
and actions call one service. Live parts are HTMX fragments polled every 30 seconds.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal.access import enterprise_user, government, grant_access, logged_in, reviewer
from portal.models import Region
from portal.permissions import enterprises_visible_to, get_enterprise_or_404, own_enterprise
from portal.roles import is_staff_reviewer
from portal.sorting import headers
from portal.views.outcomes import attempt

from .. import gaps as gap_list
from .. import overview, refusals
from ..forms import MonthlyFilingForm, OutageNoticeForm, RestartTrialForm, StopTrialForm
from ..models import (
    ConnectionState,
    EndDevice,
    MonthlyFiling,
    OutageNotice,
    TrialStatus,
)
from ..permissions import (
    can_restart_trial,
    connections_visible_to,
    outage_notices_visible_to,
    trial_runs_visible_to,
)
from ..services.filing import file_month, manual_monthly_items, report_outage, resolve_outage
from ..services.trial import percent, restart_trial, trial_days
from ..services.trial_items import day_chart, item_figures
from ..services.trial_review import stop_trial
from ..services.trial_rules import day_rows, rules_in_words

LIVE_STATES = {ConnectionState.TRIAL_RUNNING, ConnectionState.INTEGRATION_TESTING}


@grant_access(enterprise_user)
def my_monitoring(request):
    enterprise = own_enterprise(request.user)
    if enterprise is None:
        raise Http404
    return redirect("telemetry:enterprise_monitoring", enterprise.pk)


@grant_access(logged_in)
def enterprise_monitoring(request, pk):
    enterprise = get_enterprise_or_404(request.user, pk)
    window = gap_list.recent_window(7)
    context = {
        **overview.trial_summary(enterprise),
        **_live_lists(enterprise),
        "chart": overview.item_completeness(enterprise),
        "gaps": gap_list.find_gaps(enterprise.data_items.all(), window),
        "window": window,
        "outages": OutageNotice.objects.filter(enterprise=enterprise, resolved_at=None)
        .select_related("device")
        .order_by("-starts_at"),
        "is_reviewer": is_staff_reviewer(request.user),
        "refusals": refusals.recent(enterprise),
        "refusal_days": settings.TELEMETRY_REFUSALS_SHOWN_DAYS,
        "has_certificate": refusals.has_usable_certificate(enterprise),
    }
    return render(request, "telemetry/monitoring/enterprise.html", context)


def _live_lists(enterprise) -> dict:
    return {
        "batches": overview.recent_batches(enterprise),
        "alarms": overview.recent_alarms(enterprise),
    }


@grant_access(logged_in)
def monitoring_live(request, pk):
    """HTMX fragment: the trial progress, recent receipts and alarms."""
    enterprise = get_enterprise_or_404(request.user, pk)
    context = {**overview.trial_summary(enterprise), **_live_lists(enterprise)}
    return render(request, "telemetry/monitoring/_live.html", context)


@grant_access(logged_in)
def enterprise_gaps(request, pk):
    enterprise = get_enterprise_or_404(request.user, pk)
    error = None
    if "from" in request.GET or "to" in request.GET:
        try:
            window = gap_list.parse_window(request.GET.get("from"), request.GET.get("to"))
        except gap_list.WindowError as exc:
            error, window = exc.reason, gap_list.recent_window(7)
    else:
        window = gap_list.recent_window(7)
    context = {
        "enterprise": enterprise,
        "window": window,
        "gaps": gap_list.find_gaps(enterprise.data_items.all(), window),
        "error": error,
        "query": {"from": request.GET.get("from", ""), "to": request.GET.get("to", "")},
    }
    return render(request, "telemetry/monitoring/gaps.html", context)


@grant_access(reviewer)
def trial_board(request):
    connections = connections_visible_to(request.user)
    region = request.GET.get("region", "")
    if region in Region.values:
        connections = connections.filter(enterprise__region=region)
    else:
        region = ""
    query = request.GET.get("q", "").strip()
    if query:
        connections = connections.filter(
            Q(enterprise__name__icontains=query) | Q(enterprise__uscc__icontains=query)
        )
    rows, sort = overview.trial_board(connections, request.GET.get("sort", "-rate"))
    status = request.GET.get("status", "")
    if status:
        rows = rows.filter(status=status)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    template = (
        "telemetry/monitoring/_board_table.html"
        if request.headers.get("HX-Request")
        else "telemetry/monitoring/board.html"
    )
    return render(
        request,
        template,
        {
            "page": page,
            "sort": sort,
            "status": status,
            "region": region,
            "regions": Region.choices,
            "q": query,
            "headers": headers(request, overview.BOARD_COLUMNS, sort),
            "trial_days": trial_days(),
            "flag_days": settings.TELEMETRY_TRIAL_FLAG_DAYS,
        },
    )


@grant_access(logged_in)
def trial_detail(request, pk):
    run = get_object_or_404(trial_runs_visible_to(request.user), pk=pk)
    can_restart = can_restart_trial(request.user, run.connection)
    window, items = item_figures(run, timezone.localdate())
    return render(
        request,
        "telemetry/monitoring/trial_detail.html",
        {
            "run": run,
            "connection": run.connection,
            "enterprise": run.connection.enterprise,
            "rate": percent(run.success_rate),
            "form": RestartTrialForm() if can_restart else None,
            "stop_form": StopTrialForm()
            if can_restart and run.status == TrialStatus.RUNNING
            else None,
            "history": run.connection.trial_runs.order_by("-number"),
            "rules": rules_in_words(),
            "day_rows": day_rows(run),
            "flag_days": settings.TELEMETRY_TRIAL_FLAG_DAYS,
            "item_window": window,
            "item_rows": items,
            "day_chart": day_chart(run),
            "on_time_rate": percent(run.on_time_rate),
        },
    )


@require_POST
@grant_access(reviewer)
def restart_trial_view(request, pk):
    connection = get_object_or_404(connections_visible_to(request.user), pk=pk)
    form = RestartTrialForm(request.POST)
    if not form.is_valid():
        return _refused_form(request, form, connection)
    run = attempt(
        request,
        lambda: restart_trial(
            connection,
            request.user,
            start=form.cleaned_data["start"],
            comment=form.cleaned_data["comment"],
        ),
    )
    if run is None:
        return redirect(_back_to(connection))
    messages.success(
        request, _("已重新开始稳定上传试运行，自 %(start)s 起计。") % {"start": run.started_on}
    )
    return redirect("telemetry:trial_detail", run.pk)


@require_POST
@grant_access(reviewer)
def stop_trial_view(request, pk):
    connection = get_object_or_404(connections_visible_to(request.user), pk=pk)
    form = StopTrialForm(request.POST)
    if not form.is_valid():
        return _refused_form(request, form, connection)
    run = attempt(
        request, lambda: stop_trial(connection, request.user, comment=form.cleaned_data["comment"])
    )
    if run is not None:
        messages.success(request, _("已停止稳定上传试运行。"))
    return redirect(_back_to(connection))


def _refused_form(request, form, connection):
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)
    return redirect(_back_to(connection))


def _back_to(connection):
    run = overview.current_run(connection)
    if run is not None:
        return reverse("telemetry:trial_detail", args=[run.pk])
    return "telemetry:trial_board"


@grant_access(government, reviewer)
def region_health(request):
    enterprises = enterprises_visible_to(request.user).filter(connection__isnull=False)
    region = request.GET.get("region", "")
    if region and is_staff_reviewer(request.user):
        enterprises = enterprises.filter(region=region)
    rows = overview.region_health(enterprises)
    return render(
        request,
        "telemetry/monitoring/region.html",
        {
            "rows": rows,
            "summary": overview.region_summary(rows),
            "chart": {
                "labels": [r["enterprise"].name for r in rows],
                # None (no bar) for an enterprise that owed nothing yet, never a false 0.
                "values": [r["completeness"] for r in rows],
                "label": _("昨日数据完整率（%）"),
            },
            "yesterday": timezone.localdate() - timedelta(days=1),
        },
    )


@grant_access(enterprise_user)
def filing_list(request):
    enterprise = own_enterprise(request.user)
    if enterprise is None:
        raise Http404
    items = manual_monthly_items(enterprise)
    form = MonthlyFilingForm(request.POST or None, items=items)
    if request.method == "POST" and form.is_valid():
        filing = file_month(
            enterprise,
            request.user,
            form.cleaned_data["month"],
            form.values(),
            form.cleaned_data["remarks"],
        )
        messages.success(request, _("%(month)s 月报已填报。") % {"month": f"{filing.month:%Y-%m}"})
        return redirect("telemetry:filing_list")
    filings = MonthlyFiling.objects.filter(enterprise=enterprise).select_related("filed_by")
    return render(
        request,
        "telemetry/monitoring/filings.html",
        {"form": form, "filings": filings[:24], "items": items, "enterprise": enterprise},
    )


@grant_access(enterprise_user)
def outage_list(request):
    enterprise = own_enterprise(request.user)
    if enterprise is None:
        raise Http404
    devices = EndDevice.objects.filter(enterprise=enterprise, is_active=True)
    form = OutageNoticeForm(request.POST or None, devices=devices)
    if request.method == "POST" and form.is_valid():
        report_outage(enterprise, request.user, **form.cleaned_data)
        messages.success(request, _("停运报备已提交。"))
        return redirect("telemetry:outage_list")
    notices = OutageNotice.objects.filter(enterprise=enterprise).select_related("device")
    return render(
        request,
        "telemetry/monitoring/outages.html",
        {"form": form, "notices": notices[:50], "enterprise": enterprise},
    )


@require_POST
@grant_access(enterprise_user)
def outage_resolve(request, pk):
    notice = get_object_or_404(outage_notices_visible_to(request.user), pk=pk)
    resolve_outage(notice, request.user)
    messages.success(request, _("已标记恢复。"))
    return redirect("telemetry:outage_list")
