"""设计方案 (design scheme), its 7.1 feedback, the three confirmations and change records."""

import hashlib
import json

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


# The parts seed 4.1(2) requires of a scheme that are documents (portal.Attachment kinds).
# 计量器具配备一览表 is not a file: it is the enterprise's meter ledger (applications.Meter).
SCHEME_PART_DOCUMENTS = (
    ("energy_flow", _("企业能源流向图")),
    ("metering_network", _("能源计量网络图")),
    ("network_topology", _("系统网络拓扑图")),
    ("hw_sw_list", _("企业接入端系统实施软硬件清单")),
)
METER_LIST_PART = _("计量器具配备一览表")


def meter_row(meter) -> dict:
    """One ledger meter as a plain row of the 计量器具配备一览表 (JSON-safe)."""
    return {
        "name": meter.name,
        "management_number": meter.management_number,
        "model": meter.model,
        "accuracy_class": meter.accuracy_class,
        "energy_type": meter.energy_type,
        "metering_level": meter.metering_level,
        "location": meter.location,
        "certificate_number": meter.certificate_number,
        "valid_until": meter.valid_until.isoformat() if meter.valid_until else "",
    }


def content_hash(payload) -> str:
    """SHA-256 of a record version: its content as canonical JSON."""
    text = json.dumps(payload, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


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
    # The 计量器具配备一览表 as the ledger stood when the scheme was sent (ledger_rows()):
    # what the parties confirm and stamp; later ledger edits do not change it.
    meter_snapshot = models.JSONField(
        _("计量器具配备一览表（发送时快照）"), default=list, blank=True, editable=False
    )
    project_plan = models.TextField(_("项目建设方法、内容及计划"), blank=True)
    construction_period = models.CharField(
        _("建设周期"), max_length=200, blank=True, help_text=_("例如：自方案定稿起 3 个月")
    )
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

    # --- the meter list: frozen when sent ------------------------------------------------

    def ledger_rows(self, meters=None) -> list[dict]:
        """The enterprise's live meter ledger as 计量器具配备一览表 rows."""
        if meters is None:
            meters = list(self.enterprise.meters.all())
        return sorted((meter_row(m) for m in meters), key=lambda r: r["management_number"])

    def meter_rows(self, meters=None) -> list[dict]:
        """The scheme's meter list: the snapshot once sent, the live ledger while drafted."""
        if not self.is_editable and self.meter_snapshot:
            return self.meter_snapshot
        return self.ledger_rows(meters)

    def ledger_differences(self, meters=None) -> dict:
        """What the live ledger has changed since the snapshot, by management number."""
        frozen = {r["management_number"]: r for r in self.meter_snapshot}
        live = {r["management_number"]: r for r in self.ledger_rows(meters)}
        return {
            "added": [live[k] for k in sorted(live.keys() - frozen.keys())],
            "removed": [frozen[k] for k in sorted(frozen.keys() - live.keys())],
            "changed": [
                {"before": frozen[k], "after": live[k]}
                for k in sorted(frozen.keys() & live.keys())
                if frozen[k] != live[k]
            ],
        }

    # --- guards ---------------------------------------------------------------------------

    def parts(self, documents=None, meters=None) -> list[dict]:
        """Seed 4.1(2)'s parts, 建设周期 and the 现场调研 record, each with whether it is
        there: [{"key", "label", "complete", "detail"}]. `documents` (attachments of the
        scheme) and `meters` (the enterprise's ledger) may be passed in when already read."""
        from portal.attachments import attachments_of

        if documents is None:
            documents = list(attachments_of(self))
        meters = self.meter_rows(meters)
        kinds = {d.kind for d in documents}
        levels = sorted({m["metering_level"] for m in meters})
        energies = {m["energy_type"] for m in meters}
        missing_energies = [c for c in self.energy_codes if c not in energies]
        try:
            survey = self.site_survey
        except models.ObjectDoesNotExist:
            survey = None
        parts = [
            {
                "key": "site_survey",
                "label": _("现场调研记录"),
                "complete": survey is not None,
                "detail": f"{survey.surveyed_on:%Y-%m-%d} · {survey.surveyors}" if survey else "",
            },
            {
                "key": "energy_types",
                "label": _("能源种类及采集方式"),
                "complete": bool(self.energy_types),
                "detail": "",
            },
        ]
        parts += [
            {"key": kind, "label": label, "complete": kind in kinds, "detail": ""}
            for kind, label in SCHEME_PART_DOCUMENTS[:2]
        ]
        parts.append(
            {
                "key": "meter_list",
                "label": METER_LIST_PART,
                "complete": bool(meters) and not missing_energies,
                "detail": _("计量器具台账 %(n)s 台，涉及计量级别 %(l)s")
                % {"n": len(meters), "l": "、".join(str(level) for level in levels) or "—"},
            }
        )
        parts += [
            {"key": kind, "label": label, "complete": kind in kinds, "detail": ""}
            for kind, label in SCHEME_PART_DOCUMENTS[2:]
        ]
        parts += [
            {
                "key": "project_plan",
                "label": _("项目建设方法、内容及计划"),
                "complete": bool(self.project_plan.strip()),
                "detail": "",
            },
            {
                "key": "construction_period",
                "label": _("建设周期"),
                "complete": bool(self.construction_period.strip()),
                "detail": self.construction_period,
            },
            {
                "key": "scheme_document",
                "label": _("设计方案文件"),
                "complete": "scheme_document" in kinds,
                "detail": "",
            },
        ]
        return parts

    def missing_parts(self, documents=None, meters=None) -> list[str]:
        return [str(p["label"]) for p in self.parts(documents, meters) if not p["complete"]]

    def version_hash(self, documents=None) -> str:
        """SHA-256 of this scheme's content as it stands (fields and its documents' hashes)."""
        from portal.attachments import attachments_of

        if documents is None:
            documents = list(attachments_of(self))
        return content_hash(
            {
                "number": self.number,
                "revision": self.revision,
                "energy_types": self.energy_types,
                "instruments": self.instruments,
                "meters": self.meter_snapshot,
                "project_plan": self.project_plan,
                "construction_period": self.construction_period,
                "budget_items": self.budget_items,
                "documents": sorted(f"{d.kind}:{d.sha256}" for d in documents),
            }
        )

    # --- guards ---------------------------------------------------------------------------

    @condition(
        _(
            "方案内容不完整：需有现场调研记录、能源种类及采集方式、企业能源流向图、"
            "能源计量网络图、计量器具配备一览表、系统网络拓扑图、"
            "企业接入端系统实施软硬件清单、项目建设计划、建设周期和方案文件"
        )
    )
    def has_content(self) -> bool:
        return not self.missing_parts()

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
    # 单位盖章 scan (portal.Attachment kind "stamped_scan"), with the SHA-256 of the record
    # version it stamps (version_hash() at upload time).
    stamp_sha256 = models.CharField(_("盖章件所盖记录版本（SHA-256）"), max_length=64, blank=True)
    stamped_at = models.DateTimeField(_("盖章件上传时间"), null=True, blank=True)

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

    def version_hash(self, scheme_hash=None) -> str:
        """The printed 7.1 sheet's version: its answers and the scheme content it answers."""
        return content_hash(
            {
                "answers": {
                    name: getattr(self, name)
                    for name in (
                        *self.QUESTIONS,
                        "planned_completion",
                        "contact_person",
                        "contact_phone",
                        "contact_position",
                        "contact_email",
                        "feedback_text",
                    )
                },
                "revision": self.revision,
                "scheme": scheme_hash or self.scheme.version_hash(),
            }
        )

    def stamp_state(self, scheme_hash=None) -> str:
        """ "missing", "current" or "stale" (the record changed after it was stamped)."""
        if not self.stamp_sha256:
            return "missing"
        return "current" if self.stamp_sha256 == self.version_hash(scheme_hash) else "stale"


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
    # 变更单位签章 file (portal.Attachment kind "change_document"), with the SHA-256 of the
    # record version it signs.
    stamp_sha256 = models.CharField(_("签章件所签记录版本（SHA-256）"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("变更记录")
        verbose_name_plural = _("变更记录")
        ordering = ["-changed_on", "-pk"]

    def __str__(self):
        return f"{self.scheme} · {self.changed_on}"

    @property
    def enterprise_id(self):
        return self.scheme.enterprise_id

    def version_hash(self) -> str:
        return content_hash(
            {
                "scheme": self.scheme.number,
                "changed_on": self.changed_on,
                "content": self.content,
                "reason": self.reason,
                "unit": self.unit,
            }
        )

    def stamp_state(self) -> str:
        if not self.stamp_sha256:
            return "missing"
        return "current" if self.stamp_sha256 == self.version_hash() else "stale"

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
