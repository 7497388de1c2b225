"""Design scheme: numbering, drafting, sending, the enterprise's feedback, the three
confirmations, and change records of a finalised scheme."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from portal.attachments import check_file, save_attachment
from portal.models import AuditEvent, Stage
from portal.notifications import enterprise_users, notify, operators, reviewers, tell
from portal.numbering import next_number
from portal.roles import is_institute_reviewer, is_member, is_staff_reviewer
from portal.sentences import Sentence
from portal.stages import advance_stage
from portal.workflow import RefusalReason, TransitionRefused, run_transition

from ..content import clean_content
from ..models import (
    SCHEME_PART_DOCUMENTS,
    ChangeRecord,
    DesignScheme,
    Party,
    SchemeConfirmation,
    SchemeFeedback,
    SchemeState,
    SiteSurvey,
    party_of,
)
from ._common import refused


def scheme_link(scheme) -> str:
    return reverse("applications:scheme_detail", args=[scheme.pk])


# --- design scheme -------------------------------------------------------------------------


# The design schemes' kind of portal.numbering counter.
SCHEME_NUMBERS = "design_scheme"


def allocate_scheme_number(year: int) -> str:
    """The next NY<year>-<seq4>. Call inside the creating transaction: the counter row stays
    locked until it commits, and rolls back with it, so numbers have no gaps or repeats."""
    return f"NY{year}-{next_number(SCHEME_NUMBERS, year):04d}"


def _require_institute(actor):
    if not is_institute_reviewer(actor):
        raise PermissionDenied(_("只有省计量院审核人员可以编制设计方案。"))


PART_KINDS = {kind for kind, _label in SCHEME_PART_DOCUMENTS}


def _check_parts(parts: dict | None) -> dict:
    """{kind: upload} of the scheme's part documents, each checked like any attachment."""
    parts = {k: v for k, v in (parts or {}).items() if v is not None}
    unknown = set(parts) - PART_KINDS
    if unknown:
        raise ValidationError({"parts": _("未知的方案组成部分：%(k)s") % {"k": ", ".join(unknown)}})
    for upload in parts.values():
        check_file(upload)
    return parts


def _save_parts(scheme, actor, parts: dict):
    for kind, upload in parts.items():
        save_attachment(upload, actor=actor, enterprise=scheme.enterprise, owner=scheme, kind=kind)
        AuditEvent.record(scheme, actor, "scheme_part_uploaded", comment=upload.name)


def create_scheme(actor, enterprise, data: dict, document=None, parts=None) -> DesignScheme:
    """A reviewer drafts a scheme for an approved enterprise; it gets the next number."""
    _require_institute(actor)
    if not enterprise.is_approved:
        raise ValidationError({"enterprise": _("该企业的注册尚未审核通过。")})
    content = clean_content(data)
    if document is not None:
        check_file(document)
    parts = _check_parts(parts)
    with transaction.atomic():
        number = allocate_scheme_number(timezone.localdate().year)
        scheme = DesignScheme.objects.create(
            enterprise=enterprise,
            number=number,
            project_plan=data.get("project_plan", ""),
            construction_period=data.get("construction_period", ""),
            drafted_by=actor,
            **content,
        )
        if document is not None:
            save_attachment(
                document, actor=actor, enterprise=enterprise, owner=scheme, kind="scheme_document"
            )
        AuditEvent.record(scheme, actor, "scheme_drafted", to_state=scheme.state)
        _save_parts(scheme, actor, parts)
    return scheme


def update_scheme(scheme, actor, data: dict, document=None, parts=None) -> DesignScheme:
    """The reviewer edits a draft or revises after the enterprise asked for changes."""
    _require_institute(actor)
    content = clean_content(data)
    if document is not None:
        check_file(document)
    parts = _check_parts(parts)
    with transaction.atomic():
        locked = DesignScheme.objects.select_for_update().get(pk=scheme.pk)
        if not locked.is_editable:
            raise TransitionRefused(RefusalReason.WRONG_STATE, state=locked.get_state_display())
        for name, value in content.items():
            # A list the caller did not send is kept (the page no longer edits the old
            # 一级计量器具 list: the meter ledger is the scheme's 计量器具配备一览表).
            if name in data:
                setattr(locked, name, value)
        if "project_plan" in data:
            locked.project_plan = data["project_plan"]
        if "construction_period" in data:
            locked.construction_period = data["construction_period"]
        locked.save()
        if document is not None:
            save_attachment(
                document,
                actor=actor,
                enterprise=locked.enterprise,
                owner=locked,
                kind="scheme_document",
            )
        AuditEvent.record(locked, actor, "scheme_updated", to_state=locked.state)
        _save_parts(locked, actor, parts)
    return locked


def record_site_survey(scheme, actor, data: dict) -> SiteSurvey:
    """现场调研 (date, surveyors, findings) of the scheme, recorded by the institute before
    the draft goes to the enterprise; re-recording replaces it while the draft is editable."""
    _require_institute(actor)
    with transaction.atomic():
        locked = DesignScheme.objects.select_for_update().get(pk=scheme.pk)
        if not locked.is_editable:
            raise TransitionRefused(RefusalReason.WRONG_STATE, state=locked.get_state_display())
        survey, _created = SiteSurvey.objects.update_or_create(
            scheme=locked,
            defaults={
                "surveyed_on": data["surveyed_on"],
                "surveyors": data["surveyors"],
                "findings": data["findings"],
                "recorded_by": actor,
            },
        )
        AuditEvent.record(
            locked,
            actor,
            "site_survey_recorded",
            comment=f"{survey.surveyed_on} {survey.surveyors}",
        )
    return survey


def send_scheme(scheme, actor) -> DesignScheme:
    missing = scheme.missing_parts()
    if missing and is_institute_reviewer(actor) and scheme.is_editable:
        raise refused(
            _("设计方案尚不能发送，缺少：%(parts)s。") % {"parts": "、".join(missing)},
            field="parts",
        )
    with transaction.atomic():
        sent = run_transition(
            scheme,
            "send",
            actor,
            event="scheme_sent",
            notify=tell(
                lambda s: enterprise_users(s.enterprise),
                Sentence(gettext_noop("设计方案待确认，请填写反馈意见确认表")),
                scheme_link,
            ),
        ).obj
        # Freeze the 计量器具配备一览表: confirmations and stamps hash this, not the live ledger.
        sent.meter_snapshot = sent.ledger_rows()
        DesignScheme.objects.filter(pk=sent.pk).update(meter_snapshot=sent.meter_snapshot)
    return sent


FEEDBACK_FIELDS = (
    *SchemeFeedback.QUESTIONS,
    "planned_completion",
    "contact_person",
    "contact_phone",
    "contact_position",
    "contact_email",
    "feedback_text",
)


def answer_scheme(scheme, actor, feedback: dict) -> DesignScheme:
    """The enterprise's 7.1 form: confirms the scheme when it can be finalised, otherwise
    asks for changes (with the feedback text saying which)."""
    confirms = bool(feedback["can_finalise"])
    if confirms:
        doubts = [q for q in SchemeFeedback.QUESTIONS[1:] if not feedback[q]]
        if doubts:
            labels = "；".join(str(SchemeFeedback._meta.get_field(q).verbose_name) for q in doubts)
            raise ValidationError(
                {
                    "can_finalise": _(
                        "以下项目答“否”，不能确认定稿，请选择“否”并说明修改意见：%(q)s"
                    )
                    % {"q": labels}
                }
            )
    elif not feedback.get("feedback_text", "").strip():
        raise ValidationError(
            {"feedback_text": _("要求修改时请在“单位反馈意见说明”中写明修改意见。")}
        )
    with transaction.atomic():
        outcome = run_transition(
            scheme,
            "confirm" if confirms else "request_changes",
            actor,
            event="scheme_confirmed_by_enterprise" if confirms else "scheme_changes_requested",
            comment=feedback.get("feedback_text", ""),
            notify=tell(
                # Confirmed: the platform operators (省平台开发单位) confirm too.
                lambda s: [*reviewers(), *operators()] if confirms else reviewers(),
                Sentence(
                    gettext_noop("%(n)s：企业已确认，待省计量院和平台开发单位确认")
                    if confirms
                    else gettext_noop("%(n)s：企业要求修改设计方案"),
                    n=scheme.number,
                ),
                scheme_link,
            ),
        )
        locked = outcome.obj
        SchemeFeedback.objects.create(
            scheme=locked,
            revision=locked.revision,
            submitted_by=actor,
            **{name: feedback.get(name, "") for name in FEEDBACK_FIELDS},
        )
        if confirms:
            SchemeConfirmation.objects.create(
                scheme=locked, revision=locked.revision, party=Party.ENTERPRISE, confirmed_by=actor
            )
    return locked


def confirm_scheme(scheme, actor) -> DesignScheme:
    """The institute (a reviewer) or the platform developer (an operator) confirms; the
    third confirmation finalises the scheme and moves the enterprise to the build stage."""
    party = party_of(actor, scheme)
    if party not in (Party.INSTITUTE, Party.DEVELOPER):
        raise TransitionRefused(RefusalReason.NOT_PERMITTED)
    with transaction.atomic():
        locked = DesignScheme.objects.select_for_update().get(pk=scheme.pk)
        if locked.state != SchemeState.ENTERPRISE_CONFIRMED:
            raise TransitionRefused(RefusalReason.WRONG_STATE, state=locked.get_state_display())
        if locked.confirmations_of_revision().filter(party=party).exists():
            raise refused(_("%(party)s已确认过本版方案。") % {"party": party.label})
        SchemeConfirmation.objects.create(
            scheme=locked, revision=locked.revision, party=party, confirmed_by=actor
        )
        AuditEvent.record(locked, actor, f"scheme_confirmed_by_{party}", to_state=locked.state)
        if locked.has_all_confirmations():
            locked = run_transition(
                locked,
                "finalise",
                actor,
                event="scheme_finalised",
                notify=tell(
                    lambda s: [*enterprise_users(s.enterprise), *reviewers()],
                    Sentence(gettext_noop("设计方案 %(n)s 已定稿"), n=locked.number),
                    scheme_link,
                ),
            ).obj
            advance_stage(locked.enterprise, Stage.BUILD)
    return locked


def add_change_record(scheme, actor, data: dict, document=None) -> ChangeRecord:
    """变更记录 of a finalised scheme, by the enterprise or a reviewer; the institute confirms."""
    if not (is_staff_reviewer(actor) or is_member(actor, scheme.enterprise)):
        raise PermissionDenied
    if scheme.state != SchemeState.FINALISED:
        raise refused(_("设计方案定稿后，变更须以变更记录登记；当前方案尚未定稿。"))
    if document is None:
        raise ValidationError({"document": _("请上传变更单位签章的变更记录（打印、盖章后扫描）。")})
    check_file(document)
    with transaction.atomic():
        record = ChangeRecord(
            scheme=scheme,
            recorded_by=actor,
            **{k: data[k] for k in ("changed_on", "content", "reason", "unit")},
        )
        # The signed file stamps this version of the record.
        record.stamp_sha256 = record.version_hash()
        record.save()
        save_attachment(
            document,
            actor=actor,
            enterprise=scheme.enterprise,
            owner=record,
            kind="change_document",
        )
        event = AuditEvent.record(
            record, actor, "change_recorded", to_state=record.state, comment=record.content
        )
        notify(
            reviewers(),
            Sentence(gettext_noop("%(n)s 登记了设计方案变更，待确认"), n=scheme.number),
            body=record.content,
            link=scheme_link(scheme),
            event=event,
        )
    return record


def decide_change_record(record, actor, *, confirm: bool, comment="") -> ChangeRecord:
    return run_transition(
        record,
        "confirm" if confirm else "reject",
        actor,
        event="change_confirmed" if confirm else "change_rejected",
        comment=comment,
        require_comment=not confirm,
        opinion=comment,
        notify=tell(
            lambda r: enterprise_users(r.scheme.enterprise),
            Sentence(
                gettext_noop("设计方案变更已确认")
                if confirm
                else gettext_noop("设计方案变更未予确认")
            ),
            lambda r: scheme_link(r.scheme),
        ),
    ).obj


def upload_feedback_stamp(feedback, actor, upload) -> SchemeFeedback:
    """The enterprise uploads the printed 7.1 sheet with its 单位盖章; the scan is tied to
    the record version it stamps (SchemeFeedback.version_hash at upload)."""
    scheme = feedback.scheme
    if not is_member(actor, scheme.enterprise):
        raise PermissionDenied(_("只有本单位人员可以上传盖章的反馈意见确认表。"))
    check_file(upload)
    with transaction.atomic():
        locked = SchemeFeedback.objects.select_for_update().get(pk=feedback.pk)
        save_attachment(
            upload, actor=actor, enterprise=scheme.enterprise, owner=locked, kind="stamped_scan"
        )
        locked.stamp_sha256 = locked.version_hash()
        locked.stamped_at = timezone.now()
        locked.save(update_fields=["stamp_sha256", "stamped_at"])
        AuditEvent.record(scheme, actor, "feedback_stamp_uploaded", comment=upload.name)
    return locked
