"""能耗数据分析 pages: the energy values an enterprise's devices sent (thin views).

Members see their own enterprise; reviewers the province's and government viewers their
region's enterprises, through portal.permissions' scopers (anyone else gets 404). The
figures come from telemetry.analysis (grouped SQL) and telemetry.overview.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.shortcuts import redirect, render
from django.utils import timezone

from portal.access import enterprise_user, government, grant_access, reviewer
from portal.permissions import enterprises_visible_to, get_enterprise_or_404, own_enterprise

from .. import analysis, overview
from ..forms import AnalysisForm
from ..models import DataItem
from .registry import enterprise_page

READERS = (enterprise_user, reviewer, government)


@grant_access(*READERS)
def analysis_home(request):
    """Members go to their enterprise; reviewers and viewers pick one of theirs."""
    enterprise = own_enterprise(request.user)
    if enterprise is not None:
        return redirect("telemetry:enterprise_analysis", pk=enterprise.pk)
    enterprises = (
        enterprises_visible_to(request.user)
        .filter(connection__isnull=False)
        .select_related("connection")
        .order_by("region", "name")
    )
    page, query = enterprise_page(request, enterprises)
    return render(request, "telemetry/analysis/home.html", {"page": page, "q": query})


@grant_access(*READERS)
def enterprise_analysis(request, pk):
    enterprise = get_enterprise_or_404(request.user, pk)
    items_qs = (
        DataItem.objects.filter(enterprise=enterprise)
        .select_related("energy_type")
        .order_by("-is_active", "data_code")
    )
    items = list(items_qs)
    form = AnalysisForm(request.GET, items=items_qs, default_item=items[0].pk if items else None)
    context = {"enterprise": enterprise, "form": form, "items": items}
    if items and form.is_valid():
        data = form.cleaned_data
        period = analysis.Period(data["start"], data["end"], data["step"])
        item = next(i for i in items if i.pk == data["item"].pk)
        series = analysis.item_series(item, period)
        context.update(
            item=item,
            period=period,
            series=series,
            chart=analysis.chart_data(item, series),
            totals=analysis.energy_totals(items, period),
            totals_by_month=period.step == analysis.MONTH,
        )
    days = settings.TELEMETRY_ANALYSIS_COMPLETENESS_DAYS
    context["completeness"] = overview.item_completeness(
        enterprise, days=days, today=timezone.localdate() - timedelta(days=1)
    )
    context["completeness_days"] = days
    context["longest"] = {
        step: AnalysisForm.longest(step) for step in (analysis.SLOT, analysis.DAY, analysis.MONTH)
    }
    return render(request, "telemetry/analysis/enterprise.html", context)
