"""Acceptance application pages (附表2 + 表1): the enterprise files, a reviewer checks."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views.decorators.http import require_POST

from portal.access import enterprise_user, government, grant_access, panel_member, reviewer
from portal.attachments import AttachmentRejected
from portal.forms import DecisionForm
from portal.models import AuditEvent
from portal.permissions import can_file_for, own_enterprise
from portal.roles import is_staff_reviewer
from portal.views.outcomes import attempt, form_errors_from
from portal.workflow import TransitionRefused, available_transitions
from reports.rendering import render_pdf

from .. import materials
from ..forms import AcceptanceApplicationForm, CollectionFormSet, MaterialFileForm, VerdictForm
from ..materials import checklist, device_models
from ..models import AcceptanceState, CoverageEnergy, Material, MaterialVerdict, MeteringLevel
from ..permissions import acceptance_applications_visible_to
from ..prechecks import prechecks
from ..resubmission import changes_since_last_submission
from ..services.applications import (
    add_material_file,
    create_application,
    differences,
    open_application,
    prefill,
    remove_material_file,
    update_application,
)
from ..services.review import (
    accept_application,
    composed_reason,
    record_verdict,
    return_application,
    start_review,
    submit_application,
)

WAITING = (AcceptanceState.SUBMITTED, AcceptanceState.MATERIALS_REVIEW)


def _application_or_404(request, pk):
    return get_object_or_404(acceptance_applications_visible_to(request.user), pk=pk)


@grant_access(enterprise_user, reviewer, government)
def application_list(request):
    applications = acceptance_applications_visible_to(request.user)
    state = request.GET.get("state", "")
    if state in AcceptanceState.values:
        applications = applications.filter(state=state)
    elif is_staff_reviewer(request.user):
        applications = applications.filter(state__in=WAITING)
    applications = applications.order_by("-submitted_at", "-created_at", "-pk")
    enterprise = own_enterprise(request.user)
    return render(
        request,
        "acceptance/application_list.html",
        {
            "page": Paginator(applications, 25).get_page(request.GET.get("page")),
            "states": AcceptanceState.choices,
            "state": state,
            "enterprise": enterprise,
            "can_create": enterprise is not None and can_file_for(request.user, enterprise),
        },
    )


def _collection_formset(request, initial):
    return CollectionFormSet(request.POST or None, prefix="rows", initial=initial)


@grant_access(enterprise_user)
def application_create(request):
    """A form is offered only when it can succeed; otherwise the page says why."""
    enterprise = own_enterprise(request.user)
    if enterprise is None or not can_file_for(request.user, enterprise):
        return render(
            request,
            "acceptance/not_yet.html",
            {"reason": _("您的企业尚未通过注册审核，暂不能提交验收申请。")},
        )
    existing = open_application(enterprise)
    if existing is not None:
        messages.info(request, _("本企业已有未完成的验收申请，请在此继续。"))
        return redirect("acceptance:application_detail", pk=existing.pk)
    if materials.conformance_report_for(enterprise) is None:
        return render(
            request,
            "acceptance/not_yet.html",
            {
                "reason": _(
                    "验收申请须凭省平台建设单位出具的《数据接入符合性测试报告》（附件1）提交。"
                    "贵单位的报告尚未出具或已被撤销：请先完成稳定上传试运行，待省计量院出具报告后再申请验收。"
                )
            },
        )
    initial = prefill(enterprise)
    formset = _collection_formset(request, initial.pop("collection_rows"))
    form = AcceptanceApplicationForm(
        request.POST or None, initial=initial, collection_formset=formset
    )
    if request.method == "POST" and form.is_valid():
        try:
            application = create_application(request.user, enterprise, form.service_data())
        except ValidationError as error:
            form_errors_from(form, error)
        except TransitionRefused as refusal:
            form.add_error(None, refusal.message)
        else:
            messages.success(request, _("验收申请草稿已保存，请补齐表1所列材料后提交。"))
            return redirect("acceptance:application_detail", pk=application.pk)
    return render(
        request,
        "acceptance/application_form.html",
        {"form": form, "formset": formset, "enterprise": enterprise},
    )


@grant_access(enterprise_user)
def application_edit(request, pk):
    application = _application_or_404(request, pk)
    if not application.is_editable:
        messages.error(
            request, _("当前状态为“%(s)s”，不能修改。") % {"s": application.get_state_display()}
        )
        return redirect("acceptance:application_detail", pk=application.pk)
    formset = _collection_formset(request, application.collection_rows)
    form = AcceptanceApplicationForm(
        request.POST or None, instance=application, collection_formset=formset
    )
    if request.method == "POST" and form.is_valid():
        try:
            update_application(application, request.user, form.service_data())
        except ValidationError as error:
            form_errors_from(form, error)
        except TransitionRefused as refusal:
            form.add_error(None, refusal.message)
        else:
            messages.success(request, _("验收申请已保存。"))
            return redirect("acceptance:application_detail", pk=application.pk)
    return render(
        request,
        "acceptance/application_form.html",
        {
            "form": form,
            "formset": formset,
            "enterprise": application.enterprise,
            "application": application,
        },
    )


@grant_access(enterprise_user, reviewer, government, panel_member)
def application_detail(request, pk):
    application = _application_or_404(request, pk)
    items = checklist(application)
    verdicts = (
        {
            v.material: v
            for v in MaterialVerdict.objects.filter(
                application=application, submitted_at=application.submitted_at
            ).select_related("decided_by")
        }
        if application.submitted_at
        else {}
    )
    can_edit = application.is_editable and can_file_for(request.user, application.enterprise)
    reviewing = (
        is_staff_reviewer(request.user) and application.state == AcceptanceState.MATERIALS_REVIEW
    )
    return render(
        request,
        "acceptance/application_detail.html",
        {
            "application": application,
            "checklist": items,
            "lines": [(line, verdicts.get(line.code)) for line in items.lines],
            "devices": device_models(application.enterprise.end_devices.filter(is_active=True))
            if can_edit
            else [],
            "all_devices": application.enterprise.end_devices.filter(is_active=True).order_by(
                "serial"
            )
            if can_edit
            else [],
            "can_edit": can_edit,
            "can_organise": can_file_for(request.user, application.enterprise),
            "reviewing": reviewing,
            "show_files": not _is_viewer(request),
            "differences": differences(application) if is_staff_reviewer(request.user) else [],
            "composed_reason": composed_reason(application) if reviewing else "",
            "prechecks": prechecks(application, items),
            "resubmission_changes": changes_since_last_submission(application)
            if is_staff_reviewer(request.user) or can_file_for(request.user, application.enterprise)
            else None,
            "transitions": available_transitions(application, request.user, "state"),
            "decision_form": DecisionForm(),
            "events": AuditEvent.objects.for_object(application)[:50],
        },
    )


def _is_viewer(request) -> bool:
    return government(request.user) and not is_staff_reviewer(request.user)


@require_POST
@grant_access(enterprise_user)
def material_upload(request, pk):
    application = _application_or_404(request, pk)
    form = MaterialFileForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(
            request,
            pgettext("list separator", "；").join(e for errs in form.errors.values() for e in errs),
        )
    else:
        data = form.cleaned_data
        try:
            attempt(
                request,
                lambda: add_material_file(
                    application,
                    request.user,
                    data["material"],
                    data["part"] or "",
                    data["file"],
                    device_id=data["device"],
                ),
                _("材料已上传。"),
            )
        except AttachmentRejected as rejection:
            messages.error(request, rejection.reason)
    return redirect("acceptance:application_detail", pk=application.pk)


@require_POST
@grant_access(enterprise_user)
def material_delete(request, pk, file_pk):
    application = _application_or_404(request, pk)
    material_file = get_object_or_404(application.material_files, pk=file_pk)
    attempt(
        request,
        lambda: remove_material_file(application, request.user, material_file),
        _("材料已删除。"),
    )
    return redirect("acceptance:application_detail", pk=application.pk)


@require_POST
@grant_access(reviewer)
def material_verdict(request, pk):
    application = _application_or_404(request, pk)
    form = VerdictForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择“合格”或“需补正”。"))
    else:
        data = form.cleaned_data
        attempt(
            request,
            lambda: record_verdict(
                application, request.user, data["material"], data["verdict"], data["note"]
            ),
            _("已记录“%(m)s”的审查结论。") % {"m": Material(data["material"]).label},
        )
    return redirect(
        f"{application_detail_url(application)}#line-{request.POST.get('material', '')}"
    )


def application_detail_url(application) -> str:
    return reverse("acceptance:application_detail", args=[application.pk])


ACTIONS = {
    "submit": (lambda a, u, c: submit_application(a, u), gettext_lazy("验收申请已提交。")),
    "start_review": (lambda a, u, c: start_review(a, u), gettext_lazy("已开始材料审查。")),
    "return": (return_application, gettext_lazy("已退回企业补正。")),
    "accept": (accept_application, gettext_lazy("材料审查通过，已通知企业组织现场验收。")),
}


@require_POST
@grant_access(enterprise_user, reviewer)
def application_action(request, pk, action):
    application = _application_or_404(request, pk)
    operation, done = ACTIONS[action]
    form = DecisionForm(request.POST)
    form.is_valid()
    comment = form.cleaned_data.get("comment", "")
    attempt(request, lambda: operation(application, request.user, comment), str(done))
    return redirect("acceptance:application_detail", pk=application.pk)


@grant_access(enterprise_user, reviewer)
def application_pdf(request, pk):
    """附表2 printed as the seed lays it out, to be stamped by both parties and uploaded."""
    application = _application_or_404(request, pk)
    pdf = render_pdf(
        "acceptance/pdf/application_form.html",
        {
            "application": application,
            "coverage": CoverageEnergy.choices,
            "levels": MeteringLevel.choices,
        },
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'inline; filename="acceptance-application-{application.pk}.pdf"'
    )
    return response


@grant_access(enterprise_user, reviewer, government, panel_member)
def pledge_pdf(request, pk):
    """表1 材料 6: the 企业数据真实性承诺书 template, pre-filled, to sign, stamp and upload."""
    application = _application_or_404(request, pk)
    pdf = render_pdf("acceptance/pdf/authenticity_pledge.html", {"application": application})
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="authenticity-pledge-{application.pk}.pdf"'
    return response
