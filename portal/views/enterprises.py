from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ..access import enterprise_user, government, grant_access, reviewer
from ..forms import DecisionForm, EnterpriseForm
from ..models import AuditEvent, Region, RegistrationStatus, Stage
from ..permissions import (
    attachments_visible_to,
    audit_events_visible_to,
    can_edit_enterprise,
    enterprises_visible_to,
    get_enterprise_or_404,
    locked_enterprise_fields,
)
from ..roles import is_government_viewer, is_staff_reviewer
from ..services import approve_registration, overturn_rejection, reject_registration
from ..sorting import Column, headers, ordering
from ..workflow import TransitionRefused

ENTERPRISE_COLUMNS = [
    Column("name", "name_pinyin"),
    Column("uscc", "uscc"),
    Column("region", "region"),
    Column("stage", "stage", descending_first=True),
    Column("status", "registration_status"),
]


@grant_access(reviewer, government)
def enterprise_list(request):
    sort, order = ordering(ENTERPRISE_COLUMNS, request.GET.get("sort", ""), "name")
    enterprises = enterprises_visible_to(request.user).order_by(order, "pk")
    region = request.GET.get("region", "")
    stage = request.GET.get("stage", "")
    status = request.GET.get("status", "")
    query = request.GET.get("q", "").strip()
    if region:
        enterprises = enterprises.filter(region=region)
    if stage.isdigit():
        enterprises = enterprises.filter(stage=int(stage))
    if status:
        enterprises = enterprises.filter(registration_status=status)
    if query:
        enterprises = enterprises.filter(name__icontains=query) | enterprises.filter(
            uscc__icontains=query
        )
    page = Paginator(enterprises, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "portal/enterprise_list.html",
        {
            "page": page,
            "regions": Region.choices,
            "stages": Stage.choices,
            "statuses": RegistrationStatus.choices,
            "filters": {"region": region, "stage": stage, "status": status, "q": query},
            "sort": sort,
            "headers": headers(request, ENTERPRISE_COLUMNS, sort),
        },
    )


@grant_access(reviewer)
def registration_queue(request):
    return redirect(f"{reverse('enterprise_list')}?status={RegistrationStatus.PENDING}")


@grant_access(enterprise_user, reviewer, government)
def enterprise_detail(request, pk):
    enterprise = get_enterprise_or_404(request.user, pk)
    return render(
        request,
        "portal/enterprise_detail.html",
        {
            "enterprise": enterprise,
            "members": enterprise.memberships.select_related("user"),
            # Through the scopers: a region's viewer sees neither the application materials
            # and scheme documents nor the audit trail (DESIGN §1).
            "attachments": attachments_visible_to(request.user).filter(enterprise=enterprise)[:20],
            "events": audit_events_visible_to(request.user).filter(enterprise=enterprise)[:50],
            "show_timeline": not is_government_viewer(request.user),
            "can_edit": can_edit_enterprise(request.user, enterprise),
            "can_review": is_staff_reviewer(request.user)
            and enterprise.registration_status != RegistrationStatus.APPROVED,
            "decision_form": DecisionForm(),
        },
    )


@grant_access(enterprise_user, reviewer)
def enterprise_edit(request, pk):
    enterprise = get_enterprise_or_404(request.user, pk)
    if not can_edit_enterprise(request.user, enterprise):
        raise PermissionDenied(_("只有企业管理员可以修改企业信息。"))
    form = EnterpriseForm(request.POST or None, instance=enterprise)
    for name in locked_enterprise_fields(request.user, enterprise):
        form.fields[name].disabled = True  # shown, but posted values are ignored
        form.fields[name].help_text = _("注册审核通过后如需更正，请联系省计量院。")
    if request.method == "POST" and form.is_valid():
        changed = form.changed_data
        form.save()
        AuditEvent.record(
            enterprise, request.user, "enterprise_updated", context={"fields": changed}
        )
        messages.success(request, _("企业信息已保存。"))
        return redirect("enterprise_detail", pk=enterprise.pk)
    return render(request, "portal/enterprise_form.html", {"form": form, "enterprise": enterprise})


@require_POST
@grant_access(reviewer)
def enterprise_decide(request, pk, decision):
    enterprise = get_enterprise_or_404(request.user, pk)
    form = DecisionForm(request.POST)
    form.is_valid()
    comment = form.cleaned_data.get("comment", "")
    try:
        if decision == "approve":
            approve_registration(enterprise, request.user, comment)
            messages.success(request, _("已通过“%(name)s”的注册。") % {"name": enterprise.name})
        elif decision == "overturn":
            overturn_rejection(enterprise, request.user, comment)
            messages.success(request, _("已通过“%(name)s”的注册。") % {"name": enterprise.name})
        else:
            reject_registration(enterprise, request.user, comment)
            messages.warning(request, _("已退回“%(name)s”的注册。") % {"name": enterprise.name})
    except TransitionRefused as refusal:
        messages.error(request, refusal.message)
    return redirect("enterprise_detail", pk=enterprise.pk)
