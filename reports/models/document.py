"""IssuedDocument: one numbered, signed, verifiable PDF of the institute (ADR 0010).

Drafted with a frozen content snapshot, then 编制 (compiled), 审核 (checked) and 批准
(approved, which issues it with its number) by three different reviewers, the last holding
the approver permission. Once issued it never changes: ``save()`` refuses any change to what
was issued (corrections are revoke-and-reissue, the replacement linking to the revoked one).
"""

import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from portal.roles import (
    institute_reviewer_permission,
    is_document_approver,
    staff_reviewer_permission,
)
from portal.workflow import RefusalReason, TransitionRefused


class DocumentKind(models.TextChoices):
    """A new PDF report is a value here, a template, a context builder and one service call."""

    CONFORMANCE = "conformance", _("符合性测试报告")
    # Signed off in the acceptance app (five signatures; the institute's decision), issued
    # here in one step by ``services.documents.issue_signed_off``.
    ACCEPTANCE = "acceptance", _("验收报告")
    RECTIFICATION = "rectification", _("整改通知")


# Kinds whose issued PDF carries the portal's PAdES signature and the seal.
SIGNED_KINDS = frozenset(
    {DocumentKind.CONFORMANCE, DocumentKind.ACCEPTANCE, DocumentKind.RECTIFICATION}
)
# Kinds whose sign-off happens in the owning app, so they skip 编制 and 审核 here.
SIGNED_OFF_KINDS = frozenset({DocumentKind.ACCEPTANCE, DocumentKind.RECTIFICATION})


class DocumentState(models.TextChoices):
    DRAFT = "draft", _("草稿")
    COMPILED = "compiled", _("已编制")
    CHECKED = "checked", _("已审核")
    ISSUED = "issued", _("已批准出具")
    REVOKED = "revoked", _("已撤销")
    WITHDRAWN = "withdrawn", _("草稿已作废")


# States of a document that still counts: one per subject (and kind) at a time.
ACTIVE_STATES = (
    DocumentState.DRAFT,
    DocumentState.COMPILED,
    DocumentState.CHECKED,
    DocumentState.ISSUED,
)


class RenderStatus(models.TextChoices):
    NONE = "none", _("未生成")
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("生成中")
    DONE = "done", _("已生成")
    FAILED = "failed", _("生成失败")


# What issuing fixes for good: save() refuses to change these once the row is issued.
FROZEN_FIELDS = (
    "kind",
    "title",
    "number",
    "enterprise_id",
    "connection_id",
    "trial_run_id",
    "content",
    "check_code",
    "compiled_by_id",
    "compiled_at",
    "checked_by_id",
    "checked_at",
    "approved_by_id",
    "approved_at",
    "replaces_id",
)
# Written once by the render task after issue, never again.
WRITE_ONCE_FIELDS = ("pdf", "sha256")
CHECK_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


class DocumentImmutable(ValidationError):
    """A change to an issued document (corrections are revoke-and-reissue)."""


def new_check_code() -> str:
    return "".join(secrets.choice(CHECK_CODE_ALPHABET) for _ in range(8))


def pdf_path(document, filename: str) -> str:
    return f"reports/{document.kind}/{timezone.now():%Y}/{filename}"


def refuse(field: str, detail) -> TransitionRefused:
    return TransitionRefused(RefusalReason.CONDITION_UNMET, field=field, detail=str(detail))


class IssuedDocument(FSMModelMixin, models.Model):
    kind = models.CharField(_("文书类别"), max_length=30, choices=DocumentKind)
    number = models.CharField(_("编号"), max_length=40, blank=True, default="")
    enterprise = models.ForeignKey(
        "portal.Enterprise",
        verbose_name=_("用能单位"),
        on_delete=models.PROTECT,
        related_name="issued_documents",
    )
    # The subject within the enterprise, when the kind has one (the conformance report's
    # connection and passed trial run).
    connection = models.ForeignKey(
        "telemetry.Connection",
        verbose_name=_("数据对接"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="documents",
    )
    trial_run = models.ForeignKey(
        "telemetry.TrialRun",
        verbose_name=_("稳定上传试运行"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="documents",
    )
    title = models.CharField(_("标题"), max_length=200)
    content = models.JSONField(_("内容快照"), default=dict, blank=True)
    check_code = models.CharField(_("校验码"), max_length=12, default=new_check_code)
    state = FSMField(
        _("状态"), max_length=12, choices=DocumentState, default=DocumentState.DRAFT, protected=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("起草人"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("起草时间"), auto_now_add=True)
    compiled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("编制人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    compiled_at = models.DateTimeField(_("编制时间"), null=True, blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审核人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    checked_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("批准人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("批准（出具）时间"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("撤销人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    revoke_reason = models.TextField(_("撤销原因"), blank=True, default="")
    replaces = models.OneToOneField(
        "self",
        verbose_name=_("替代的文书"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="replaced_by",
    )
    pdf = models.FileField(_("PDF 文件"), upload_to=pdf_path, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True, default="")
    render_status = models.CharField(
        _("生成状态"), max_length=10, choices=RenderStatus, default=RenderStatus.NONE
    )
    render_progress = models.PositiveSmallIntegerField(_("生成进度（%）"), default=0)
    render_error = models.TextField(_("生成失败原因"), blank=True, default="")
    render_attempts = models.PositiveSmallIntegerField(_("生成次数"), default=0)

    class Meta:
        verbose_name = _("出具文书")
        verbose_name_plural = _("出具文书")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["number"], condition=~models.Q(number=""), name="unique_document_number"
            ),
            # One document that still counts per trial run (drafts included).
            models.UniqueConstraint(
                fields=["kind", "trial_run"],
                condition=models.Q(state__in=["draft", "compiled", "checked", "issued"]),
                name="one_active_document_per_trial",
            ),
        ]
        indexes = [models.Index(fields=["kind", "state"])]

    def __str__(self):
        return f"{self.get_kind_display()} {self.number or _('草稿')}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            self._refuse_changes_after_issue()
        super().save(*args, **kwargs)

    @property
    def is_issued(self) -> bool:
        return self.state in (DocumentState.ISSUED, DocumentState.REVOKED)

    @property
    def is_signed_kind(self) -> bool:
        return self.kind in SIGNED_KINDS

    @property
    def issued_on(self):
        return timezone.localdate(self.approved_at) if self.approved_at else None

    # --- Immutability ----------------------------------------------------------------------

    def _refuse_changes_after_issue(self):
        stored = type(self).objects.filter(pk=self.pk).values(*FROZEN_FIELDS, "state", "sha256")
        stored = stored.first()
        if stored is None or stored["state"] not in (DocumentState.ISSUED, DocumentState.REVOKED):
            return
        changed = [name for name in FROZEN_FIELDS if getattr(self, name) != stored[name]]
        if stored["sha256"] and (
            self.sha256 != stored["sha256"]
            or (self.pdf.name or "") != (self._stored_pdf_name() or "")
        ):
            changed += list(WRITE_ONCE_FIELDS)
        if stored["state"] == DocumentState.REVOKED and self.state != DocumentState.REVOKED:
            changed.append("state")
        if changed:
            raise DocumentImmutable(
                _("已出具的文书不能修改（%(fields)s）；如需更正，请撤销后重新出具。")
                % {"fields": ", ".join(changed)},
                code="immutable",
            )

    def _stored_pdf_name(self) -> str:
        return type(self).objects.filter(pk=self.pk).values_list("pdf", flat=True).first()

    # --- Transitions (through portal.workflow.run_transition) ----------------------------

    def _refuse_same_person(self, actor, step_label, *earlier):
        for role_label, person_id in earlier:
            if person_id is not None and actor is not None and person_id == actor.pk:
                raise refuse(
                    "actor",
                    _(
                        "编制、审核、批准须由三位不同人员完成：您已担任本文书的%(role)s，不能再%(step)s。"
                    )
                    % {"role": role_label, "step": step_label},
                )

    @transition(
        state,
        source=DocumentState.DRAFT,
        target=DocumentState.COMPILED,
        permission=institute_reviewer_permission,
    )
    def compile(self, actor=None):
        """编制 done: the drafting reviewer (or a colleague) signs the draft off."""
        self.compiled_by, self.compiled_at = actor, timezone.now()

    @transition(
        state,
        source=DocumentState.COMPILED,
        target=DocumentState.CHECKED,
        permission=institute_reviewer_permission,
    )
    def review(self, actor=None):
        """审核 done, by a second reviewer."""
        self._refuse_same_person(actor, _("审核"), (_("编制人"), self.compiled_by_id))
        self.checked_by, self.checked_at = actor, timezone.now()

    @transition(
        state,
        source=DocumentState.CHECKED,
        target=DocumentState.ISSUED,
        permission=institute_reviewer_permission,
    )
    def approve(self, actor=None, number=""):
        """批准: a third reviewer holding the approver permission issues it with its number."""
        if not is_document_approver(actor):
            raise refuse(
                "actor",
                _("批准须由具有“批准出具编号文书”权限的审核人员进行（由管理员在后台授予）。"),
            )
        self._refuse_same_person(
            actor,
            _("批准"),
            (_("编制人"), self.compiled_by_id),
            (_("审核人"), self.checked_by_id),
        )
        if not number:
            raise refuse("number", _("没有分配报告编号。"))
        self.number = number
        self.approved_by, self.approved_at = actor, timezone.now()
        self.render_status, self.render_progress, self.render_error = RenderStatus.QUEUED, 0, ""

    @transition(
        state,
        source=DocumentState.DRAFT,
        target=DocumentState.ISSUED,
        permission=institute_reviewer_permission,
    )
    def issue_signed_off(self, actor=None, number=""):
        """Issue a kind signed off in its own app (the acceptance report after its five
        signatures, a rectification notice by the institute's decision) with its number."""
        if self.kind not in SIGNED_OFF_KINDS:
            raise refuse("kind", _("该类文书须经编制、审核、批准三步出具。"))
        if not number:
            raise refuse("number", _("没有分配报告编号。"))
        self.number = number
        self.compiled_by = self.compiled_by or actor
        self.compiled_at = self.compiled_at or timezone.now()
        self.approved_by, self.approved_at = actor, timezone.now()
        self.render_status, self.render_progress, self.render_error = RenderStatus.QUEUED, 0, ""

    @transition(
        state,
        source=[DocumentState.DRAFT, DocumentState.COMPILED, DocumentState.CHECKED],
        target=DocumentState.WITHDRAWN,
        permission=institute_reviewer_permission,
    )
    def withdraw(self, actor=None):
        """A draft that will not be issued is set aside (a new one may be drafted)."""

    @transition(
        state,
        source=[DocumentState.COMPILED, DocumentState.CHECKED],
        target=DocumentState.DRAFT,
        permission=institute_reviewer_permission,
    )
    def send_back(self, actor=None):
        """The approver (or checker) returns the draft for correction: 编制 and 审核 again."""
        self.compiled_by = self.compiled_at = self.checked_by = self.checked_at = None

    @transition(
        state,
        source=DocumentState.ISSUED,
        target=DocumentState.REVOKED,
        permission=staff_reviewer_permission,
    )
    def revoke(self, actor=None, reason=""):
        """An issued document is withdrawn from validity; the verification page says so."""
        if not reason.strip():
            raise refuse("reason", _("请填写撤销原因。"))
        self.revoked_by, self.revoked_at, self.revoke_reason = actor, timezone.now(), reason
