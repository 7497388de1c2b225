"""验收报告 (seed 附件2): written by the panel, signed in the portal by five roles, then
issued by the institute as a numbered, signed PDF through the reports engine."""

import hashlib
import json

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from portal.roles import staff_reviewer_permission
from portal.workflow import condition

from ..choices import REPORT_ITEMS, ItemResult, ReportState, SignatureRole
from .onsite import can_record

CONTENT_DEFAULT = "企业汇报、提问交流、现场考察、闭门讨论"
SIGNED_FIELDS = (
    "project_name",
    "owner_name",
    "contractor_name",
    "place",
    "held_on",
    "content",
    *(f"{key}_{part}" for key, _label in REPORT_ITEMS for part in ("result", "remark")),
    "overall_opinion",
    "result",
    "fail_conditions",
)


def can_record_report(instance, user) -> bool:
    """The panel's 组长 or an institute reviewer writes the report (FSM permission)."""
    return can_record(instance.onsite, user)


def result_field(label):
    return models.CharField(label, max_length=4, choices=ItemResult, blank=True)


class AcceptanceReport(FSMModelMixin, models.Model):
    onsite = models.OneToOneField(
        "acceptance.OnSiteAcceptance", on_delete=models.PROTECT, related_name="report"
    )
    state = FSMField(
        _("状态"), max_length=20, choices=ReportState, default=ReportState.DRAFT, protected=True
    )
    project_name = models.CharField(_("项目名称"), max_length=100)
    owner_name = models.CharField(_("业主单位"), max_length=200)
    contractor_name = models.CharField(_("承建方单位"), max_length=200)
    place = models.CharField(_("验收地点"), max_length=200)
    held_on = models.DateField(_("验收时间"))
    content = models.CharField(_("验收内容"), max_length=200, default=CONTENT_DEFAULT)
    materials_result = result_field(_("验收材料完整度"))
    materials_remark = models.TextField(_("备注：验收材料完整度"), blank=True)
    consistency_result = result_field(_("项目实施效果与设计方案一致性"))
    consistency_remark = models.TextField(_("备注：实施效果与设计方案一致性"), blank=True)
    data_result = result_field(_("上传数据与现场计量器具一致性"))
    data_remark = models.TextField(_("备注：上传数据与现场计量器具一致性"), blank=True)
    om_result = result_field(_("后续运维规划完整性"))
    om_remark = models.TextField(_("备注：后续运维规划完整性"), blank=True)
    overall_opinion = models.TextField(_("整体验收意见"), blank=True)
    result = result_field(_("验收结论"))
    # FailureCondition codes with an explanation each: {"3": "…"}.
    fail_conditions = models.JSONField(_("不合格情形"), default=dict, blank=True)
    # The SHA-256 of the content put out for signature; an edit clears it and the signatures.
    content_sha256 = models.CharField(max_length=64, blank=True)
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)
    issued_at = models.DateTimeField(_("出具时间"), null=True, blank=True)
    # The reports engine's IssuedDocument, once issued (a plain id: reports sits below).
    document_id = models.PositiveBigIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("验收报告")
        verbose_name_plural = _("验收报告")

    def __str__(self):
        return f"{self.owner_name} · {self.get_state_display()}"

    @property
    def enterprise(self):
        return self.onsite.application.enterprise

    @property
    def enterprise_id(self) -> int:
        return self.onsite.application.enterprise_id

    def signed_content(self) -> dict:
        content = {name: getattr(self, name) for name in SIGNED_FIELDS}
        content["held_on"] = str(self.held_on)
        return content

    def compute_sha256(self) -> str:
        text = json.dumps(self.signed_content(), ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()

    @property
    def items(self) -> list[dict]:
        return [
            {
                "key": key,
                "label": label,
                "result": getattr(self, f"{key}_result"),
                "result_label": dict(ItemResult.choices).get(getattr(self, f"{key}_result"), ""),
                "remark": getattr(self, f"{key}_remark"),
            }
            for key, label in REPORT_ITEMS
        ]

    # --- guards ---------------------------------------------------------------------------

    @condition(_("四项验收内容、整体验收意见和验收结论须全部填写"))
    def is_complete(self) -> bool:
        results = [getattr(self, f"{key}_result") for key, _label in REPORT_ITEMS]
        return all(results) and bool(self.result) and bool(self.overall_opinion.strip())

    @condition(_("验收结论为不合格时，须选择适用的不合格情形并逐项说明"))
    def failure_explained(self) -> bool:
        if self.result != ItemResult.FAIL:
            return True
        return bool(self.fail_conditions) and all(
            str(text).strip() for text in self.fail_conditions.values()
        )

    @condition(_("五方代表尚未全部签字"))
    def all_signed(self) -> bool:
        roles = set(
            self.signatures.filter(content_sha256=self.content_sha256).values_list(
                "role", flat=True
            )
        )
        return roles == set(SignatureRole.values)

    is_complete.field = "report"
    failure_explained.field = "fail_conditions"
    all_signed.field = "signatures"

    # --- transitions ----------------------------------------------------------------------

    @transition(
        state,
        source=ReportState.DRAFT,
        target=ReportState.SIGNING,
        conditions=[is_complete, failure_explained],
        permission=can_record_report,
    )
    def put_for_signature(self, actor=None):
        """The text is frozen by its hash; the five representatives sign that text."""
        self.content_sha256 = self.compute_sha256()

    @transition(
        state,
        source=[ReportState.SIGNING, ReportState.SIGNED],
        target=ReportState.DRAFT,
        permission=can_record_report,
    )
    def reopen(self, actor=None):
        """Back to drafting: every signature given so far is void (service deletes them)."""
        self.content_sha256 = ""

    @transition(
        state,
        source=ReportState.SIGNING,
        target=ReportState.SIGNED,
        conditions=[all_signed],
    )
    def complete_signatures(self, actor=None):
        """The fifth signature arrived."""

    @transition(
        state,
        source=ReportState.SIGNED,
        target=ReportState.ISSUED,
        conditions=[all_signed],
        permission=staff_reviewer_permission,
    )
    def issue(self, actor=None, document_id=None):
        """The institute issues the report (the numbered, signed PDF of the reports engine)."""
        self.issued_at = timezone.now()
        self.document_id = document_id


class ReportSignature(models.Model):
    """One of the five signatures: who, in which role, when, over which exact content."""

    report = models.ForeignKey(
        AcceptanceReport, on_delete=models.CASCADE, related_name="signatures"
    )
    role = models.CharField(_("签字身份"), max_length=20, choices=SignatureRole)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    signer_name = models.CharField(_("签字人"), max_length=50)
    method = models.CharField(_("确认方式"), max_length=20)  # password | code | link
    content_sha256 = models.CharField(_("所签内容 SHA-256"), max_length=64)
    signed_at = models.DateTimeField(_("签字时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("验收报告签字")
        verbose_name_plural = _("验收报告签字")
        ordering = ["signed_at"]
        constraints = [
            models.UniqueConstraint(fields=["report", "role"], name="one_signature_per_role")
        ]

    def __str__(self):
        return f"{self.get_role_display()} {self.signer_name}"


class SigningCode(models.Model):
    """A one-time code e-mailed to a signer who confirms with it instead of the password
    (DESIGN section 2): only its hash is kept; it expires, is used once, and a few wrong
    tries void it."""

    report = models.ForeignKey(AcceptanceReport, on_delete=models.CASCADE, related_name="codes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    code_sha256 = models.CharField(max_length=64)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("签字验证码")
        verbose_name_plural = _("签字验证码")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.report_id}:{self.user_id}"


class ContractorLink(models.Model):
    """The one-time link through which the contractor's representative signs (no account)."""

    report = models.ForeignKey(AcceptanceReport, on_delete=models.CASCADE, related_name="links")
    token_sha256 = models.CharField(max_length=64, unique=True)
    email = models.EmailField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("承建方签字链接")
        verbose_name_plural = _("承建方签字链接")

    def __str__(self):
        return self.email
