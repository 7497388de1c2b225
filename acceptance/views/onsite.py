"""现场验收 pages: the enterprise proposes, the institute names the panel and confirms, the
panel declares no conflict of interest and records the four steps."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from applications.services.meters import ledger_summary
from portal.access import enterprise_user, government, grant_access, panel_member, reviewer
from portal.attachments import AttachmentRejected
from portal.models import AuditEvent, Role, User
from portal.permissions import can_file_for
from portal.roles import is_staff_reviewer
from portal.views.outcomes import attempt, form_errors_from
from portal.workflow import TransitionRefused, available_transitions

from ..choices import HELD_REPORT_CONTENTS, OnSiteState, ReportContent
from ..forms import (
    ComparisonForm,
    OnSiteProposalForm,
    PanelFormSet,
    ReportFileForm,
    SitePhotoForm,
    StepsForm,
    panel_seats,
)
from ..models.onsite import can_record
from ..permissions import acceptance_applications_visible_to, onsites_visible_to
from ..services.applications import prefill
from ..services.onsite import (
    add_comparison,
    add_report_file,
    add_site_photo,
    calendar,
    confirm_onsite,
    declare_no_conflict,
    finish_record,
    may_add_photo,
    propose_onsite,
    record_steps,
    reschedule_onsite,
    seat_of,
    set_panel,
    update_proposal,
)

EVERYONE = (enterprise_user, reviewer, government, panel_member)


def _onsite_or_404(request, pk):
    return get_object_or_404(onsites_visible_to(request.user), pk=pk)


@grant_access(*EVERYONE)
def onsite_list(request):
    onsites = onsites_visible_to(request.user).order_by("-scheduled_for", "-pk")
    return render(request, "acceptance/onsite_list.html", {"onsites": onsites[:200]})


@grant_access(enterprise_user)
def onsite_propose(request, application_pk):
    application = get_object_or_404(
        acceptance_applications_visible_to(request.user), pk=application_pk
    )
    existing = getattr(application, "onsite", None)
    if existing is not None:
        return redirect("acceptance:onsite_detail", pk=existing.pk)
    if application.state != "accepted" or not can_file_for(request.user, application.enterprise):
        return render(
            request,
            "acceptance/not_yet.html",
            {"reason": _("验收申请材料审查通过后，才能组织现场验收。")},
        )
    initial = {
        "contractor_company": application.builder_name,
        "place": application.project_location,
    }
    form = OnSiteProposalForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            onsite = propose_onsite(request.user, application, form.cleaned_data)
        except ValidationError as error:
            form_errors_from(form, error)
        except TransitionRefused as refusal:
            form.add_error(None, refusal.message)
        else:
            messages.success(request, _("现场验收安排已提交，省计量院确认后将通知验收小组。"))
            return redirect("acceptance:onsite_detail", pk=onsite.pk)
    return render(
        request, "acceptance/onsite_form.html", {"form": form, "application": application}
    )


@grant_access(enterprise_user)
def onsite_edit(request, pk):
    onsite = _onsite_or_404(request, pk)
    form = OnSiteProposalForm(request.POST or None, instance=onsite)
    if request.method == "POST" and form.is_valid():
        try:
            update_proposal(onsite, request.user, form.cleaned_data)
        except ValidationError as error:
            form_errors_from(form, error)
        except TransitionRefused as refusal:
            form.add_error(None, refusal.message)
        else:
            messages.success(request, _("现场验收安排已保存。"))
            return redirect("acceptance:onsite_detail", pk=onsite.pk)
    return render(
        request,
        "acceptance/onsite_form.html",
        {"form": form, "application": onsite.application, "onsite": onsite},
    )


def panel_candidates(onsite):
    """Who may sit: institute staff, the region's government users, and experts."""
    return User.objects.filter(
        Q(role=Role.REVIEWER)
        | Q(role=Role.PANEL)
        | Q(role=Role.GOVERNMENT, region=onsite.enterprise.region),
        is_active=True,
    ).order_by("role", "username")


@grant_access(*EVERYONE)
def onsite_detail(request, pk):
    onsite = _onsite_or_404(request, pk)
    user = request.user
    seat = seat_of(onsite, user)
    if seat is not None and seat.declared_at is None and not is_staff_reviewer(user):
        # A member sees the file only after declaring no conflict of interest.
        return render(request, "acceptance/onsite_declare.html", {"onsite": onsite, "seat": seat})
    seats = list(onsite.seats.select_related("user"))
    recording = onsite.state == OnSiteState.SCHEDULED and can_record(onsite, user)
    is_owner = can_file_for(user, onsite.enterprise)
    files = list(onsite.files.select_related("attachment"))
    held = prefill(onsite.enterprise) if is_owner or is_staff_reviewer(user) else {}
    return render(
        request,
        "acceptance/onsite_detail.html",
        {
            "onsite": onsite,
            "application": onsite.application,
            "seats": seats,
            "seat": seat,
            "recording": recording,
            "recording_allowed": can_record(onsite, user),
            "is_owner": is_owner,
            "can_name_panel": is_staff_reviewer(user) and onsite.state == OnSiteState.PROPOSED,
            "report_contents": [
                (
                    content,
                    [f for f in files if f.content == content],
                    content in HELD_REPORT_CONTENTS,
                )
                for content in ReportContent
            ],
            "held": held,
            "ledger": ledger_summary(onsite.enterprise) if held else None,
            "comparisons": list(onsite.comparisons.select_related("item")),
            "steps_form": StepsForm(instance=onsite) if recording else None,
            "comparison_form": ComparisonForm(enterprise=onsite.enterprise) if recording else None,
            "photos": list(onsite.photos.select_related("attachment")),
            "photo_form": SitePhotoForm()
            if onsite.state != OnSiteState.PROPOSED and may_add_photo(onsite, user)
            else None,
            "file_form": ReportFileForm()
            if is_owner and onsite.state != OnSiteState.RECORDED
            else None,
            "transitions": available_transitions(onsite, user, "state"),
            "events": AuditEvent.objects.for_object(onsite)[:50],
        },
    )


@grant_access(reviewer)
def onsite_panel(request, pk):
    onsite = _onsite_or_404(request, pk)
    candidates = panel_candidates(onsite)
    initial = [
        {"user": s.user, "role": s.role, "body": s.body, "is_leader": s.is_leader}
        for s in onsite.seats.select_related("user")
    ]
    formset = PanelFormSet(
        request.POST or None,
        prefix="seats",
        initial=initial,
        form_kwargs={"candidates": candidates},
    )
    errors = []
    if request.method == "POST" and formset.is_valid():
        try:
            set_panel(onsite, request.user, panel_seats(formset))
        except ValidationError as error:
            errors = error.message_dict.get("panel", error.messages)
        except TransitionRefused as refusal:
            errors = [refusal.message]
        else:
            messages.success(request, _("验收小组已确定。确认安排后将通知各成员。"))
            return redirect("acceptance:onsite_detail", pk=onsite.pk)
    return render(
        request,
        "acceptance/onsite_panel.html",
        {"onsite": onsite, "formset": formset, "errors": errors},
    )


@require_POST
@grant_access(*EVERYONE)
def onsite_declare(request, pk):
    onsite = _onsite_or_404(request, pk)
    if request.POST.get("no_conflict") != "on":
        messages.error(request, _("请勾选声明后提交。"))
        return redirect("acceptance:onsite_detail", pk=onsite.pk)
    try:
        declare_no_conflict(onsite, request.user)
    except PermissionDenied:
        messages.error(request, _("您不是该验收小组的成员。"))
    else:
        messages.success(request, _("已声明无利益冲突。"))
    return redirect("acceptance:onsite_detail", pk=onsite.pk)


@require_POST
@grant_access(reviewer, government, panel_member)
def onsite_steps(request, pk):
    onsite = _onsite_or_404(request, pk)
    form = StepsForm(request.POST, instance=onsite)
    if form.is_valid():
        attempt(
            request,
            lambda: record_steps(onsite, request.user, form.cleaned_data),
            _("验收环节记录已保存。"),
        )
    return redirect("acceptance:onsite_detail", pk=onsite.pk)


@require_POST
@grant_access(reviewer, government, panel_member)
def onsite_comparison(request, pk):
    onsite = _onsite_or_404(request, pk)
    form = ComparisonForm(request.POST, enterprise=onsite.enterprise)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    else:
        data = form.cleaned_data
        attempt(
            request,
            lambda: add_comparison(
                onsite,
                request.user,
                item_id=data["item"].pk,
                meter=data["meter"],
                read_at=data["read_at"],
                site_value=data["site_value"],
            ),
            _("比对读数已记录。"),
        )
    return redirect(f"{reverse('acceptance:onsite_detail', args=[onsite.pk])}#comparisons")


@require_POST
@grant_access(enterprise_user)
def onsite_report_file(request, pk):
    onsite = _onsite_or_404(request, pk)
    form = ReportFileForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("请选择汇报内容和文件。"))
    else:
        try:
            attempt(
                request,
                lambda: add_report_file(
                    onsite, request.user, form.cleaned_data["content"], form.cleaned_data["file"]
                ),
                _("汇报材料已上传。"),
            )
        except AttachmentRejected as rejection:
            messages.error(request, rejection.reason)
    return redirect("acceptance:onsite_detail", pk=onsite.pk)


@require_POST
@grant_access(reviewer, government, panel_member)
def onsite_photo(request, pk):
    """现场考察 photos, uploaded by the institute's reviewer or a panel member."""
    onsite = _onsite_or_404(request, pk)
    form = SitePhotoForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("请填写照片说明并选择照片。"))
    else:
        try:
            attempt(
                request,
                lambda: add_site_photo(
                    onsite, request.user, form.cleaned_data["caption"], form.cleaned_data["file"]
                ),
                _("现场考察照片已上传。"),
            )
        except AttachmentRejected as rejection:
            messages.error(request, rejection.reason)
    return redirect("acceptance:onsite_detail", pk=onsite.pk)


ACTIONS = {
    "confirm": (confirm_onsite, gettext_lazy("已确认现场验收安排，已通知验收小组和企业。")),
    "reschedule": (reschedule_onsite, gettext_lazy("已改为待确认，请修改现场验收安排。")),
    "finish": (finish_record, gettext_lazy("现场验收记录已完成。")),
}


@require_POST
@grant_access(*EVERYONE)
def onsite_action(request, pk, action):
    onsite = _onsite_or_404(request, pk)
    operation, done = ACTIONS[action]
    attempt(request, lambda: operation(onsite, request.user), str(done))
    return redirect("acceptance:onsite_detail", pk=onsite.pk)


@grant_access(*EVERYONE)
def onsite_calendar(request, pk):
    onsite = _onsite_or_404(request, pk)
    response = HttpResponse(calendar(onsite), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="onsite-{onsite.pk}.ics"'
    return response
