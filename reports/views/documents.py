"""Issued documents: list, detail (with the render progress), download, preview, steps."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from portal.access import enterprise_user, government, grant_access, reviewer
from portal.models import AuditEvent
from portal.roles import is_institute_reviewer, is_staff_reviewer
from portal.views.outcomes import attempt
from portal.workflow import available_transitions

from ..forms import StepForm
from ..models import DocumentKind, DocumentState, RenderStatus
from ..permissions import can_download, can_preview, documents_visible_to, get_document_or_404
from ..printing import document_pdf
from ..services import documents as engine

READERS = (enterprise_user, reviewer, government)
# ?state=open: the documents still to be compiled, checked or approved (the dashboard card).
OPEN = "open"
OPEN_STATES = (DocumentState.DRAFT, DocumentState.COMPILED, DocumentState.CHECKED)


@grant_access(*READERS)
def document_list(request):
    documents = documents_visible_to(request.user).order_by("-created_at", "-pk")
    state, kind = request.GET.get("state", ""), request.GET.get("kind", "")
    query = request.GET.get("q", "").strip()
    if state == OPEN:
        documents = documents.filter(state__in=OPEN_STATES)
    elif state:
        documents = documents.filter(state=state)
    if kind:
        documents = documents.filter(kind=kind)
    if query:
        documents = documents.filter(
            Q(number__icontains=query) | Q(enterprise__name__icontains=query)
        )
    page = Paginator(documents, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "reports/document_list.html",
        {
            "page": page,
            "states": DocumentState.choices,
            "kinds": DocumentKind.choices,
            "filters": {"state": state, "kind": kind, "q": query},
        },
    )


def _steps(request, document) -> list[str]:
    if not is_institute_reviewer(request.user) and not is_staff_reviewer(request.user):
        return []
    # Only the steps the page has a form for: issue_signed_off (the acceptance report and
    # rectification notices, issued by their own app's services) is never a button here.
    return [
        step
        for step in available_transitions(document, request.user, "state")
        if step in STEP_MESSAGES
    ]


@grant_access(*READERS)
def document_detail(request, pk):
    document = get_document_or_404(request.user, pk)
    events = (
        AuditEvent.objects.filter(
            content_type__model="issueddocument", object_id=document.pk
        ).select_related("actor")
        if is_staff_reviewer(request.user)
        else []
    )
    return render(
        request,
        "reports/document_detail.html",
        {
            "document": document,
            "steps": _steps(request, document),
            "form": StepForm(),
            "events": events,
            "can_download": can_download(request.user, document),
            "can_preview": can_preview(request.user, document),
            "rendering": document.render_status in (RenderStatus.QUEUED, RenderStatus.RUNNING),
        },
    )


@grant_access(*READERS)
def document_progress(request, pk):
    """The HTMX fragment the detail page polls while the PDF is made."""
    document = get_document_or_404(request.user, pk)
    return render(
        request,
        "reports/_render_status.html",
        {
            "document": document,
            "can_download": can_download(request.user, document),
            "rendering": document.render_status in (RenderStatus.QUEUED, RenderStatus.RUNNING),
        },
    )


@grant_access(*READERS)
def document_download(request, pk):
    document = get_document_or_404(request.user, pk)
    if not can_download(request.user, document):
        raise Http404(_("该文书的 PDF 尚未生成。"))
    return FileResponse(
        document.pdf.open("rb"),
        as_attachment=True,
        filename=f"{document.number}.pdf",
        content_type="application/pdf",
    )


@grant_access(reviewer)
def document_preview(request, pk):
    """A draft's PDF as it stands (草稿, no number), rendered on request."""
    document = get_document_or_404(request.user, pk)
    pdf = document_pdf(document, preview=True)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="draft-{document.pk}.pdf"'
    return response


def _run_step(document, step, user, form):
    comment = form.cleaned_data["comment"]
    if step == "compile":
        return engine.compile_document(document, user, comment)
    if step == "review":
        return engine.review_document(document, user, comment)
    if step == "approve":
        return engine.approve_document(document, user, comment)
    if step == "send_back":
        return engine.send_back(document, user, comment)
    if step == "withdraw":
        return engine.withdraw_document(document, user, comment)
    if step == "revoke":
        return engine.revoke_document(document, user, comment)
    raise Http404


STEP_MESSAGES = {
    "compile": gettext_lazy("编制完成，等待审核。"),
    "review": gettext_lazy("审核完成，等待批准。"),
    "approve": gettext_lazy("已批准出具，PDF 正在生成。"),
    "send_back": gettext_lazy("已退回修改。"),
    "withdraw": gettext_lazy("草稿已作废。"),
    "revoke": gettext_lazy("已撤销。"),
}


@require_POST
@grant_access(reviewer)
def document_step(request, pk, step):
    document = get_document_or_404(request.user, pk)
    form = StepForm(request.POST)
    if form.is_valid():
        attempt(
            request, lambda: _run_step(document, step, request.user, form), str(STEP_MESSAGES[step])
        )
    return redirect("reports:document_detail", pk=document.pk)


@require_POST
@grant_access(reviewer)
def document_rerender(request, pk):
    document = get_document_or_404(request.user, pk)
    if engine.retry_render(document):
        messages.success(request, _("已重新排队生成 PDF。"))
    return redirect("reports:document_detail", pk=document.pk)
