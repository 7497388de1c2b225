"""Public pages: the blank forms the seed names (to print, fill, stamp and upload) and the
seed's Part 4 常见问题 answered from the portal's rules."""

from dataclasses import dataclass

from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from applications.models import Material, SchemeFeedback
from portal.access import grant_access, public
from reports.rendering import render_pdf


@dataclass(frozen=True)
class BlankForm:
    slug: str
    title: str
    stage: str
    note: str
    template: str = ""


BLANK_FORMS = (
    BlankForm(
        "feedback",
        _("7.1 反馈意见确认表"),
        _("设计方案确认"),
        _("收到设计方案后填写、盖章，也可在平台上在线填写后打印"),
        "acceptance/pdf/blank/feedback.html",
    ),
    BlankForm(
        "change-record",
        _("设计方案变更记录"),
        _("企业接入端系统建设"),
        _("方案变更时记录变更时间、内容、理由，由变更单位盖章"),
        "acceptance/pdf/blank/change_record.html",
    ),
    BlankForm(
        "pledge",
        _("企业数据真实性承诺书"),
        _("对接申请"),
        _("附表1 和验收申请（表1 第 6 项）所需材料，盖章后上传"),
        "acceptance/pdf/blank/pledge.html",
    ),
    BlankForm(
        "access-application",
        _("附表1 重点用能单位能耗在线监测企业接入端系统对接申请表"),
        _("对接申请"),
        _("也可在平台上在线填写后打印盖章"),
        "acceptance/pdf/blank/access_application.html",
    ),
    BlankForm(
        "acceptance-application",
        _("附表2 重点用能单位能耗在线监测企业接入端系统项目验收申请表"),
        _("验收申请"),
        _("需加盖单位公章，以电子文档格式提交"),
        "acceptance/pdf/blank/acceptance_application.html",
    ),
    BlankForm(
        "rectification-report",
        _("整改报告"),
        _("整改"),
        _("收到整改通知后按期整改，在平台提交整改报告并上传证明材料"),
        "acceptance/pdf/blank/rectification_report.html",
    ),
)
# Documents the institute issues itself: named here, obtained from the institute.
INSTITUTE_DOCUMENTS = (
    (_("湖北省CA证书申请表"), _("对接申请时随附表1提交，由省计量院提供")),
    (
        _("湖北省重点用能单位能耗在线监测系统能耗监测端设备测试技术规范"),
        _("选择实施单位和端设备的依据，由省计量院提供"),
    ),
    (_("湖北省能耗在线监测企业接入端系统验收参考指南"), _("组织现场验收的依据，由省计量院提供")),
    (
        _("湖北省企业端 CA 证书集成及数据对接资料"),
        _("对接申请审核通过后由省计量院通过邮件发送"),
    ),
)
FORMS_BY_SLUG = {form.slug: form for form in BLANK_FORMS}


@grant_access(public)
def documents(request):
    return render(
        request,
        "acceptance/documents.html",
        {"forms": BLANK_FORMS, "institute_documents": INSTITUTE_DOCUMENTS},
    )


@grant_access(public)
def blank_form(request, slug):
    form = FORMS_BY_SLUG.get(slug)
    if form is None:
        raise Http404
    context = {
        "questions": [
            SchemeFeedback._meta.get_field(name).verbose_name for name in SchemeFeedback.QUESTIONS
        ],
        "materials": [label for value, label in Material.choices if value != "ca_application_form"],
    }
    response = HttpResponse(render_pdf(form.template, context), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{slug}.pdf"'
    return response


@grant_access(public)
def faq(request):
    rules = {
        "trial_days": settings.TELEMETRY_TRIAL_DAYS,
        "success_rate": f"{(settings.TELEMETRY_TRIAL_SUCCESS_RATE * 100).normalize():f}%",
        "rectification_days": settings.RECTIFICATION_DAYS,
        "spot_percent": settings.AUDIT_SPOT_CHECK_PERCENT,
        "plan_date": "{}月{}日".format(*settings.AUDIT_PLAN_DATE),
        "submission_days": settings.AUDIT_SUBMISSION_DAYS,
    }
    return render(request, "acceptance/faq.html", {"rules": rules})
