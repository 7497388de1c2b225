"""验收申请 (seed 5.3, 附表2 验收申请表, 表1 materials)."""

import hashlib
import json
from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from portal.catalogue import CollectionMethod, energy_label
from portal.roles import member_permission, staff_reviewer_permission
from portal.workflow import condition

from .. import materials
from ..choices import AcceptanceState, CoverageEnergy, Material, MeteringLevel, Verdict

PROJECT_NAME = "能耗在线监测企业接入端系统"  # 附表2 项目名称, fixed by the seed
# The fields printed on 附表2, in the form's order.
FORM_FIELDS = (
    "project_location",
    "investment",
    "owner_name",
    "owner_contact",
    "owner_phone",
    "builder_name",
    "builder_contact",
    "builder_phone",
    "energy_coverage",
    "energy_other",
    "metering_levels",
    "started_on",
    "completed_on",
    "summary",
    "collection_rows",
)
REVIEWED_MATERIALS = tuple(Material)


class AcceptanceApplication(FSMModelMixin, models.Model):
    """湖北省重点用能单位能耗在线监测企业接入端系统验收申请表 (附表2).

    Pre-filled from what the portal holds (``sources`` keeps those values, so a reviewer
    sees where the enterprise changed them); a failed acceptance is followed by a new
    application linked to it through ``previous``.
    """

    enterprise = models.ForeignKey(
        "portal.Enterprise",
        verbose_name=_("业主单位"),
        on_delete=models.PROTECT,
        related_name="acceptance_applications",
    )
    previous = models.OneToOneField(
        "self",
        verbose_name=_("前次验收申请"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="resubmission",
    )
    state = FSMField(
        _("状态"),
        max_length=20,
        choices=AcceptanceState,
        default=AcceptanceState.DRAFT,
        protected=True,
    )
    project_location = models.CharField(_("项目地点"), max_length=200)
    investment = models.DecimalField(
        _("项目投资（元）"),
        max_digits=14,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    owner_name = models.CharField(_("业主单位"), max_length=200)
    owner_contact = models.CharField(_("业主单位联系人"), max_length=50)
    owner_phone = models.CharField(_("业主单位联系方式"), max_length=30)
    builder_name = models.CharField(_("承建单位"), max_length=200)
    builder_contact = models.CharField(_("承建单位联系人"), max_length=50)
    builder_phone = models.CharField(_("承建单位联系方式"), max_length=30)
    # CoverageEnergy codes, and the free text of "其他".
    energy_coverage = models.JSONField(_("覆盖能源品种"), default=list)
    energy_other = models.CharField(_("其他能源品种"), max_length=100, blank=True)
    metering_levels = models.JSONField(_("能源计量等级"), default=list)
    started_on = models.DateField(_("开工日期"))
    completed_on = models.DateField(_("完工日期"))
    summary = models.TextField(_("项目简述"))
    # 数据采集方式: [{"energy_type": "3300", "method": "meter"}, ...] (portal.catalogue codes)
    collection_rows = models.JSONField(_("数据采集方式"), default=list)
    # 表1 item 2 when nothing changed: the enterprise declares it instead of a record.
    no_change_declared = models.BooleanField(_("声明实施过程中无方案变更"), default=False)
    # What the portal held when the draft was made: {field: value}, for the differences.
    sources = models.JSONField(_("预填来源"), default=dict, blank=True)

    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审查人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    review_comment = models.TextField(_("审查意见"), blank=True)
    # What was filed at the latest submission and the one before (acceptance.resubmission):
    # a resubmission shows what changed.
    submitted_snapshot = models.JSONField(_("本次提交内容"), default=dict, blank=True)
    previous_snapshot = models.JSONField(_("上次提交内容"), default=dict, blank=True)
    reviewed_at = models.DateTimeField(_("审查时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True, db_index=True)
    attachments = GenericRelation("portal.Attachment")

    class Meta:
        verbose_name = _("验收申请")
        verbose_name_plural = _("验收申请")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["state", "submitted_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(completed_on__gte=models.F("started_on")),
                name="acceptance_completed_after_start",
            )
        ]

    def __str__(self):
        return f"{self.owner_name} · {self.get_state_display()}"

    project_name = PROJECT_NAME

    @property
    def coverage_labels(self) -> list[str]:
        return [
            str(CoverageEnergy(c).label) for c in self.energy_coverage if c in CoverageEnergy.values
        ]

    @property
    def level_labels(self) -> list[str]:
        return [
            str(MeteringLevel(v).label) for v in self.metering_levels if v in MeteringLevel.values
        ]

    @property
    def collection_labels(self) -> list[str]:
        methods = dict(CollectionMethod.choices)
        return [
            f"{energy_label(row.get('energy_type', ''))}：{methods.get(row.get('method'), '')}"
            for row in self.collection_rows
        ]

    @property
    def is_editable(self) -> bool:
        return self.state in (AcceptanceState.DRAFT, AcceptanceState.RETURNED)

    def form_sha256(self) -> str:
        """The version of 附表2 a stamped scan stamps: the hash of its printed fields."""
        # Canonical values: PostgreSQL's jsonb reorders keys, and an amount reads 120000 in
        # memory but 120000.00 from the database.
        printed = {
            name: json.dumps(getattr(self, name), sort_keys=True, ensure_ascii=False, default=str)
            for name in FORM_FIELDS
        }
        printed["investment"] = str(Decimal(str(self.investment)).quantize(Decimal("0.01")))
        text = json.dumps(printed, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()

    # --- guards (they read other apps' records through acceptance.materials; nothing is
    # written) -------------------------------------------------------

    @condition(_("没有有效的数据接入符合性测试报告（附件1），不能提交验收申请"))
    def has_conformance_report(self) -> bool:
        return materials.conformance_report_for(self.enterprise) is not None

    @condition(_("验收申请材料不齐全"))
    def has_all_materials(self) -> bool:
        return materials.checklist(self).complete

    @condition(_("还有材料未审查或需补正，请逐项给出“合格”，或退回补正"))
    def all_materials_acceptable(self) -> bool:
        verdicts = materials.current_verdicts(self)
        return all(verdicts.get(code) == Verdict.ACCEPTABLE for code in REVIEWED_MATERIALS)

    has_conformance_report.field = "conformance_report"
    has_all_materials.field = "materials"
    all_materials_acceptable.field = "materials"

    # --- transitions ----------------------------------------------------------------------

    @transition(
        state,
        source=[AcceptanceState.DRAFT, AcceptanceState.RETURNED],
        target=AcceptanceState.SUBMITTED,
        conditions=[has_conformance_report, has_all_materials],
        permission=member_permission,
    )
    def submit(self, actor=None):
        """The enterprise files (or refiles) the application; reviewers are told."""
        self.submitted_at = timezone.now()

    @transition(
        state,
        source=AcceptanceState.SUBMITTED,
        target=AcceptanceState.MATERIALS_REVIEW,
        permission=staff_reviewer_permission,
    )
    def start_review(self, actor=None):
        """A reviewer takes the application for the materials review."""
        self.reviewer = actor

    @transition(
        state,
        source=AcceptanceState.MATERIALS_REVIEW,
        target=AcceptanceState.RETURNED,
        permission=staff_reviewer_permission,
    )
    def return_for_correction(self, actor=None, opinion=""):
        """Back to the enterprise with the reasons composed from the material verdicts."""
        self._decide(actor, opinion)

    @transition(
        state,
        source=AcceptanceState.MATERIALS_REVIEW,
        target=AcceptanceState.ACCEPTED,
        conditions=[has_conformance_report, has_all_materials, all_materials_acceptable],
        permission=staff_reviewer_permission,
    )
    def accept(self, actor=None, opinion=""):
        """Every material is acceptable: the on-site acceptance can be organised."""
        self._decide(actor, opinion)

    @transition(
        state,
        source=AcceptanceState.ACCEPTED,
        target=AcceptanceState.PASSED,
        permission=staff_reviewer_permission,
    )
    def record_pass(self, actor=None):
        """The acceptance report was issued with 合格 (service: stage 06, published)."""

    @transition(
        state,
        source=AcceptanceState.ACCEPTED,
        target=AcceptanceState.FAILED,
        permission=staff_reviewer_permission,
    )
    def record_fail(self, actor=None):
        """The acceptance report was issued with 不合格 (service: rectification notice,
        announcement; the enterprise files a new 附表2 linked to this one)."""

    def _decide(self, actor, opinion):
        self.reviewer = actor
        self.review_comment = opinion
        self.reviewed_at = timezone.now()


class MaterialFile(models.Model):
    """One uploaded file of a 表1 line (what the portal already holds is never uploaded)."""

    application = models.ForeignKey(
        AcceptanceApplication, on_delete=models.CASCADE, related_name="material_files"
    )
    material = models.CharField(_("材料"), max_length=40)
    # The sub-document of items 7, 8 and 9 (DeviceDocument, CommissioningDocument,
    # DevicePhoto values); empty for single-file lines.
    part = models.CharField(_("分项"), max_length=40, blank=True)
    # Item 7 is per device model, item 9 per device.
    device = models.ForeignKey(
        "telemetry.EndDevice",
        verbose_name=_("端设备"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    attachment = models.OneToOneField(
        "portal.Attachment", on_delete=models.CASCADE, related_name="acceptance_material"
    )
    # For the stamped 附表2: the version of the form it stamps (AcceptanceApplication.form_sha256).
    stamps_sha256 = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("验收申请材料文件")
        verbose_name_plural = _("验收申请材料文件")
        ordering = ["material", "part", "pk"]
        indexes = [models.Index(fields=["application", "material"])]

    def __str__(self):
        return f"{self.material} {self.part}".strip()


class MaterialVerdict(models.Model):
    """A reviewer's 合格 / 需补正 on one 表1 line, for one submission of the application."""

    application = models.ForeignKey(
        AcceptanceApplication, on_delete=models.CASCADE, related_name="verdicts"
    )
    material = models.CharField(_("材料"), max_length=40)
    verdict = models.CharField(_("审查结论"), max_length=20, choices=Verdict)
    note = models.TextField(_("补正说明"), blank=True)
    # Which submission the verdict was given on: a resubmission starts a fresh set.
    submitted_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("材料审查结论")
        verbose_name_plural = _("材料审查结论")
        constraints = [
            models.UniqueConstraint(
                fields=["application", "material", "submitted_at"],
                name="one_verdict_per_material_per_submission",
            ),
            models.CheckConstraint(
                condition=~models.Q(verdict="needs_correction") | ~models.Q(note=""),
                name="correction_needs_a_note",
            ),
        ]

    def __str__(self):
        return f"{self.material}: {self.get_verdict_display()}"
