"""附表1 as the clerk fills it: a start page that says why when filing cannot succeed, one
page per section ("save and continue"), and a check-your-answers page with the declaration
before submission."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from portal.access import enterprise_user, grant_access
from portal.attachments import attachments_of
from portal.permissions import can_file_for, own_enterprise
from portal.views.outcomes import form_errors_from
from portal.workflow import TransitionRefused

from ..forms import AccessApplicationForm, DeclarationForm
from ..models import AccessApplication, ApplicationState, DesignScheme, Material, SchemeState
from ..permissions import access_applications_visible_to
from ..sections import (
    MATERIALS_KEY,
    SECTION_KEYS,
    SECTIONS,
    answers,
    next_task,
    submit_blockers,
)
from ..services.access import create_application, update_application


def filing_blocker(user, enterprise) -> dict | None:
    """Why this user cannot start an access application now, and what comes next; None
    when a new application can be started."""
    if enterprise is None:
        return {
            "reason": "no_enterprise",
            "title": _("您的账号尚未关联企业"),
            "text": _("请联系本企业的管理员把您加入企业，或联系省计量院。"),
        }
    if not can_file_for(user, enterprise):
        if enterprise.registration_status == "rejected":
            text = _("企业注册未通过审核。请按审核意见修改企业信息后重新提交注册。")
        else:
            text = _(
                "企业注册正在由省计量院审核。审核通过后，省计量院为本企业编制设计方案；"
                "方案定稿、接入端系统建设完成后即可在此填写对接申请。"
            )
        return {"reason": "registration", "title": _("企业注册尚未通过审核"), "text": text}
    open_one = (
        AccessApplication.objects.filter(enterprise=enterprise)
        .exclude(state=ApplicationState.REJECTED)
        .order_by("-created_at")
        .first()
    )
    if open_one is not None:
        return {
            "reason": "open_application",
            "title": _("本企业已有对接申请"),
            "text": _("对接申请（状态：%(s)s）只能有一份。请在该申请中继续办理。")
            % {"s": open_one.get_state_display()},
            "application": open_one,
        }
    if not DesignScheme.objects.filter(enterprise=enterprise, state=SchemeState.FINALISED).exists():
        return {
            "reason": "scheme",
            "title": _("设计方案尚未定稿"),
            "text": _(
                "对接申请须引用本企业已定稿的设计方案。省计量院编制方案并发送后，请在"
                "“设计方案”中反馈确认；企业、省计量院和省平台开发单位三方确认后方案定稿，"
                "接入端系统按方案建设完成后即可填写对接申请。"
            ),
            "schemes": True,
        }
    return None


def _latest_finalised_scheme(enterprise):
    return (
        DesignScheme.objects.filter(enterprise=enterprise, state=SchemeState.FINALISED)
        .order_by("-created_at", "-pk")
        .first()
    )


def _task_url(application, key):
    if key is None:
        return reverse("applications:application_check", args=[application.pk])
    if key == MATERIALS_KEY:
        return reverse("applications:application_detail", args=[application.pk]) + "#materials"
    return reverse("applications:application_section", args=[application.pk, key])


@grant_access(enterprise_user)
def application_create(request):
    """The first section (申请单位), filled in from the registration; saving it opens the
    draft. Anyone who could not file is told why instead of being offered the form."""
    enterprise = own_enterprise(request.user)
    blocker = filing_blocker(request.user, enterprise)
    if blocker is not None:
        return render(
            request,
            "applications/application_blocked.html",
            {"blocker": blocker, "enterprise": enterprise},
        )
    section = SECTIONS[0]
    form = AccessApplicationForm(request.POST or None, enterprise=enterprise, section=section)
    if request.method == "POST" and form.is_valid():
        data = {**form.service_data(), "design_scheme": _latest_finalised_scheme(enterprise)}
        try:
            application = create_application(request.user, enterprise, data)
        except ValidationError as error:
            form_errors_from(form, error)
        except TransitionRefused as refusal:
            form.add_error(None, refusal.message)
        else:
            messages.success(request, _("对接申请草稿已保存。"))
            return redirect(_task_url(application, next_task(application, section.key)))
    return render(
        request,
        "applications/application_section.html",
        {
            "form": form,
            "enterprise": enterprise,
            "section": section,
            "sections": SECTIONS,
            "creating": True,
        },
    )


def _editable_or_redirect(request, pk):
    application = access_applications_visible_to(request.user).filter(pk=pk).first()
    if application is None:
        raise Http404
    if not (application.is_editable and can_file_for(request.user, application.enterprise)):
        messages.info(
            request,
            _("对接申请当前状态为“%(s)s”，不能修改。") % {"s": application.get_state_display()},
        )
        return application, redirect("applications:application_detail", pk=application.pk)
    return application, None


@grant_access(enterprise_user)
def application_section(request, pk, section):
    application, away = _editable_or_redirect(request, pk)
    if away is not None:
        return away
    if section not in SECTION_KEYS:
        raise Http404
    current = SECTION_KEYS[section]
    form = AccessApplicationForm(
        request.POST or None,
        instance=application,
        enterprise=application.enterprise,
        section=current,
    )
    if request.method == "POST" and form.is_valid():
        try:
            saved = update_application(application, request.user, form.service_data())
        except ValidationError as error:
            form_errors_from(form, error)
        except TransitionRefused as refusal:
            form.add_error(None, refusal.message)
        else:
            messages.success(request, _("“%(t)s”已保存。") % {"t": current.title})
            if "return" in request.POST:
                return redirect("applications:application_detail", pk=saved.pk)
            return redirect(_task_url(saved, next_task(saved, current.key)))
    return render(
        request,
        "applications/application_section.html",
        {
            "form": form,
            "enterprise": application.enterprise,
            "application": application,
            "section": current,
            "sections": SECTIONS,
        },
    )


@grant_access(enterprise_user)
def application_edit(request, pk):
    """The old single form's address: on to the first unfinished section."""
    application, away = _editable_or_redirect(request, pk)
    if away is not None:
        return away
    key = next_task(application)
    return redirect(_task_url(application, key if key != MATERIALS_KEY else SECTIONS[0].key))


@grant_access(enterprise_user)
def application_check(request, pk):
    """Check your answers: every answer by section with a link to change it, the
    materials, what still stops submission, and the declaration."""
    application, away = _editable_or_redirect(request, pk)
    if away is not None:
        return away
    attachments = list(attachments_of(application).order_by("kind", "uploaded_at"))
    return render(
        request,
        "applications/application_check.html",
        {
            "application": application,
            "answers": answers(application),
            "materials": [
                (kind, [a for a in attachments if a.kind == kind.value]) for kind in Material
            ],
            "blockers": submit_blockers(application),
            "declaration_form": DeclarationForm(),
        },
    )
