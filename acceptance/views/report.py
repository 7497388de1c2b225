"""验收报告 pages: the panel writes it, five roles sign it, the institute issues it."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_POST

from applications.services.meters import ledger_summary
from portal.access import enterprise_user, government, grant_access, panel_member, public, reviewer
from portal.models import AuditEvent
from portal.ratelimit import rate_limit
from portal.views.outcomes import attempt, form_errors_from
from portal.workflow import TransitionRefused, available_transitions

from .. import materials
from ..as_built import as_built
from ..choices import SignatureRole
from ..forms import LinkSignForm, ReportForm, SignForm
from ..models.report import can_record_report
from ..permissions import acceptance_reports_visible_to, onsites_visible_to
from ..services.applications import differences
from ..services.outcome import issue_result
from ..services.report import (
    draft_report,
    link_for,
    may_sign_as,
    put_for_signature,
    send_signing_code,
    sign_by_link,
    sign_report,
    update_report,
)

EVERYONE = (enterprise_user, reviewer, government, panel_member)


def _report_or_404(request, pk):
    return get_object_or_404(acceptance_reports_visible_to(request.user), pk=pk)


@require_POST
@grant_access(reviewer, government, panel_member)
def report_draft(request, onsite_pk):
    onsite = get_object_or_404(onsites_visible_to(request.user), pk=onsite_pk)
    try:
        report = draft_report(onsite, request.user)
    except TransitionRefused as refusal:
        messages.error(request, refusal.message)
        return redirect("acceptance:onsite_detail", pk=onsite.pk)
    return redirect("acceptance:report_detail", pk=report.pk)


def scheme_evidence(application) -> list[str]:
    """Item 2: the finalised design scheme against what was built, difference by difference,
    and the 附表2 rows that differ from what the portal holds."""
    built = as_built(application.enterprise)
    sep = pgettext("list separator", "、")
    if not built.has_scheme:
        lines = [_("未找到已定稿的设计方案，无法比对。")]
    elif not built.differences:
        lines = [
            _("与设计方案 %(s)s 一致：能源种类、一级计量器具和监测点均已建成。")
            % {"s": built.scheme_number}
        ]
    else:
        lines = [_("与设计方案 %(s)s 的差异：") % {"s": built.scheme_number}]
    if built.energies_not_built:
        lines.append(
            _("方案有而未采集的能源种类：%(e)s") % {"e": sep.join(built.energies_not_built)}
        )
    if built.energies_not_planned:
        lines.append(
            _("已采集而方案未列的能源种类：%(e)s") % {"e": sep.join(built.energies_not_planned)}
        )
    for row in built.instruments_missing:
        lines.append(
            _("方案中的一级计量器具未在台账登记：%(e)s %(i)s %(m)s（%(l)s）")
            % {"e": row["energy"], "i": row["instrument"], "m": row["model"], "l": row["location"]}
        )
    for row in built.points_short:
        lines.append(
            _("%(e)s 监测点：方案 %(p)s 个，启用的数据采集项 %(b)s 个")
            % {"e": row["energy"], "p": row["planned"], "b": row["built"]}
        )
    if built.idle_devices:
        lines.append(_("已登记但无启用采集项的端设备：%(d)s") % {"d": sep.join(built.idle_devices)})
    for difference in differences(application):
        lines.append(_("附表2与省平台记录不同：%(d)s") % {"d": _difference_text(difference)})
    return lines


def _difference_text(difference: dict) -> str:
    return _("%(l)s（省平台：%(s)s；申请表：%(v)s）") % {
        "l": difference["label"],
        "s": difference["source"],
        "v": difference["value"],
    }


def evidence(report) -> dict:
    """What stands behind each of the four items, shown beside it."""
    application = report.onsite.application
    checklist = materials.checklist(application)
    ledger = ledger_summary(application.enterprise)
    return {
        "materials": _("表1材料已齐 %(d)s/%(t)s 项")
        % {"d": checklist.done, "t": len(checklist.lines)},
        "consistency": scheme_evidence(application),
        "data": _("现场比对读数 %(n)s 条，其中在允许偏差内 %(w)s 条")
        % {
            "n": report.onsite.comparisons.count(),
            "w": report.onsite.comparisons.filter(within=True).count(),
        }
        + _("；现场考察照片 %(p)s 张") % {"p": report.onsite.photos.count()}
        + _("；计量器具台账 %(m)s 台，检定/校准过期 %(e)s 台，GB 17167 配备不足 %(s)s 项")
        % {"m": ledger["count"], "e": len(ledger["expired"]), "s": len(ledger["shortfalls"])},
        "om": _("后续运维方案或运维合同：%(s)s")
        % {
            "s": _("已提交")
            if checklist.line("12_om_plan") and checklist.line("12_om_plan").complete
            else _("未提交")
        },
    }


@grant_access(*EVERYONE)
def report_detail(request, pk):
    report = _report_or_404(request, pk)
    user = request.user
    signatures = {s.role: s for s in report.signatures.select_related("user")}
    can_sign_roles = [
        role
        for role in SignatureRole
        if role not in signatures
        and report.state == "signing"
        and may_sign_as(report, user, role) is None
    ]
    proof = evidence(report)
    return render(
        request,
        "acceptance/report_detail.html",
        {
            "report": report,
            "items": [
                {**item, "evidence": proof[item["key"]]}
                if isinstance(proof[item["key"]], str)
                else {**item, "evidence_lines": proof[item["key"]]}
                for item in report.items
            ],
            "signatures": [(role, signatures.get(role.value)) for role in SignatureRole],
            "sign_forms": [
                (role, SignForm(initial={"role": role.value})) for role in can_sign_roles
            ],
            "photos": list(report.onsite.photos.select_related("attachment")),
            "can_write": report.state in ("draft", "signing") and can_record_report(report, user),
            "transitions": available_transitions(report, user, "state"),
            "events": AuditEvent.objects.for_object(report)[:50],
        },
    )


@grant_access(reviewer, government, panel_member)
def report_edit(request, pk):
    report = _report_or_404(request, pk)
    form = ReportForm(request.POST or None, instance=report)
    if request.method == "POST" and form.is_valid():
        try:
            update_report(report, request.user, form.service_data())
        except ValidationError as error:
            form_errors_from(form, error)
        except TransitionRefused as refusal:
            form.add_error(None, refusal.message)
        else:
            messages.success(request, _("验收报告已保存。"))
            return redirect("acceptance:report_detail", pk=report.pk)
    return render(request, "acceptance/report_form.html", {"form": form, "report": report})


@require_POST
@grant_access(reviewer, government, panel_member)
def report_put(request, pk):
    report = _report_or_404(request, pk)
    attempt(
        request,
        lambda: put_for_signature(report, request.user),
        _("验收报告已提交五方签字，已通知签字人并向承建方发送签字链接。"),
    )
    return redirect("acceptance:report_detail", pk=report.pk)


@require_POST
@grant_access(reviewer)
def report_issue(request, pk):
    """The institute issues the five-times signed report: pass → stage 06 and published,
    fail → a rectification notice (acceptance.services.outcome.issue_result)."""
    report = _report_or_404(request, pk)
    attempt(
        request,
        lambda: issue_result(report, request.user),
        _("验收报告已出具，验收结论已生效并公示。"),
    )
    return redirect("acceptance:report_detail", pk=report.pk)


@require_POST
@grant_access(*EVERYONE)
def report_sign(request, pk):
    report = _report_or_404(request, pk)
    form = SignForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请输入密码或验证码以确认签字。"))
        return redirect("acceptance:report_detail", pk=report.pk)
    role = form.cleaned_data["role"]
    try:
        attempt(
            request,
            lambda: sign_report(
                report,
                request.user,
                role,
                password=form.cleaned_data["password"],
                code=form.cleaned_data["code"],
            ),
            _("已以“%(r)s”身份签字。") % {"r": SignatureRole(role).label},
        )
    except PermissionDenied as denied:
        messages.error(request, str(denied))
    return redirect("acceptance:report_detail", pk=report.pk)


@require_POST
@grant_access(*EVERYONE)
@rate_limit("sign_link")
def report_sign_code(request, pk):
    """E-mail the signer a one-time code to sign with instead of the password."""
    report = _report_or_404(request, pk)
    role = request.POST.get("role", "")
    if role not in SignatureRole.values:
        messages.error(request, _("请选择签字身份。"))
        return redirect("acceptance:report_detail", pk=report.pk)
    try:
        attempt(
            request,
            lambda: send_signing_code(report, request.user, role),
            _("验证码已发送至 %(e)s，10 分钟内有效。") % {"e": request.user.email},
        )
    except PermissionDenied as denied:
        messages.error(request, str(denied))
    return redirect("acceptance:report_detail", pk=report.pk)


@grant_access(public)
@rate_limit("sign_link")
def report_sign_link(request, token):
    """The contractor's representative signs through the one-time link (no account)."""
    link = link_for(token)
    if link is None:
        return render(
            request,
            "acceptance/not_yet.html",
            {"reason": _("签字链接无效、已使用或已过期，请联系省计量院重新发送。")},
            status=404,
        )
    form = LinkSignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            sign_by_link(token, form.cleaned_data["name"])
        except (PermissionDenied, TransitionRefused, ValidationError) as refusal:
            form.add_error(None, getattr(refusal, "message", None) or str(refusal))
        else:
            return render(request, "acceptance/report_signed_by_link.html", {"report": link.report})
    return render(
        request,
        "acceptance/report_sign_link.html",
        {"report": link.report, "items": link.report.items, "form": form},
    )
