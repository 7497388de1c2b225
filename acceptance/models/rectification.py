"""整改通知 (seed 5.5, 6.2): the same record whether it follows an acceptance or an annual
audit. Issued as a numbered document of the reports engine; the enterprise acknowledges it,
reports its rectification with evidence (整改报告), a reviewer re-checks it and closes the
notice or sends the report back with a reason; a notice not reported by its deadline is
escalated (once, by the daily task) and stays open until a re-check closes it."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import RETURN_VALUE, FSMField, FSMModelMixin, transition

from portal.roles import member_permission, staff_reviewer_permission
from portal.workflow import condition

from ..choices import AuditSituation, FailureCondition, NoticeState, Occasion

CONSEQUENCES = {
    Occasion.ACCEPTANCE: "验收申请驳回",
    Occasion.ANNUAL_AUDIT: "年度审核定为不通过等级",
}
REQUIREMENT = "限期按照企业接入端系统建设相关规范进行整改并重新提交验收申请表"
RESERVED_RIGHT = "省平台建设单位保留在后续系统使用过程中追加审核内容的权利"


class RectificationNotice(FSMModelMixin, models.Model):
    enterprise = models.ForeignKey(
        "portal.Enterprise", on_delete=models.PROTECT, related_name="rectification_notices"
    )
    occasion = models.CharField(_("事由"), max_length=20, choices=Occasion)
    application = models.ForeignKey(
        "acceptance.AcceptanceApplication",
        verbose_name=_("验收申请"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="rectification_notices",
    )
    audit_year = models.PositiveSmallIntegerField(_("审核年度"), null=True, blank=True)
    occasion_date = models.DateField(_("验收或审核日期"))
    # The situations found (acceptance FailureCondition or 6.2 codes) with their 存在的问题.
    situations = models.JSONField(_("存在的问题"), default=dict)
    consequence = models.CharField(_("处理结果"), max_length=50)
    deadline = models.DateField(_("整改期限"))
    state = FSMField(
        _("状态"), max_length=20, choices=NoticeState, default=NoticeState.ISSUED, protected=True
    )
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    issued_at = models.DateTimeField(_("下达时间"), default=timezone.now)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    acknowledged_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    # The reports engine's IssuedDocument (a plain id: reports sits below).
    document_id = models.PositiveBigIntegerField(null=True, blank=True)
    reminded_days = models.JSONField(default=list, blank=True)  # reminders already sent
    escalated_at = models.DateTimeField(_("逾期升级时间"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("整改通知")
        verbose_name_plural = _("整改通知")
        ordering = ["-issued_at", "-pk"]
        indexes = [models.Index(fields=["state", "deadline"])]

    def __str__(self):
        return f"{self.enterprise} · {self.get_occasion_display()} · {self.deadline}"

    requirement = REQUIREMENT
    reserved_right = RESERVED_RIGHT

    @property
    def situation_rows(self) -> list[dict]:
        """The situations with the seed's wording: the acceptance's fail conditions or the
        annual audit's 6.2 situations."""
        labels = dict(
            AuditSituation.choices
            if self.occasion == Occasion.ANNUAL_AUDIT
            else FailureCondition.choices
        )
        return [
            {"code": code, "label": labels.get(code, code), "explanation": text}
            for code, text in sorted(self.situations.items())
        ]

    @property
    def is_open(self) -> bool:
        return self.state != NoticeState.CLOSED

    @property
    def is_overdue(self) -> bool:
        return self.is_open and self.deadline < timezone.localdate()

    @condition(_("请先签收整改通知"))
    def was_acknowledged(self) -> bool:
        return self.acknowledged_at is not None

    @condition(_("整改期限尚未届满"))
    def deadline_passed(self) -> bool:
        return self.deadline < timezone.localdate()

    @condition(_("已逾期升级"))
    def not_escalated(self) -> bool:
        return self.escalated_at is None

    @condition(_("整改通知已签收"))
    def not_acknowledged(self) -> bool:
        return self.acknowledged_at is None

    was_acknowledged.field = "acknowledge"

    @transition(
        state,
        source=[NoticeState.ISSUED, NoticeState.ESCALATED],
        target=RETURN_VALUE(NoticeState.ACKNOWLEDGED, NoticeState.ESCALATED),
        conditions=[not_acknowledged],
        permission=member_permission,
    )
    def acknowledge(self, actor=None):
        """The enterprise confirms receipt in the portal (an escalated notice stays so)."""
        self.acknowledged_by = actor
        self.acknowledged_at = timezone.now()
        escalated = self.state == NoticeState.ESCALATED
        return NoticeState.ESCALATED if escalated else NoticeState.ACKNOWLEDGED

    @transition(
        state,
        source=[NoticeState.ACKNOWLEDGED, NoticeState.ESCALATED],
        target=NoticeState.REPORTED,
        conditions=[was_acknowledged],
        permission=member_permission,
    )
    def report(self, actor=None):
        """The enterprise submits its rectification report (the RectificationReport row is
        written by the service in the same transaction)."""

    @transition(
        state,
        source=NoticeState.REPORTED,
        target=NoticeState.CLOSED,
        permission=staff_reviewer_permission,
    )
    def close(self, actor=None):
        """The reviewer's re-check found the rectification done."""
        self.closed_by = actor
        self.closed_at = timezone.now()

    @transition(
        state,
        source=NoticeState.REPORTED,
        target=RETURN_VALUE(NoticeState.ACKNOWLEDGED, NoticeState.ESCALATED),
        permission=staff_reviewer_permission,
    )
    def send_back(self, actor=None):
        """The re-check found it not done: back to the enterprise (still escalated if it was)."""
        return NoticeState.ESCALATED if self.escalated_at else NoticeState.ACKNOWLEDGED

    @transition(
        state,
        source=[NoticeState.ISSUED, NoticeState.ACKNOWLEDGED],
        target=NoticeState.ESCALATED,
        conditions=[deadline_passed, not_escalated],
    )
    def escalate(self, actor=None):
        """The deadline passed with no rectification report (the daily task, as the system)."""
        self.escalated_at = timezone.now()


class RectificationReport(models.Model):
    """整改报告: one per submission round, with its evidence (Attachments owned by it) and
    the reviewer's re-check (复查) verdict."""

    notice = models.ForeignKey(
        RectificationNotice, on_delete=models.CASCADE, related_name="reports"
    )
    round = models.PositiveSmallIntegerField(_("轮次"))
    description = models.TextField(_("整改情况说明"))
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(_("提交时间"), default=timezone.now)
    # 复查: True = rectified (the notice closes), False = sent back with the reason.
    accepted = models.BooleanField(_("复查结论"), null=True, blank=True)
    recheck_note = models.TextField(_("复查意见"), blank=True)
    rechecked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    rechecked_at = models.DateTimeField(_("复查时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("整改报告")
        verbose_name_plural = _("整改报告")
        ordering = ["notice", "round"]
        constraints = [
            models.UniqueConstraint(fields=["notice", "round"], name="one_report_per_round")
        ]

    def __str__(self):
        return f"{self.notice_id} · {self.round}"

    @property
    def enterprise(self):
        return self.notice.enterprise
