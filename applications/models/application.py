"""对接申请 (seed 附表1): the enterprise asks to connect its finished system."""

import hashlib
import json

from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import FSMField, FSMModelMixin, transition

from portal.catalogue import energy_labels
from portal.roles import member_permission, staff_reviewer_permission
from portal.uscc import validate_uscc
from portal.workflow import condition

from .scheme import SchemeState


class ApplicationState(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("已提交")
    UNDER_REVIEW = "under_review", _("审核中")
    RETURNED = "returned", _("退回修改")
    # The same words label the reviewer's buttons; as states they read "Not approved" and
    # "Approved" in English, hence their own context.
    REJECTED = "rejected", pgettext_lazy("state", "不予通过")
    APPROVED = "approved", pgettext_lazy("state", "审核通过")


class Material(models.TextChoices):
    """申报所需材料 of 附表1, plus the Hubei CA certificate application form (申请对接阶段)."""

    CONSTRUCTION_CONTRACT = "construction_contract", _("企业端系统建设合同复印件")
    DEVICE_TEST_REPORT = (
        "device_test_report",
        _("湖北省重点用能单位能耗在线监测系统能耗监测端设备测试报告"),
    )
    AUTHENTICITY_PLEDGE = "authenticity_pledge", _("企业数据真实性承诺书")
    ANNUAL_ENERGY_REPORTS = "annual_energy_reports", _("“十三五”期间申请单位能耗年度报表")
    SITE_PHOTOS = "site_photos", _("数据采集点位现场照片")
    STAMPED_SCHEME = "stamped_scheme", _("三方盖章确认的设计方案（企业、省计量院、省平台开发单位）")
    CA_APPLICATION_FORM = "ca_application_form", _("湖北省CA证书申请表")


REQUIRED_MATERIALS = tuple(Material)
# The six 申报所需材料 printed on 附表1; the CA certificate application form is a separate
# paper of the same stage (申请对接阶段), uploaded but not printed on the form.
PRINTED_MATERIALS = tuple(m for m in Material if m != Material.CA_APPLICATION_FORM)
# The stamped, signed 附表1 the enterprise uploads after approval (表1 material 4).
STAMPED_SCAN = "stamped_access_application"

# Every answer of 附表1, in the paper form's order; a draft may lack some, submission none.
ANSWERS = (
    "applicant_name",
    "uscc",
    "application_date",
    "contact_person",
    "contact_phone",
    "contact_email",
    "design_scheme",
    "builder_name",
    "builder_manager",
    "builder_phone",
    "builder_email",
    "project_start",
    "project_end",
    "device_manufacturer",
    "device_model",
    "device_serial",
    "device_manufactured_on",
    "energy_types",
    "monitoring_points",
    "om_contract_end",
)


class AccessApplicationQuerySet(models.QuerySet):
    def approved_for(self, enterprise) -> "AccessApplication | None":
        """The enterprise's approved application (the latest, should a second be approved)."""
        return (
            self.filter(enterprise=enterprise, state=ApplicationState.APPROVED)
            .order_by("-reviewed_at")
            .first()
        )


class AccessApplication(FSMModelMixin, models.Model):
    """重点用能单位能耗在线监测企业接入端系统对接申请表 (附表1)."""

    enterprise = models.ForeignKey(
        "portal.Enterprise",
        verbose_name=_("申请单位"),
        on_delete=models.PROTECT,
        related_name="access_applications",
    )
    state = FSMField(
        _("状态"),
        max_length=20,
        choices=ApplicationState,
        default=ApplicationState.DRAFT,
        protected=True,
    )
    # 申请单位信息（申请单位填写）. Fields other than the scheme may stay empty in a draft,
    # which is filled section by section (applications/sections.py); submitting needs all.
    applicant_name = models.CharField(_("申请单位名称"), max_length=200)
    uscc = models.CharField(_("统一社会信用代码"), max_length=18, validators=[validate_uscc])
    application_date = models.DateField(_("申请日期"), default=timezone.localdate)
    contact_person = models.CharField(_("申请单位联系人"), max_length=50, blank=True)
    contact_phone = models.CharField(_("联系人电话"), max_length=30, blank=True)
    contact_email = models.EmailField(_("联系人邮箱"), blank=True)
    design_scheme = models.ForeignKey(
        "applications.DesignScheme",
        verbose_name=_("设计方案编号"),
        on_delete=models.PROTECT,
        related_name="access_applications",
    )
    builder_name = models.CharField(_("端系统建设单位名称"), max_length=200, blank=True)
    builder_manager = models.CharField(_("项目负责人"), max_length=50, blank=True)
    builder_phone = models.CharField(_("项目负责人联系电话"), max_length=30, blank=True)
    builder_email = models.EmailField(_("项目负责人联系邮箱"), blank=True)
    # 能耗在线监测企业接入端系统建设信息
    project_start = models.DateField(_("项目开始日期"), null=True, blank=True)
    project_end = models.DateField(_("项目结束日期"), null=True, blank=True)
    device_manufacturer = models.CharField(_("端设备制造厂商"), max_length=200, blank=True)
    device_model = models.CharField(_("端设备型号"), max_length=100, blank=True)
    device_serial = models.CharField(_("端设备编号"), max_length=64, blank=True)
    device_manufactured_on = models.DateField(_("端设备出厂日期"), null=True, blank=True)
    energy_types = models.JSONField(_("采集能源品种"), default=list, blank=True)
    monitoring_points = models.PositiveIntegerField(_("监测点数量"), null=True, blank=True)
    om_contract_end = models.DateField(_("运维合同截止日期"), null=True, blank=True)
    # 审核意见（审核单位填写）
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审核人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    review_comment = models.TextField(_("省平台建设单位审核意见"), blank=True)
    reviewed_at = models.DateTimeField(_("审核日期"), null=True, blank=True)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True, db_index=True)
    # The version of the approved form the uploaded stamped scan stamps (content_sha256()).
    stamps_sha256 = models.CharField(_("盖章扫描件对应版本"), max_length=64, blank=True)
    # The materials; a relation only so that lists can prefetch them (no column).
    attachments = GenericRelation("portal.Attachment")

    objects = AccessApplicationQuerySet.as_manager()

    class Meta:
        verbose_name = _("对接申请")
        verbose_name_plural = _("对接申请")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["state", "submitted_at"])]

    def __str__(self):
        return f"{self.applicant_name} · {self.get_state_display()}"

    @property
    def is_editable(self) -> bool:
        return self.state in (ApplicationState.DRAFT, ApplicationState.RETURNED)

    @property
    def energy_types_display(self) -> str:
        return energy_labels(self.energy_types)

    def answer_display(self, name: str) -> str:
        """An answer as the form shows it (dates ISO, the scheme by number)."""
        value = getattr(self, name)
        if value in (None, "", []):
            return ""
        if name == "design_scheme":
            return value.number
        if name == "energy_types":
            return energy_labels(value)
        if hasattr(value, "isoformat"):
            return value.isoformat()
        return str(value)

    def material_files(self) -> dict[str, list[dict]]:
        """Each material's files by name and SHA-256 (the stamped scan is not a material)."""
        files: dict[str, list[dict]] = {}
        for attachment in sorted(self.attachments.all(), key=lambda a: (a.kind, a.sha256)):
            if attachment.kind in Material.values:
                files.setdefault(attachment.kind, []).append(
                    {"name": attachment.original_name, "sha256": attachment.sha256}
                )
        return files

    def content_sha256(self) -> str:
        """SHA-256 of the form as approved: every answer, every material file, the opinion."""
        content = {
            "answers": {name: self.answer_display(name) for name in ANSWERS},
            "files": self.material_files(),
            "state": self.state,
            "review_comment": self.review_comment,
            "reviewed_at": self.reviewed_at.isoformat() if self.reviewed_at else "",
        }
        encoded = json.dumps(content, sort_keys=True, ensure_ascii=False).encode()
        return hashlib.sha256(encoded).hexdigest()

    def stamped_scans(self) -> list:
        return [a for a in self.attachments.all() if a.kind == STAMPED_SCAN]

    def stamped_scan_is_current(self) -> bool:
        """The uploaded stamped 附表1 stamps the form as it stands (approved, unchanged)."""
        return (
            self.state == ApplicationState.APPROVED
            and bool(self.stamped_scans())
            and self.stamps_sha256 == self.content_sha256()
        )

    def missing_materials(self) -> list[Material]:
        # Iterates .all() rather than querying, so a prefetched list costs no query.
        present = {attachment.kind for attachment in self.attachments.all()}
        return [kind for kind in REQUIRED_MATERIALS if kind not in present]

    # --- guards ---------------------------------------------------------------------------

    @condition(_("申报所需材料不齐全"))
    def has_all_materials(self) -> bool:
        return not self.missing_materials()

    @condition(_("所选设计方案尚未定稿或不属于本企业"))
    def has_finalised_scheme(self) -> bool:
        return (
            self.design_scheme.enterprise_id == self.enterprise_id
            and self.design_scheme.state == SchemeState.FINALISED
        )

    @condition(_("申请表尚有未填写完成的部分"))
    def has_every_answer(self) -> bool:
        return not self.unanswered_fields()

    def unanswered_fields(self) -> list[str]:
        """The answers of 附表1 a draft still lacks (applications/sections.py groups them)."""
        return [name for name in ANSWERS if not self.is_answered(name)]

    def is_answered(self, name: str) -> bool:
        if name == "design_scheme":
            return self.design_scheme_id is not None
        return getattr(self, name) not in (None, "", [])

    has_all_materials.field = "materials"
    has_every_answer.field = "sections"
    has_finalised_scheme.field = "design_scheme"

    # --- transitions ----------------------------------------------------------------------

    @transition(
        state,
        source=[ApplicationState.DRAFT, ApplicationState.RETURNED],
        target=ApplicationState.SUBMITTED,
        conditions=[has_every_answer, has_finalised_scheme, has_all_materials],
        permission=member_permission,
    )
    def submit(self, actor=None):
        """The enterprise files (or refiles) the application.

        Side effects (service): reviewers are told a new application waits in the queue.
        """
        self.submitted_at = timezone.now()

    @transition(
        state,
        source=ApplicationState.SUBMITTED,
        target=ApplicationState.UNDER_REVIEW,
        permission=staff_reviewer_permission,
    )
    def start_review(self, actor=None):
        """A reviewer takes the application (side effect: the enterprise is told)."""
        self.reviewer = actor

    @transition(
        state,
        source=ApplicationState.UNDER_REVIEW,
        target=ApplicationState.RETURNED,
        permission=staff_reviewer_permission,
    )
    def return_for_correction(self, actor=None, opinion=""):
        """Back to the enterprise with the reviewer's reasons; it edits and resubmits."""
        self._decide(actor, opinion)

    @transition(
        state,
        source=ApplicationState.UNDER_REVIEW,
        target=ApplicationState.REJECTED,
        permission=staff_reviewer_permission,
    )
    def reject(self, actor=None, opinion=""):
        """Refused for good, with reasons (side effect: the enterprise is told)."""
        self._decide(actor, opinion)

    @transition(
        state,
        source=ApplicationState.UNDER_REVIEW,
        target=ApplicationState.APPROVED,
        conditions=[has_finalised_scheme, has_all_materials],
        permission=staff_reviewer_permission,
    )
    def approve(self, actor=None, opinion=""):
        """Approved. Side effects (service): VPN account, connection record, stage 3,
        integration pack e-mailed; the enterprise may then have device certificates signed."""
        self._decide(actor, opinion)

    def _decide(self, actor, opinion):
        self.reviewer = actor
        self.review_comment = opinion
        self.reviewed_at = timezone.now()
