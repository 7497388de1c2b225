"""年度审核 pages: the plan (reviewer), the written review (enterprise answers, reviewer
grades), the evidence pack as a page with a chart and as an XLSX sheet."""

import io

from django.conf import settings
from django.contrib import messages
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from openpyxl import Workbook

from portal.access import enterprise_user, government, grant_access, reviewer
from portal.attachments import AttachmentRejected
from portal.models import AuditEvent
from portal.permissions import attachments_visible_to
from portal.roles import is_staff_reviewer
from portal.spreadsheets import safe_cell
from portal.views.outcomes import attempt
from portal.workflow import TransitionRefused, available_transitions

from ..choices import AuditSituation, AuditState
from ..evidence import evidence_pack
from ..forms import ComparisonForm
from ..models import AuditAnswer, AuditPlan
from ..permissions import audits_visible_to
from ..services.audits import (
    EVIDENCE_KIND,
    accepted_on,
    add_checklist_item,
    add_spot_comparison,
    answer,
    audited_year,
    create_plan,
    draw_sample,
    grade,
    grade_line,
    record_spot_findings,
    remove_evidence,
    submit,
)


@grant_access(enterprise_user, reviewer, government)
def audit_list(request):
    audits = audits_visible_to(request.user).order_by("-plan__year", "enterprise__name")[:500]
    plans = AuditPlan.objects.order_by("-year") if is_staff_reviewer(request.user) else []
    return render(
        request,
        "acceptance/audit_list.html",
        {"audits": audits, "plans": plans, "this_year": audited_year(timezone.localdate())},
    )


@require_POST
@grant_access(reviewer)
def plan_create(request):
    year = audited_year(timezone.localdate())
    plan = create_plan(year, request.user)
    messages.success(
        request,
        _("%(y)s 年度审核计划已就绪，共 %(n)s 家企业。") % {"y": year, "n": plan.audits.count()},
    )
    return redirect("acceptance:plan_detail", pk=plan.pk)


@grant_access(reviewer)
def plan_detail(request, pk):
    plan = get_object_or_404(AuditPlan, pk=pk)
    audits = plan.audits.select_related("enterprise").order_by("enterprise__name")
    return render(
        request,
        "acceptance/plan_detail.html",
        {
            "plan": plan,
            "audits": audits,
            "checklist": plan.checklist.all(),
            "sample": set(plan.sample),
        },
    )


@require_POST
@grant_access(reviewer)
def plan_add_item(request, pk):
    plan = get_object_or_404(AuditPlan, pk=pk)
    try:
        attempt(
            request,
            lambda: add_checklist_item(plan, request.user, request.POST.get("text", "")),
            _("已追加审核内容。"),
        )
    except ValidationError as error:
        messages.error(request, "；".join(error.messages))
    return redirect("acceptance:plan_detail", pk=plan.pk)


@require_POST
@grant_access(reviewer)
def plan_sample(request, pk):
    plan = get_object_or_404(AuditPlan, pk=pk)
    attempt(
        request,
        lambda: draw_sample(plan, request.user, request.POST.get("seed") or None),
        _("已抽取现场抽查企业。"),
    )
    return redirect("acceptance:plan_detail", pk=plan.pk)


def _audit_or_404(request, pk):
    return get_object_or_404(audits_visible_to(request.user), pk=pk)


def chart_data(pack) -> dict:
    """Monthly completeness of the whole enterprise (received / expected, %)."""
    months: dict[str, list[int]] = {}
    for row in pack["months"]:
        total = months.setdefault(row["month"], [0, 0])
        total[0] += row["received"]
        total[1] += row["expected"]
    labels = sorted(months)
    return {
        "labels": labels,
        "label": _("完整率（%）"),
        "values": [
            round(100 * months[m][0] / months[m][1], 2) if months[m][1] else 0 for m in labels
        ],
    }


def evidence_files(user, answers) -> dict[int, list]:
    """Evidence files per checklist line, those ``user`` may open, in one query."""
    by_answer = {a.pk: a.item_id for a in answers}
    files: dict[int, list] = {}
    if not by_answer:
        return files
    rows = (
        attachments_visible_to(user)
        .filter(
            content_type=ContentType.objects.get_for_model(AuditAnswer),
            object_id__in=by_answer,
        )
        .order_by("uploaded_at", "pk")
    )
    for row in rows:
        files.setdefault(by_answer[row.object_id], []).append(row)
    return files


@grant_access(enterprise_user, reviewer, government)
def audit_detail(request, pk):
    audit = _audit_or_404(request, pk)
    pack = audit.evidence or evidence_pack(audit, accepted_on(audit.enterprise))
    answers = {a.item_id: a for a in audit.answers.all()}
    grades = {g.item_id: g for g in audit.grades.all()}
    files = evidence_files(request.user, answers.values())
    sampled = audit.enterprise_id in audit.plan.sample
    can_spot = (
        sampled
        and is_staff_reviewer(request.user)
        and audit.state not in (AuditState.PASSED, AuditState.FAILED)
    )
    lines = [
        (item, answers.get(item.pk), grades.get(item.pk), files.get(item.pk, []))
        for item in audit.plan.checklist.all()
    ]
    return render(
        request,
        "acceptance/audit_detail.html",
        {
            "audit": audit,
            "lines": lines,
            "pack": pack,
            "chart": chart_data(pack),
            "grade_scale": settings.AUDIT_GRADE_SCALE,
            "situations": AuditSituation.choices,
            "sampled": sampled,
            "can_spot": can_spot,
            "comparisons": audit.comparisons.select_related("item"),
            "comparison_form": ComparisonForm(enterprise=audit.enterprise) if can_spot else None,
            "can_answer": audit.state == AuditState.PLANNED and enterprise_user(request.user),
            "can_grade": audit.state == AuditState.SUBMITTED and is_staff_reviewer(request.user),
            "transitions": available_transitions(audit, request.user, "state"),
            "events": AuditEvent.objects.for_object(audit)[:50],
        },
    )


@require_POST
@grant_access(enterprise_user)
def audit_answer(request, pk):
    audit = _audit_or_404(request, pk)
    answers = {
        int(key.removeprefix("answer-")): value
        for key, value in request.POST.items()
        if key.startswith("answer-") and key.removeprefix("answer-").isdigit()
    }
    files = {
        int(key.removeprefix("evidence-")): request.FILES.getlist(key)
        for key in request.FILES
        if key.startswith("evidence-") and key.removeprefix("evidence-").isdigit()
    }
    try:
        answer(audit, request.user, answers, files)
        if request.POST.get("submit"):
            submit(audit, request.user)
            messages.success(request, _("书面审核材料已提交。"))
        else:
            messages.success(request, _("已保存。"))
    except AttachmentRejected as refusal:
        messages.error(request, refusal.reason)
    except (ValidationError, TransitionRefused) as refusal:
        messages.error(request, getattr(refusal, "message", None) or "；".join(refusal.messages))
    return redirect("acceptance:audit_detail", pk=audit.pk)


@require_POST
@grant_access(enterprise_user)
def audit_evidence_remove(request, pk, file_pk):
    audit = _audit_or_404(request, pk)
    attachment = get_object_or_404(
        attachments_visible_to(request.user).filter(
            content_type=ContentType.objects.get_for_model(AuditAnswer),
            object_id__in=audit.answers.values("pk"),
            kind=EVIDENCE_KIND,
        ),
        pk=file_pk,
    )
    attempt(
        request,
        lambda: remove_evidence(audit, request.user, attachment),
        _("已删除证据文件“%(n)s”。") % {"n": attachment.original_name},
    )
    return redirect("acceptance:audit_detail", pk=audit.pk)


@require_POST
@grant_access(reviewer)
def audit_grade_line(request, pk):
    audit = _audit_or_404(request, pk)
    item = request.POST.get("item", "")
    try:
        attempt(
            request,
            lambda: grade_line(
                audit,
                request.user,
                int(item) if item.isdigit() else 0,
                request.POST.get("grade", ""),
                request.POST.get("note", ""),
            ),
            _("已评定。"),
        )
    except ValidationError as error:
        messages.error(request, "；".join(error.messages))
    return redirect("acceptance:audit_detail", pk=audit.pk)


@require_POST
@grant_access(reviewer)
def audit_grade(request, pk):
    audit = _audit_or_404(request, pk)
    passed = request.POST.get("result") == "pass"
    situations = {c: request.POST.get(f"situation-{c}", "") for c in AuditSituation.values}
    try:
        attempt(
            request,
            lambda: grade(
                audit,
                request.user,
                passed=passed,
                opinion=request.POST.get("opinion", ""),
                situations=situations,
            ),
            _("已作出年度审核结论。"),
        )
    except ValidationError as error:
        messages.error(request, "；".join(error.messages))
    return redirect("acceptance:audit_detail", pk=audit.pk)


@require_POST
@grant_access(reviewer)
def audit_spot(request, pk):
    audit = _audit_or_404(request, pk)
    try:
        attempt(
            request,
            lambda: record_spot_findings(
                audit,
                request.user,
                layout=request.POST.get("layout", ""),
                devices=request.POST.get("devices", ""),
                collection=request.POST.get("collection", ""),
                remarks=request.POST.get("remarks", ""),
            ),
            _("已记录现场抽查情况。"),
        )
    except ValidationError as error:
        messages.error(request, "；".join(error.messages))
    return redirect("acceptance:audit_detail", pk=audit.pk)


@require_POST
@grant_access(reviewer)
def audit_spot_comparison(request, pk):
    audit = _audit_or_404(request, pk)
    form = ComparisonForm(request.POST, enterprise=audit.enterprise)
    if not form.is_valid():
        messages.error(request, "；".join(e for errors in form.errors.values() for e in errors))
        return redirect("acceptance:audit_detail", pk=audit.pk)
    try:
        attempt(
            request,
            lambda: add_spot_comparison(
                audit,
                request.user,
                item_id=form.cleaned_data["item"].pk,
                meter=form.cleaned_data["meter"],
                read_at=form.cleaned_data["read_at"],
                site_value=form.cleaned_data["site_value"],
            ),
            _("已记录比对读数。"),
        )
    except ValidationError as error:
        messages.error(request, "；".join(error.messages))
    return redirect("acceptance:audit_detail", pk=audit.pk)


@grant_access(enterprise_user, reviewer, government)
def audit_evidence_xlsx(request, pk):
    audit = _audit_or_404(request, pk)
    pack = audit.evidence or evidence_pack(audit, accepted_on(audit.enterprise))
    book = Workbook()
    sheet = book.active
    sheet.title = "月度数据"
    sheet.append(
        [
            "数据采集项编码",
            "名称",
            "月份",
            "应报时段",
            "到达时段",
            "按时时段",
            "完整率%",
            "上传成功率%",
            "一次上传成功率%",
        ]
    )
    for row in pack["months"]:
        sheet.append(
            [
                safe_cell(row["item"]),
                safe_cell(row["name"]),
                row["month"],
                row["expected"],
                row["received"],
                row["on_time"],
                row["completeness"],
                row["success"],
                row["on_time_rate"],
            ]
        )
    flags = book.create_sheet("中转标记")
    flags.append(["首次", "最近", "来源地址", "状态", "说明"])
    for f in pack["relay_flags"]:
        flags.append(
            [
                f["first_seen"],
                f["last_seen"],
                safe_cell(f["source_ip"]),
                f["status"],
                safe_cell(f["reason"]),
            ]
        )
    silent = book.create_sheet("无数据时段")
    silent.append(["起", "止", "天数"])
    for run in pack["silent_runs"]:
        silent.append([run["from"], run["to"], run["days"]])
    out = io.BytesIO()
    book.save(out)
    response = HttpResponse(
        out.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = (
        f'attachment; filename="audit-{audit.plan.year}-{audit.enterprise_id}.xlsx"'
    )
    return response
