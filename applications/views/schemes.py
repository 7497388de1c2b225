from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal.access import enterprise_user, grant_access, reviewer
from portal.attachments import AttachmentRejected, attachments_of
from portal.forms import DecisionForm
from portal.models import AuditEvent
from portal.roles import is_institute_reviewer, is_member, is_staff_reviewer
from portal.views.outcomes import attempt, form_errors_from
from portal.workflow import TransitionRefused

from ..forms import (
    ChangeRecordForm,
    FeedbackForm,
    SchemeForm,
    SiteSurveyForm,
    StampForm,
    formset_rows,
    scheme_formsets,
)
from ..models import Party, SchemeFeedback, SchemeState, SiteSurvey, party_of
from ..permissions import change_records_visible_to, design_schemes_visible_to
from ..services.schemes import (
    add_change_record,
    answer_scheme,
    confirm_scheme,
    create_scheme,
    decide_change_record,
    record_site_survey,
    send_scheme,
    update_scheme,
    upload_feedback_stamp,
)


def _scheme_or_404(request, pk):
    return get_object_or_404(design_schemes_visible_to(request.user), pk=pk)


@grant_access(enterprise_user, reviewer)
def scheme_list(request):
    schemes = design_schemes_visible_to(request.user).order_by("-created_at", "-pk")
    state = request.GET.get("state", "")
    query = request.GET.get("q", "").strip()
    if state:
        schemes = schemes.filter(state=state)
    if query:
        schemes = schemes.filter(number__icontains=query) | schemes.filter(
            enterprise__name__icontains=query
        )
    page = Paginator(schemes, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "applications/scheme_list.html",
        {
            "page": page,
            "states": SchemeState.choices,
            "filters": {"state": state, "q": query},
        },
    )


def _scheme_form_page(request, scheme=None):
    form = SchemeForm(request.POST or None, request.FILES or None, scheme=scheme)
    if scheme is None and request.method == "GET" and request.GET.get("enterprise"):
        form.initial["enterprise"] = request.GET["enterprise"]
    formsets = scheme_formsets(request.POST or None, scheme)
    if (
        request.method == "POST"
        and form.is_valid()
        and all(f.is_valid() for f in formsets.values())
    ):
        data = {name: formset_rows(f) for name, f in formsets.items()}
        data["project_plan"] = form.cleaned_data["project_plan"]
        data["construction_period"] = form.cleaned_data["construction_period"]
        document = form.cleaned_data.get("document")
        parts = form.part_uploads()
        try:
            if scheme is None:
                scheme = create_scheme(
                    request.user, form.cleaned_data["enterprise"], data, document, parts
                )
                messages.success(request, _("设计方案 %(n)s 已创建。") % {"n": scheme.number})
            else:
                scheme = update_scheme(scheme, request.user, data, document, parts)
                messages.success(request, _("设计方案已保存。"))
            return redirect("applications:scheme_detail", pk=scheme.pk)
        except AttachmentRejected as rejection:
            form.add_error("document", rejection.reason)
        except ValidationError as error:
            form_errors_from(form, error)
        except TransitionRefused as refusal:
            form.add_error(None, refusal.message)
    return render(
        request,
        "applications/scheme_form.html",
        {"form": form, "formsets": formsets, "scheme": scheme},
    )


@grant_access(reviewer)
def scheme_create(request):
    return _scheme_form_page(request)


@grant_access(reviewer)
def scheme_edit(request, pk):
    scheme = _scheme_or_404(request, pk)
    if not scheme.is_editable:
        messages.error(
            request, _("当前状态为“%(s)s”，不能修改方案内容。") % {"s": scheme.get_state_display()}
        )
        return redirect("applications:scheme_detail", pk=scheme.pk)
    return _scheme_form_page(request, scheme)


def _feedback_rows(scheme, scheme_hash):
    """The 7.1 forms with their stamped scans and whether each still stamps its record."""
    feedback = list(scheme.feedback.select_related("submitted_by"))
    scans = {}
    for scan in attachments_of_many(feedback, "stamped_scan"):
        scans.setdefault(scan.object_id, []).append(scan)
    for fb in feedback:
        fb.scans = scans.get(fb.pk, [])
        fb.stamp = fb.stamp_state(scheme_hash)
    return feedback


def attachments_of_many(records, kind):
    from django.contrib.contenttypes.models import ContentType

    from portal.models import Attachment

    if not records:
        return []
    return Attachment.objects.filter(
        content_type=ContentType.objects.get_for_model(type(records[0])),
        object_id__in=[r.pk for r in records],
        kind=kind,
    ).order_by("-uploaded_at", "-pk")


@grant_access(enterprise_user, reviewer)
def scheme_detail(request, pk):
    scheme = _scheme_or_404(request, pk)
    user = request.user
    party = party_of(user, scheme)
    confirmed = {
        c.party: c for c in scheme.confirmations_of_revision().select_related("confirmed_by")
    }
    documents = list(attachments_of(scheme).order_by("-uploaded_at", "-pk"))
    meters = list(scheme.enterprise.meters.all())
    parts = scheme.parts(documents, meters)
    for part in parts:
        part["files"] = [d for d in documents if d.kind == part["key"]]
    scheme_hash = scheme.version_hash(documents)
    # Once sent, the 计量器具配备一览表 is the snapshot; the live ledger is shown beside it.
    frozen = not scheme.is_editable and bool(scheme.meter_snapshot)
    change_records = list(scheme.change_records.select_related("recorded_by", "decided_by"))
    change_files = {}
    for doc in attachments_of_many(change_records, "change_document"):
        change_files.setdefault(doc.object_id, []).append(doc)
    for record in change_records:
        record.files = change_files.get(record.pk, [])
        record.stamp = record.stamp_state()
    return render(
        request,
        "applications/scheme_detail.html",
        {
            "scheme": scheme,
            "documents": [d for d in documents if d.kind == "scheme_document"],
            "parts": parts,
            "parts_done": sum(1 for p in parts if p["complete"]),
            "meters": meters,
            "meter_rows": scheme.meter_rows(meters),
            "meters_frozen": frozen,
            "ledger_diff": scheme.ledger_differences(meters) if frozen else None,
            "feedback": _feedback_rows(scheme, scheme_hash),
            "can_stamp": is_member(user, scheme.enterprise),
            "stamp_form": StampForm(),
            "confirmations": [(p, confirmed.get(p.value)) for p in Party],
            "change_records": change_records,
            "can_survey": is_institute_reviewer(user) and scheme.is_editable,
            "events": AuditEvent.objects.for_object(scheme)[:50],
            "can_edit": is_institute_reviewer(user) and scheme.is_editable,
            "can_send": is_institute_reviewer(user) and scheme.is_editable,
            "can_answer": scheme.state == SchemeState.SENT and is_member(user, scheme.enterprise),
            "can_confirm": scheme.state == SchemeState.ENTERPRISE_CONFIRMED
            and party in (Party.INSTITUTE, Party.DEVELOPER)
            and party.value not in confirmed,
            "can_record_change": scheme.state == SchemeState.FINALISED
            and (is_staff_reviewer(user) or is_member(user, scheme.enterprise)),
            "can_decide_change": is_institute_reviewer(user),
            "decision_form": DecisionForm(),
        },
    )


@require_POST
@grant_access(reviewer)
def scheme_send(request, pk):
    scheme = _scheme_or_404(request, pk)
    attempt(
        request,
        lambda: send_scheme(scheme, request.user),
        _("设计方案已发送给企业确认。"),
    )
    return redirect("applications:scheme_detail", pk=scheme.pk)


@grant_access(enterprise_user)
def scheme_feedback(request, pk):
    scheme = _scheme_or_404(request, pk)
    initial = {
        "contact_person": scheme.enterprise.contact_person,
        "contact_phone": scheme.enterprise.contact_phone,
        "contact_email": scheme.enterprise.contact_email,
    }
    form = FeedbackForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            scheme = answer_scheme(scheme, request.user, form.cleaned_data)
        except ValidationError as error:
            form_errors_from(form, error)
        except TransitionRefused as refusal:
            form.add_error(None, refusal.message)
        else:
            messages.success(request, _("反馈意见确认表已提交。"))
            return redirect("applications:scheme_detail", pk=scheme.pk)
    return render(request, "applications/scheme_feedback.html", {"form": form, "scheme": scheme})


@require_POST
@grant_access(reviewer)
def scheme_confirm(request, pk):
    scheme = _scheme_or_404(request, pk)
    attempt(request, lambda: confirm_scheme(scheme, request.user), _("已确认设计方案。"))
    return redirect("applications:scheme_detail", pk=scheme.pk)


@grant_access(enterprise_user, reviewer)
def change_create(request, pk):
    scheme = _scheme_or_404(request, pk)
    form = ChangeRecordForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            add_change_record(
                scheme, request.user, form.cleaned_data, form.cleaned_data.get("document")
            )
        except AttachmentRejected as rejection:
            form.add_error("document", rejection.reason)
        except ValidationError as error:
            form_errors_from(form, error)
        except TransitionRefused as refusal:
            form.add_error(None, refusal.message)
        else:
            messages.success(request, _("变更记录已登记，待省计量院确认。"))
            return redirect("applications:scheme_detail", pk=scheme.pk)
    return render(request, "applications/change_form.html", {"form": form, "scheme": scheme})


@require_POST
@grant_access(reviewer)
def change_decide(request, pk, decision):
    record = get_object_or_404(change_records_visible_to(request.user), pk=pk)
    form = DecisionForm(request.POST)
    form.is_valid()
    confirm = decision == "confirm"
    attempt(
        request,
        lambda: decide_change_record(
            record, request.user, confirm=confirm, comment=form.cleaned_data.get("comment", "")
        ),
        _("变更记录已确认。") if confirm else _("变更记录未予确认。"),
    )
    return redirect("applications:scheme_detail", pk=record.scheme_id)


@grant_access(reviewer)
def site_survey(request, pk):
    """现场调研 record of a draft (the institute, before it is sent)."""
    scheme = _scheme_or_404(request, pk)
    form = SiteSurveyForm(
        request.POST or None, instance=SiteSurvey.objects.filter(scheme=scheme).first()
    )
    if request.method == "POST" and form.is_valid():
        try:
            record_site_survey(scheme, request.user, form.cleaned_data)
        except TransitionRefused as refusal:
            form.add_error(None, refusal.message)
        else:
            messages.success(request, _("现场调研记录已保存。"))
            return redirect("applications:scheme_detail", pk=scheme.pk)
    return render(request, "applications/scheme_survey.html", {"form": form, "scheme": scheme})


@require_POST
@grant_access(enterprise_user)
def feedback_stamp(request, pk):
    """The enterprise uploads the stamped 7.1 sheet (单位盖章)."""
    feedback = get_object_or_404(
        SchemeFeedback.objects.select_related("scheme", "scheme__enterprise").filter(
            scheme__in=design_schemes_visible_to(request.user)
        ),
        pk=pk,
    )
    form = StampForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("请选择盖章扫描件。"))
    else:
        try:
            upload_feedback_stamp(feedback, request.user, form.cleaned_data["scan"])
        except AttachmentRejected as rejection:
            messages.error(request, rejection.reason)
        else:
            messages.success(request, _("盖章的反馈意见确认表已上传。"))
    return redirect("applications:scheme_detail", pk=feedback.scheme_id)
