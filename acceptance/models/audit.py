"""年度审核 (seed 6.1): a yearly plan for every system accepted before the year began;
a written review (书面审核) against a checklist the institute may extend during the year,
plus on-site spot checks (现场抽查) of a sample drawn reproducibly from a recorded seed."""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from portal.roles import member_permission, staff_reviewer_permission
from portal.workflow import condition

from ..choices import AuditState
from .onsite import MeterComparison


class AuditPlan(models.Model):
    year = models.PositiveSmallIntegerField(_("审核年度"), unique=True)
    deadline = models.DateField(_("书面材料提交期限"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    # 现场抽查: the seed and the method are recorded so anyone can redraw the same sample.
    sample_seed = models.CharField(_("抽样种子"), max_length=64, blank=True)
    sample_method = models.CharField(_("抽样方法"), max_length=200, blank=True)
    sample = models.JSONField(_("抽中企业"), default=list, blank=True)
    sampled_at = models.DateTimeField(_("抽样时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("年度审核计划")
        verbose_name_plural = _("年度审核计划")
        ordering = ["-year"]

    def __str__(self):
        return f"{self.year}"


class ChecklistItem(models.Model):
    """One line of a year's checklist. Rows are never edited or deleted: an added line is a
    new row (version = the number of lines when it was added), so every version is kept."""

    plan = models.ForeignKey(AuditPlan, on_delete=models.CASCADE, related_name="checklist")
    text = models.CharField(_("审核内容"), max_length=300)
    version = models.PositiveSmallIntegerField(_("清单版本"))
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    added_at = models.DateTimeField(_("加入时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("年度审核内容")
        verbose_name_plural = _("年度审核内容")
        ordering = ["plan", "pk"]

    def __str__(self):
        return self.text


class AnnualAudit(FSMModelMixin, models.Model):
    plan = models.ForeignKey(AuditPlan, on_delete=models.PROTECT, related_name="audits")
    enterprise = models.ForeignKey(
        "portal.Enterprise", on_delete=models.PROTECT, related_name="annual_audits"
    )
    state = FSMField(
        _("状态"), max_length=20, choices=AuditState, default=AuditState.PLANNED, protected=True
    )
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    statement = models.TextField(_("企业书面说明"), blank=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    graded_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    opinion = models.TextField(_("审核意见"), blank=True)
    # 6.2 situations found on 不通过, with an explanation each: {"2": "…"}.
    situations = models.JSONField(_("不通过情形"), default=dict, blank=True)
    # 现场抽查, recorded like the on-site acceptance's 现场考察 (seed 5.4 step 3): the three
    # findings, other remarks (where the former single free-text record was kept), and
    # optional comparison readings (SpotComparison).
    spot_layout = models.TextField(_("能耗在线监测布点"), blank=True)
    spot_devices = models.TextField(_("端设备及计量器具是否符合标准规范"), blank=True)
    spot_collection = models.TextField(_("数据采集情况"), blank=True)
    spot_remarks = models.TextField(_("其他情况"), blank=True)
    spot_checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    spot_checked_at = models.DateTimeField(_("现场抽查记录时间"), null=True, blank=True)
    # The evidence pack as it stood when graded (figures in JSON).
    evidence = models.JSONField(_("审核证据"), default=dict, blank=True)

    class Meta:
        verbose_name = _("年度审核")
        verbose_name_plural = _("年度审核")
        ordering = ["-plan__year", "enterprise__name"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "enterprise"], name="one_audit_per_year")
        ]

    def __str__(self):
        return f"{self.plan.year} · {self.enterprise}"

    @property
    def spot_checked(self) -> bool:
        return bool(
            self.spot_layout or self.spot_devices or self.spot_collection or self.spot_remarks
        )

    @condition(_("审核清单尚有未作答的内容"))
    def all_answered(self) -> bool:
        answered = set(self.answers.exclude(answer="").values_list("item_id", flat=True))
        return set(self.plan.checklist.values_list("pk", flat=True)) <= answered

    @condition(_("审核清单尚有未评定的内容"))
    def all_graded(self) -> bool:
        graded = set(self.grades.values_list("item_id", flat=True))
        return set(self.plan.checklist.values_list("pk", flat=True)) <= graded

    @condition(_("不通过时须选择适用的 6.2 情形并逐项说明"))
    def failure_explained(self) -> bool:
        return bool(self.situations) and all(str(t).strip() for t in self.situations.values())

    all_answered.field = "answers"
    all_graded.field = "grades"
    failure_explained.field = "situations"

    @transition(
        state,
        source=AuditState.PLANNED,
        target=AuditState.SUBMITTED,
        conditions=[all_answered],
        permission=member_permission,
    )
    def submit(self, actor=None):
        self.submitted_at = timezone.now()

    @transition(
        state,
        source=AuditState.SUBMITTED,
        target=AuditState.PLANNED,
        permission=staff_reviewer_permission,
    )
    def ask_again(self, actor=None):
        """New checklist lines were added to an open audit: the enterprise answers them."""

    @transition(
        state,
        source=AuditState.SUBMITTED,
        target=AuditState.PASSED,
        conditions=[all_graded],
        permission=staff_reviewer_permission,
    )
    def grade_pass(self, actor=None, opinion="", evidence=None):
        self._grade(actor, opinion, evidence)

    @transition(
        state,
        source=AuditState.SUBMITTED,
        target=AuditState.FAILED,
        conditions=[all_graded, failure_explained],
        permission=staff_reviewer_permission,
    )
    def grade_fail(self, actor=None, opinion="", evidence=None):
        self._grade(actor, opinion, evidence)

    def _grade(self, actor, opinion, evidence):
        self.reviewer = actor
        self.opinion = opinion
        self.graded_at = timezone.now()
        self.evidence = evidence or {}


class AuditAnswer(models.Model):
    audit = models.ForeignKey(AnnualAudit, on_delete=models.CASCADE, related_name="answers")
    item = models.ForeignKey(ChecklistItem, on_delete=models.PROTECT, related_name="+")
    answer = models.TextField(_("企业说明"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    attachments = GenericRelation("portal.Attachment")  # evidence files (书面审核证据)

    class Meta:
        verbose_name = _("年度审核作答")
        verbose_name_plural = _("年度审核作答")
        constraints = [
            models.UniqueConstraint(fields=["audit", "item"], name="one_answer_per_line")
        ]

    def __str__(self):
        return f"{self.audit_id}:{self.item_id}"


class AuditGrade(models.Model):
    audit = models.ForeignKey(AnnualAudit, on_delete=models.CASCADE, related_name="grades")
    item = models.ForeignKey(ChecklistItem, on_delete=models.PROTECT, related_name="+")
    grade = models.CharField(_("评定"), max_length=30)
    note = models.TextField(_("说明"), blank=True)
    graded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("年度审核评定")
        verbose_name_plural = _("年度审核评定")
        constraints = [models.UniqueConstraint(fields=["audit", "item"], name="one_grade_per_line")]

    def __str__(self):
        return f"{self.audit_id}:{self.item_id} {self.grade}"


class SpotComparison(MeterComparison):
    """现场抽查: a meter read on site against the platform's value for the same slot, as the
    on-site acceptance's ComparisonReading."""

    audit = models.ForeignKey(AnnualAudit, on_delete=models.CASCADE, related_name="comparisons")

    class Meta(MeterComparison.Meta):
        verbose_name = _("现场抽查比对读数")
        verbose_name_plural = _("现场抽查比对读数")
