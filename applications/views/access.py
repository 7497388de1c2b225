from datetime import timedelta

from csp.constants import SELF, UNSAFE_INLINE
from csp.decorators import csp_replace
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST

from portal.access import enterprise_user, grant_access, reviewer
from portal.attachments import AttachmentRejected, attachments_of
from portal.forms import DecisionForm
from portal.models import AuditEvent
from portal.permissions import can_file_for, own_enterprise
from portal.roles import is_staff_reviewer
from portal.sorting import Column, headers, ordering
from portal.views.outcomes import attempt
from portal.workflow import available_transitions

from ..consistency import MISMATCH, consistency
from ..forms import DeclarationForm, MaterialForm, QueueFilterForm, StampedScanForm
from ..models import PRINTED_MATERIALS, STAMPED_SCAN, ApplicationState, Material
from ..permissions import access_applications_visible_to
from ..sections import material_progress, submit_blockers, task_list
from ..services.access import (
    add_material,
    approve_application,
    reject_application,
    remove_material,
    return_application,
    start_review,
    submit_application,
)

PENDING = (ApplicationState.SUBMITTED, ApplicationState.UNDER_REVIEW)
QUEUE_COLUMNS = [
    Column("applicant", "enterprise__name_pinyin"),
    Column("region", "enterprise__region"),
    Column("scheme", "design_scheme__number"),
    Column("submitted", "submitted_at"),
    Column("state", "state"),
]


def _application_or_404(request, pk):
    return get_object_or_404(access_applications_visible_to(request.user), pk=pk)


@grant_access(enterprise_user, reviewer)
def application_list(request):
    applications = access_applications_visible_to(request.user)
    if not is_staff_reviewer(request.user):
        return render(
            request,
            "applications/application_list.html",
            {
                "applications": applications.order_by("-created_at"),
                "enterprise": own_enterprise(request.user),
            },
        )
    # The reviewer's workbench queue: oldest submissions first.
    filters = QueueFilterForm(request.GET or None)
    filters.is_valid()
    wanted = getattr(filters, "cleaned_data", {})
    if wanted.get("state"):
        applications = applications.filter(state=wanted["state"])
    else:
        applications = applications.filter(state__in=PENDING)
    if wanted.get("region"):
        applications = applications.filter(enterprise__region=wanted["region"])
    if wanted.get("age"):
        cutoff = timezone.now() - timedelta(days=int(wanted["age"]))
        applications = applications.filter(submitted_at__lte=cutoff)
    if wanted.get("q"):
        query = wanted["q"].strip()
        applications = applications.filter(
            Q(applicant_name__icontains=query)
            | Q(enterprise__name__icontains=query)
            | Q(uscc__icontains=query)
            | Q(design_scheme__number__icontains=query)
        )
    # Oldest submissions first unless the reviewer sorts by a column.
    sort, order = ordering(QUEUE_COLUMNS, request.GET.get("sort", ""), "submitted")
    applications = applications.order_by(order, "pk")
    page = Paginator(applications, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "applications/application_queue.html",
        {
            "page": page,
            "filters": filters,
            "now": timezone.now(),
            "headers": headers(request, QUEUE_COLUMNS, sort),
        },
    )


@grant_access(enterprise_user, reviewer)
def application_detail(request, pk):
    application = _application_or_404(request, pk)
    attachments = list(attachments_of(application).order_by("kind", "uploaded_at"))
    materials = [(kind, [a for a in attachments if a.kind == kind.value]) for kind in Material]
    missing = application.missing_materials()
    can_edit = application.is_editable and can_file_for(request.user, application.enterprise)
    transitions = [
        t
        for t in available_transitions(application, request.user, "state")
        if t != "submit"  # submitted from check-your-answers, with the declaration
    ]
    # Before approving, the reviewer sees what does not agree with the portal's records.
    mismatches = (
        [check for check in consistency(application) if check.status == MISMATCH]
        if "approve" in transitions
        else []
    )
    # The upload form offers the material asked for (?kind=), else the next missing one.
    wanted = request.GET.get("kind")
    kind = wanted if wanted in Material.values else (missing[0].value if missing else None)
    return render(
        request,
        "applications/application_detail.html",
        {
            "application": application,
            "materials": materials,
            "missing": missing,
            "material_progress": material_progress(len(Material) - len(missing), len(Material)),
            "transitions": transitions,
            "mismatches": mismatches,
            "can_edit": can_edit,
            "tasks": task_list(application) if can_edit else None,
            "blockers": submit_blockers(application) if can_edit else None,
            "material_form": MaterialForm(initial={"kind": kind}),
            "decision_form": DecisionForm(),
            "events": AuditEvent.objects.for_object(application)[:50],
            "can_review": is_staff_reviewer(request.user),
            "stamped_scans": [a for a in attachments if a.kind == STAMPED_SCAN],
            "stamped_current": application.stamped_scan_is_current(),
            "can_upload_stamped": application.state == ApplicationState.APPROVED
            and can_file_for(request.user, application.enterprise),
            "stamped_form": StampedScanForm(),
        },
    )


@require_POST
@grant_access(enterprise_user)
def material_upload(request, pk):
    application = _application_or_404(request, pk)
    form = MaterialForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(
            request,
            pgettext("list separator", "；").join(e for errs in form.errors.values() for e in errs),
        )
    else:
        try:
            attempt(
                request,
                lambda: add_material(
                    application, request.user, form.cleaned_data["kind"], form.cleaned_data["file"]
                ),
                _("材料已上传。"),
            )
        except AttachmentRejected as rejection:
            messages.error(request, rejection.reason)
    return redirect(
        reverse("applications:application_detail", args=[application.pk]) + "#materials"
    )


@require_POST
@grant_access(enterprise_user)
def material_delete(request, pk, attachment_pk):
    application = _application_or_404(request, pk)
    attachment = get_object_or_404(attachments_of(application), pk=attachment_pk)
    attempt(
        request,
        lambda: remove_material(application, request.user, attachment),
        _("材料已删除。"),
    )
    return redirect(
        reverse("applications:application_detail", args=[application.pk]) + "#materials"
    )


ACTIONS = {
    "submit": (lambda a, u, c: submit_application(a, u), gettext_lazy("对接申请已提交。")),
    "start_review": (lambda a, u, c: start_review(a, u), gettext_lazy("已开始审核。")),
    "return": (return_application, gettext_lazy("已退回企业修改。")),
    "reject": (reject_application, gettext_lazy("已作出不予通过的决定。")),
    "approve": (
        approve_application,
        gettext_lazy("已审核通过，VPN 账号已开通，对接资料已发送。"),
    ),
}


@require_POST
@grant_access(enterprise_user, reviewer)
def application_action(request, pk, action):
    application = _application_or_404(request, pk)
    operation, done = ACTIONS[action]
    if action == "submit" and not DeclarationForm(request.POST).is_valid():
        messages.error(request, _("提交前请勾选声明。"))
        return redirect("applications:application_check", pk=application.pk)
    form = DecisionForm(request.POST)
    form.is_valid()
    comment = form.cleaned_data.get("comment", "")
    attempt(request, lambda: operation(application, request.user, comment), str(done))
    if request.POST.get("next") == "review" and is_staff_reviewer(request.user):
        return redirect("applications:application_review", pk=application.pk)
    return redirect("applications:application_detail", pk=application.pk)


PREVIEWABLE = {"application/pdf", "image/jpeg", "image/png"}


@xframe_options_sameorigin
# Framed by the application page only; the browser's own image/PDF viewer document styles
# itself with inline styles (the answer is a file: no markup or script of the portal's).
@csp_replace({"frame-ancestors": [SELF], "style-src": [SELF, UNSAFE_INLINE]})
@grant_access(enterprise_user, reviewer)
def material_preview(request, pk, attachment_pk):
    """A material shown inline beside the form (the workbench's side-by-side view)."""
    application = _application_or_404(request, pk)
    attachment = get_object_or_404(
        attachments_of(application).filter(mime_type__in=PREVIEWABLE), pk=attachment_pk
    )
    return FileResponse(
        attachment.file.open("rb"),
        filename=attachment.original_name,
        content_type=attachment.mime_type,
    )


@grant_access(enterprise_user, reviewer)
def application_print(request, pk):
    application = _application_or_404(request, pk)
    present = set(attachments_of(application).values_list("kind", flat=True))
    return render(
        request,
        "applications/application_print.html",
        {
            "application": application,
            "materials": [(kind, kind.value in present) for kind in PRINTED_MATERIALS],
        },
    )
