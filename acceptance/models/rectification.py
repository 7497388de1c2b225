"""整改通知 (seed 5.5, 6.2): the same record whether it follows an acceptance or an annual
audit. Issued as a numbered document of the reports engine; the enterprise acknowledges it."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from portal.roles import member_permission

from ..choices import FailureCondition, NoticeState, Occasion

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

    class Meta:
        verbose_name = _("整改通知")
        verbose_name_plural = _("整改通知")
        ordering = ["-issued_at", "-pk"]

    def __str__(self):
        return f"{self.enterprise} · {self.get_occasion_display()} · {self.deadline}"

    requirement = REQUIREMENT
    reserved_right = RESERVED_RIGHT

    @property
    def situation_rows(self) -> list[dict]:
        """The situations with the seed's wording (acceptance fail conditions for now)."""
        labels = dict(FailureCondition.choices)
        return [
            {"code": code, "label": labels.get(code, code), "explanation": text}
            for code, text in sorted(self.situations.items())
        ]

    @transition(
        state,
        source=NoticeState.ISSUED,
        target=NoticeState.ACKNOWLEDGED,
        permission=member_permission,
    )
    def acknowledge(self, actor=None):
        """The enterprise confirms receipt in the portal."""
        self.acknowledged_by = actor
        self.acknowledged_at = timezone.now()
