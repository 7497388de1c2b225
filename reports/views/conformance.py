"""The conformance test report's queue (待出具符合性测试报告) and its draft form."""

from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from portal.access import grant_access, reviewer
from portal.roles import is_institute_reviewer
from portal.views.outcomes import attempt
from telemetry.models import Connection

from ..conformance import draft_facts, passed_trial, refusal_to_draft
from ..dashboards import connections_due
from ..forms import ConformanceDraftForm
from ..services.conformance import draft_from_trial


@grant_access(reviewer)
def conformance_queue(request):
    connections = connections_due().select_related("enterprise").order_by("trial_finished_at", "pk")
    page = Paginator(connections, 25).get_page(request.GET.get("page"))
    # Why each one can or cannot be drafted yet, for the whole page in a few queries.
    facts = draft_facts(page.object_list)
    rows = [(c, refusal_to_draft(c, facts[c.pk])) for c in page.object_list]
    return render(request, "reports/conformance_queue.html", {"page": page, "rows": rows})


@grant_access(reviewer)
def conformance_draft(request, connection_pk):
    connection = get_object_or_404(
        Connection.objects.select_related("enterprise"), pk=connection_pk
    )
    form = ConformanceDraftForm(request.POST or None)
    refusal = refusal_to_draft(connection)
    if not is_institute_reviewer(request.user):
        refusal = refusal or _("只有省计量院审核人员可以起草符合性测试报告。")
    if request.method == "POST" and form.is_valid() and is_institute_reviewer(request.user):
        document = attempt(
            request,
            lambda: draft_from_trial(connection, request.user, form.confirmed()),
            _("已起草符合性测试报告，请预览草稿并完成编制。"),
        )
        if document is not None:
            return redirect("reports:document_detail", pk=document.pk)
    return render(
        request,
        "reports/conformance_draft.html",
        {
            "connection": connection,
            "run": passed_trial(connection),
            "form": form,
            "refusal": refusal,
        },
    )
