"""设计方案 (design scheme), its 7.1 feedback, the three confirmations and change records."""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from portal.catalogue import CollectionMethod, energy_label
from portal.roles import (
    institute_reviewer_permission,
    is_institute_reviewer,
    is_member,
    is_operator,
    member_permission,
)
from portal.workflow import condition


class SchemeState(models.TextChoices):
    DRAFT = "draft", _("编制中")
    SENT = "sent", _("待企业反馈")
    CHANGES_REQUESTED = "changes_requested", _("企业要求修改")
    ENTERPRISE_CONFIRMED = "enterprise_confirmed", _("企业已确认，待三方确认")
    FINALISED = "finalised", _("已定稿")


class Party(models.TextChoices):
    """The three parties whose confirmation finalises a scheme (三方盖章确认)."""

    ENTERPRISE = "enterprise", _("用能单位")
    INSTITUTE = "institute", _("省计量院")
    DEVELOPER = "developer", _("省平台开发单位")


def party_of(user, scheme) -> Party | None:
    """Which party `user` confirms for: members for the enterprise, reviewers for the
    institute, platform operators (the developer's staff) for the platform developer."""
    if is_member(user, scheme.enterprise_id):
        return Party.ENTERPRISE
    if is_institute_reviewer(user):
        return Party.INSTITUTE
    if is_operator(user):
        return Party.DEVELOPER
    return None


class DesignScheme(FSMModelMixin, models.Model):
    """能耗在线监测企业用能端设计方案, drafted by the institute after the site survey."""

    enterprise = models.ForeignKey(
        "portal.Enterprise",
        verbose_name=_("用能单位"),
        on_delete=models.PROTECT,
        related_name="design_schemes",
    )
    number = models.CharField(_("方案编号"), max_length=20, unique=True)
    state = FSMField(
        _("状态"),
        max_length=30,
        choices=SchemeState,
        default=SchemeState.DRAFT,
        protected=True,
    )
    revision = models.PositiveSmallIntegerField(_("版本"), default=1)
    # [{"energy_type": "3300", "collection_method": "meter"}, ...]
    energy_types = models.JSONField(_("能源种类及采集方式"), default=list, blank=True)
    # [{"energy_type", "instrument", "model", "accuracy_class", "location"}, ...]
    instruments = models.JSONField(_("一级计量器具"), default=list, blank=True)
    project_plan = models.TextField(_("项目建设方法、内容及计划"), blank=True)
    # [{"item", "amount" (yuan, as a decimal string), "note"}, ...]
    budget_items = models.JSONField(_("项目预算"), default=list, blank=True)
    drafted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("编制人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("编制时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    finalised_at = models.DateTimeField(_("定稿时间"), null=True, blank=True)
    # The scheme documents; a relation only so that lists can prefetch them (no column).
    attachments = GenericRelation("portal.Attachment")

    class Meta:
        verbose_name = _("设计方案")
        verbose_name_plural = _("设计方案")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["enterprise", "state"])]

    def __str__(self):
        return self.number

    @property
    def is_editable(self) -> bool:
        return self.state in (SchemeState.DRAFT, SchemeState.CHANGES_REQUESTED)

    @property
    def energy_codes(self) -> list[str]:
        return [row["energy_type"] for row in self.energy_types]

    def energy_rows(self):
        methods = dict(CollectionMethod.choices)
        return [
            {
                "energy": energy_label(row["energy_type"]),
                "method": methods.get(row["collection_method"], row["collection_method"]),
            }
            for row in self.energy_types
        ]

    def instrument_rows(self):
        return [{**row, "energy": energy_label(row["energy_type"])} for row in self.instruments]

    @property
    def budget_total(self):
        from decimal import Decimal

        return sum((Decimal(row["amount"]) for row in self.budget_items), Decimal("0"))

    def confirmations_of_revision(self):
        return self.confirmations.filter(revision=self.revision)

    # --- guards ---------------------------------------------------------------------------

    @condition(
        _("方案内容不完整：需填写能源种类及采集方式、一级计量器具和项目建设计划，并上传方案文件")
    )
    def has_content(self) -> bool:
        from portal.attachments import attachments_of

        return bool(
            self.energy_types
            and self.instruments
            and self.project_plan.strip()
            and attachments_of(self, "scheme_document").exists()
        )

    @condition(_("尚未取得用能单位、省计量院和省平台开发单位三方确认"))
    def has_all_confirmations(self) -> bool:
        parties = set(self.confirmations_of_revision().values_list("party", flat=True))
        return parties >= set(Party.values)

    # --- transitions ----------------------------------------------------------------------

    @transition(
        state,
        source=[SchemeState.DRAFT, SchemeState.CHANGES_REQUESTED],
        target=SchemeState.SENT,
        conditions=[has_content],
        permission=institute_reviewer_permission,
    )
    def send(self, actor=None):
        """The reviewer sends the scheme (or its revision) to the enterprise.

        Side effects (service): the enterprise's members are told to fill the 7.1 form.
        """
        if self.sent_at is not None:
            self.revision += 1
        self.sent_at = timezone.now()

    @transition(
        state,
        source=SchemeState.SENT,
        target=SchemeState.ENTERPRISE_CONFIRMED,
        permission=member_permission,
    )
    def confirm(self, actor=None):
        """The enterprise confirms the scheme with its 7.1 feedback form.

        Side effects (service): feedback and the enterprise's confirmation are stored;
        reviewers are told the institute and developer confirmations are due.
        """

    @transition(
        state,
        source=SchemeState.SENT,
        target=SchemeState.CHANGES_REQUESTED,
        permission=member_permission,
    )
    def request_changes(self, actor=None):
        """The enterprise's 7.1 feedback asks for changes; the reviewer revises.

        Side effects (service): feedback stored, the drafting reviewer is told.
        """

    @transition(
        state,
        source=SchemeState.ENTERPRISE_CONFIRMED,
        target=SchemeState.FINALISED,
        conditions=[has_all_confirmations],
    )
    def finalise(self, actor=None):
        """Fired when the third confirmation arrives.

        Side effects (service): the enterprise moves to the build stage; all told.
        """
        self.finalised_at = timezone.now()


class SchemeFeedback(models.Model):
    """7.1 反馈意见确认表, one per scheme revision the enterprise answered."""

    scheme = models.ForeignKey(DesignScheme, on_delete=models.CASCADE, related_name="feedback")
    revision = models.PositiveSmallIntegerField(_("方案版本"))
    can_finalise = models.BooleanField(_("设计方案是否可以确认定稿"))
    energy_types_correct = models.BooleanField(_("主要能源种类是否正确"))
    collection_methods_correct = models.BooleanField(_("主要能源采集方式是否正确"))
    instruments_correct = models.BooleanField(_("一级计量对应的计量器具是否正确"))
    construction_understood = models.BooleanField(_("项目建设方法和内容是否理解清楚"))
    budget_understood = models.BooleanField(
        _("对建设内容、建设周期、项目预算、分项费用及可能产生的第三方厂商服务费是否理解清楚")
    )
    # Stored as the first day of the month the enterprise chose.
    planned_completion = models.DateField(_("项目计划建设完成日期"))
    contact_person = models.CharField(_("项目建设主要联络人"), max_length=50)
    contact_phone = models.CharField(_("联系电话"), max_length=30)
    contact_position = models.CharField(_("联系人职位"), max_length=50)
    contact_email = models.EmailField(_("联系邮箱"))
    feedback_text = models.TextField(_("单位反馈意见说明"), blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(_("确认日期"), auto_now_add=True)

    class Meta:
        verbose_name = _("反馈意见确认表")
        verbose_name_plural = _("反馈意见确认表")
        ordering = ["-submitted_at", "-pk"]

    def __str__(self):
        return f"{self.scheme} v{self.revision}"

    QUESTIONS = (
        "can_finalise",
        "energy_types_correct",
        "collection_methods_correct",
        "instruments_correct",
        "construction_understood",
        "budget_understood",
    )

    def answers(self):
        return [
            (self._meta.get_field(name).verbose_name, getattr(self, name))
            for name in self.QUESTIONS
        ]


class SchemeConfirmation(models.Model):
    """One party's confirmation of one revision: who and when."""

    scheme = models.ForeignKey(DesignScheme, on_delete=models.CASCADE, related_name="confirmations")
    revision = models.PositiveSmallIntegerField(_("方案版本"))
    party = models.CharField(_("确认方"), max_length=20, choices=Party)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("确认人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    confirmed_at = models.DateTimeField(_("确认时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("方案确认")
        verbose_name_plural = _("方案确认")
        ordering = ["confirmed_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["scheme", "revision", "party"], name="one_confirmation_per_party"
            )
        ]

    def __str__(self):
        return f"{self.scheme} · {self.get_party_display()}"


class ChangeState(models.TextChoices):
    PROPOSED = "proposed", _("待省计量院确认")
    CONFIRMED = "confirmed", _("已确认")
    REJECTED = "rejected", _("未予确认")


class ChangeRecord(FSMModelMixin, models.Model):
    """变更记录 of a finalised scheme: time, content, reason, unit; the institute confirms."""

    scheme = models.ForeignKey(
        DesignScheme, on_delete=models.PROTECT, related_name="change_records"
    )
    changed_on = models.DateField(_("变更时间"))
    content = models.TextField(_("变更内容"))
    reason = models.TextField(_("变更理由"))
    unit = models.CharField(_("变更单位"), max_length=200)
    state = FSMField(
        _("状态"),
        max_length=20,
        choices=ChangeState,
        default=ChangeState.PROPOSED,
        protected=True,
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("确认人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    decision_comment = models.TextField(_("确认意见"), blank=True)

    class Meta:
        verbose_name = _("变更记录")
        verbose_name_plural = _("变更记录")
        ordering = ["-changed_on", "-pk"]

    def __str__(self):
        return f"{self.scheme} · {self.changed_on}"

    @property
    def enterprise_id(self):
        return self.scheme.enterprise_id

    @transition(
        state,
        source=ChangeState.PROPOSED,
        target=ChangeState.CONFIRMED,
        permission=institute_reviewer_permission,
    )
    def confirm(self, actor=None, opinion=""):
        """The institute confirms the change (side effect: the enterprise is told)."""
        self.decided_by, self.decided_at, self.decision_comment = actor, timezone.now(), opinion

    @transition(
        state,
        source=ChangeState.PROPOSED,
        target=ChangeState.REJECTED,
        permission=institute_reviewer_permission,
    )
    def reject(self, actor=None, opinion=""):
        """The institute does not accept the change (side effect: the enterprise is told)."""
        self.decided_by, self.decided_at, self.decision_comment = actor, timezone.now(), opinion
