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

from ..forms import ChangeRecordForm, FeedbackForm, SchemeForm, formset_rows, scheme_formsets
from ..models import Party, SchemeState, party_of
from ..permissions import change_records_visible_to, design_schemes_visible_to
from ..services.schemes import (
    add_change_record,
    answer_scheme,
    confirm_scheme,
    create_scheme,
    decide_change_record,
    send_scheme,
    update_scheme,
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
        document = form.cleaned_data.get("document")
        try:
            if scheme is None:
                scheme = create_scheme(
                    request.user, form.cleaned_data["enterprise"], data, document
                )
                messages.success(request, _("设计方案 %(n)s 已创建。") % {"n": scheme.number})
            else:
                scheme = update_scheme(scheme, request.user, data, document)
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


@grant_access(enterprise_user, reviewer)
def scheme_detail(request, pk):
    scheme = _scheme_or_404(request, pk)
    user = request.user
    party = party_of(user, scheme)
    confirmed = {
        c.party: c for c in scheme.confirmations_of_revision().select_related("confirmed_by")
    }
    return render(
        request,
        "applications/scheme_detail.html",
        {
            "scheme": scheme,
            "documents": attachments_of(scheme, "scheme_document"),
            "feedback": scheme.feedback.select_related("submitted_by"),
            "confirmations": [(p, confirmed.get(p.value)) for p in Party],
            "change_records": scheme.change_records.select_related("recorded_by", "decided_by"),
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
