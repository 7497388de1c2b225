"""Historical energy data pages (表1 材料 10): upload, result, energy structure (thin views).

Members of the enterprise upload; reviewers and the region's government viewers read. Every
enterprise and import is fetched through the portal's scopers, so an outsider gets 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from portal.access import enterprise_user, government, grant_access, reviewer
from portal.permissions import get_enterprise_or_404

from ..forms import HistoryImportForm
from ..models import HistoricalEnergyImport
from ..permissions import can_import_energy_history, energy_imports_visible_to
from ..services import energy_history
from ..services.importexport import ImportRefused

READERS = (enterprise_user, reviewer, government)


def _charts(view: energy_history.StructureView | None) -> dict:
    if view is None:
        return {}
    totals = energy_history.monthly_totals(view.source)
    return {
        "structure_chart": {
            "labels": [f"{s['name']}（{s['code']}）" for s in view.structure.shares],
            "values": [float(s["share"]) for s in view.structure.shares],
        },
        "monthly_chart": {
            "labels": [f"{month:%Y-%m}" for month, _total in totals],
            "values": [float(total) for _month, total in totals],
            "label": _("综合能耗（tce）"),
        },
    }


@grant_access(*READERS)
def history_page(request, enterprise_pk):
    """The current energy structure, the import history and (for members) the upload form."""
    enterprise = get_enterprise_or_404(request.user, enterprise_pk)
    can_import = can_import_energy_history(request.user, enterprise)
    form = HistoryImportForm(request.POST or None, request.FILES or None) if can_import else None
    errors = []
    if request.method == "POST" and form is not None and form.is_valid():
        try:
            imported = energy_history.import_history(
                request.user, enterprise, form.cleaned_data["file"]
            )
        except ImportRefused as refused:
            errors = refused.errors
        else:
            messages.success(
                request,
                _("已导入 %(n)d 行历史能耗数据（%(first)s 至 %(last)s）。")
                % {
                    "n": imported.row_count,
                    "first": f"{imported.first_month:%Y-%m}",
                    "last": f"{imported.last_month:%Y-%m}",
                },
            )
            return redirect("telemetry:history_import", imported.pk)
    view = energy_history.structure_for(enterprise)
    last_allowed, connected = energy_history.history_cutoff(enterprise)
    context = {
        "enterprise": enterprise,
        "form": form,
        "errors": errors,
        "view": view,
        "imports": HistoricalEnergyImport.objects.filter(enterprise=enterprise).select_related(
            "uploaded_by"
        )[:20],
        "last_allowed": last_allowed,
        "connected": connected,
        "first_allowed": energy_history.FIRST_MONTH,
        **_charts(view),
    }
    return render(request, "telemetry/history/page.html", context, status=400 if errors else 200)


@grant_access(*READERS)
def history_import(request, pk):
    """One import: its figures, structure and records (month x energy type)."""
    imported = get_object_or_404(energy_imports_visible_to(request.user), pk=pk)
    columns, rows = energy_history.month_table(imported)
    return render(
        request,
        "telemetry/history/import.html",
        {
            "imported": imported,
            "enterprise": imported.enterprise,
            "structure": imported.structure,
            "columns": columns,
            "rows": rows,
        },
    )


@grant_access(*READERS)
def history_template(request, enterprise_pk):
    enterprise = get_enterprise_or_404(request.user, enterprise_pk)
    response = HttpResponse(
        energy_history.template_xlsx(enterprise),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = (
        f'attachment; filename="energy-history-template-{enterprise.uscc}.xlsx"'
    )
    return response
