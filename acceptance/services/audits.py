"""年度审核: the yearly plan, the written review, the spot-check sample, and the grade."""

import random
import secrets
from datetime import date, timedelta
from functools import partial

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from portal.attachments import save_attachment
from portal.models import AuditEvent, Enterprise
from portal.notifications import enterprise_users, notify, reviewers, tell
from portal.permissions import can_file_for
from portal.roles import is_staff_reviewer
from portal.sentences import Sentence
from portal.workflow import RefusalReason, TransitionRefused, run_transition
from reports.models import IssuedDocument

from ..choices import (
    DEFAULT_AUDIT_CHECKLIST,
    AcceptanceState,
    AuditSituation,
    AuditState,
    ItemResult,
    Occasion,
    PublicationKind,
)
from ..evidence import evidence_pack
from ..models import (
    AcceptanceApplication,
    AnnualAudit,
    AuditAnswer,
    AuditGrade,
    AuditPlan,
    ChecklistItem,
    SpotComparison,
)
from .applications import refused
from .onsite import check_reading_time, compared_reading
from .outcome import publish
from .rectification import issue_notice

SAMPLE_METHOD = (
    "Python random.Random(种子).sample：对本年度被审核企业按编号升序排列后抽取 n 家，"
    "n = max(1, ceil(总数 × 比例))"
)


def audit_link(audit) -> str:
    return reverse("acceptance:audit_detail", args=[audit.pk])


# The pass is recorded when the 验收报告 (附件2) is issued with 合格 (services/outcome.py
# issue_result -> record_pass); ``reviewed_at`` only dates the review of the materials.
PASSED_REPORT = "onsite__report__"


def accepted_on(enterprise) -> date | None:
    """When the enterprise's system was accepted: the issue date of its passing 验收报告."""
    issued = (
        AcceptanceApplication.objects.filter(
            enterprise=enterprise,
            state=AcceptanceState.PASSED,
            **{PASSED_REPORT + "result": ItemResult.PASS},
            **{PASSED_REPORT + "issued_at__isnull": False},
        )
        .order_by(PASSED_REPORT + "issued_at")
        .values_list(PASSED_REPORT + "issued_at", flat=True)
        .first()
    )
    return timezone.localdate(issued) if issued else None


def accepted_before(year: int):
    """Enterprises whose 验收报告 (合格) was issued before 1 January of `year`."""
    cutoff = timezone.make_aware(timezone.datetime(year, 1, 1))
    prefix = "acceptance_applications__" + PASSED_REPORT
    return Enterprise.objects.filter(
        acceptance_applications__state=AcceptanceState.PASSED,
        **{prefix + "result": ItemResult.PASS, prefix + "issued_at__lt": cutoff},
    ).distinct()


def audited_year(today: date) -> int:
    """The year a plan made on ``today`` audits: the last completed calendar year."""
    return today.year - 1


def create_plan(year: int, actor=None) -> AuditPlan:
    """The year's plan: an audit for every system accepted before the year began, the
    default checklist, the enterprises told their deadline. Idempotent per year."""
    deadline = timezone.localdate() + timedelta(days=settings.AUDIT_SUBMISSION_DAYS)
    with transaction.atomic():
        plan, created = AuditPlan.objects.select_for_update().get_or_create(
            year=year, defaults={"deadline": deadline, "created_by": actor}
        )
        if created:
            for n, text in enumerate(DEFAULT_AUDIT_CHECKLIST, start=1):
                ChecklistItem.objects.create(plan=plan, text=str(text), version=n, added_by=actor)
        existing = set(plan.audits.values_list("enterprise_id", flat=True))
        new = [
            AnnualAudit(plan=plan, enterprise=e)
            for e in accepted_before(year)
            if e.pk not in existing
        ]
        AnnualAudit.objects.bulk_create(new)
        for audit in AnnualAudit.objects.filter(
            plan=plan, enterprise__in=[a.enterprise for a in new]
        ):
            notify(
                enterprise_users(audit.enterprise),
                Sentence(
                    gettext_noop("%(y)s 年度审核：请于 %(d)s 前提交书面审核材料"),
                    y=str(year),
                    d=plan.deadline.isoformat(),
                ),
                link=audit_link(audit),
            )
        AuditEvent.record(plan, actor, "audit_plan_created", context={"audits": len(new)})
    return plan


def add_checklist_item(plan, actor, text: str) -> ChecklistItem:
    """The institute adds a line (seed 6.2: 保留…追加审核内容的权利); open audits already
    submitted go back to the enterprise to answer it. Graded audits keep their checklist."""
    if not is_staff_reviewer(actor):
        raise TransitionRefused(RefusalReason.NOT_PERMITTED)
    if not text.strip():
        raise ValidationError({"text": _("请填写审核内容。")})
    with transaction.atomic():
        locked = AuditPlan.objects.select_for_update().get(pk=plan.pk)
        item = ChecklistItem.objects.create(
            plan=locked, text=text.strip(), version=locked.checklist.count() + 1, added_by=actor
        )
        for audit in locked.audits.filter(state=AuditState.SUBMITTED):
            run_transition(
                audit,
                "ask_again",
                actor,
                event="audit_item_added",
                comment=item.text,
                notify=tell(
                    lambda a: enterprise_users(a.enterprise),
                    Sentence(gettext_noop("年度审核追加了审核内容，请补充说明后重新提交")),
                    audit_link,
                ),
            )
        AuditEvent.record(locked, actor, "audit_item_added", comment=item.text)
    return item


EVIDENCE_KIND = "audit_evidence"


def answer(audit, actor, answers: dict[int, str], files: dict[int, list] | None = None) -> None:
    """The enterprise's written answers and, per checklist line, its evidence files (owned by
    the line's AuditAnswer, as other uploads). All or nothing: a refused file or line leaves
    no answer written (a file already stored is an orphan the nightly sweep removes)."""
    files = {k: v for k, v in (files or {}).items() if v}
    with transaction.atomic():
        locked = AnnualAudit.objects.select_for_update().get(pk=audit.pk)
        if not can_file_for(actor, locked.enterprise):
            raise TransitionRefused(RefusalReason.NOT_PERMITTED)
        if locked.state != AuditState.PLANNED:
            raise TransitionRefused(RefusalReason.WRONG_STATE, state=locked.get_state_display())
        items = set(locked.plan.checklist.values_list("pk", flat=True))
        if not set(answers) | set(files) <= items:
            raise ValidationError({"answers": _("审核内容不属于本年度清单。")})
        rows = {}
        for item_id, text in answers.items():
            rows[item_id], _created = AuditAnswer.objects.update_or_create(
                audit=locked, item_id=item_id, defaults={"answer": text.strip()}
            )
        for item_id, uploads in files.items():
            row = (
                rows.get(item_id)
                or AuditAnswer.objects.get_or_create(audit=locked, item_id=item_id)[0]
            )
            for upload in uploads:
                save_attachment(
                    upload,
                    actor=actor,
                    enterprise=locked.enterprise,
                    owner=row,
                    kind=EVIDENCE_KIND,
                )


def remove_evidence(audit, actor, attachment) -> None:
    """Withdraws one evidence file of the written review, while the audit is open for answers
    and only by the enterprise's members; recorded on the audit's timeline."""
    with transaction.atomic():
        locked = AnnualAudit.objects.select_for_update().get(pk=audit.pk)
        if not can_file_for(actor, locked.enterprise):
            raise TransitionRefused(RefusalReason.NOT_PERMITTED)
        if locked.state != AuditState.PLANNED:
            raise TransitionRefused(RefusalReason.WRONG_STATE, state=locked.get_state_display())
        owner = AuditAnswer.objects.filter(audit=locked, pk=attachment.object_id).first()
        if owner is None or attachment.kind != EVIDENCE_KIND:
            raise ValidationError({"attachment": _("该文件不是本次年度审核的证据文件。")})
        AuditEvent.record(
            locked,
            actor,
            "audit_evidence_removed",
            comment=attachment.original_name,
            context={"item": owner.item_id, "sha256": attachment.sha256},
        )
        attachment.delete()
        transaction.on_commit(partial(attachment.file.delete, save=False))


def submit(audit, actor):
    return run_transition(
        audit,
        "submit",
        actor,
        event="audit_submitted",
        notify=tell(
            lambda a: reviewers(),
            Sentence(
                gettext_noop("%(n)s 已提交 %(y)s 年度书面审核材料"),
                n=audit.enterprise.name,
                y=str(audit.plan.year),
            ),
            audit_link,
        ),
    ).obj


def grade_line(audit, actor, item_id: int, grade: str, note: str = "") -> AuditGrade:
    if grade not in settings.AUDIT_GRADE_SCALE:
        raise ValidationError(
            {"grade": _("评定须为：%(s)s") % {"s": "、".join(settings.AUDIT_GRADE_SCALE)}}
        )
    with transaction.atomic():
        locked = AnnualAudit.objects.select_for_update().get(pk=audit.pk)
        if not is_staff_reviewer(actor):
            raise TransitionRefused(RefusalReason.NOT_PERMITTED)
        if locked.state != AuditState.SUBMITTED:
            raise TransitionRefused(RefusalReason.WRONG_STATE, state=locked.get_state_display())
        if not locked.plan.checklist.filter(pk=item_id).exists():
            raise ValidationError({"item": _("审核内容不属于本年度清单。")})
        row, _created = AuditGrade.objects.update_or_create(
            audit=locked,
            item_id=item_id,
            defaults={"grade": grade, "note": note, "graded_by": actor},
        )
    return row


def grade(audit, actor, *, passed: bool, opinion: str = "", situations: dict | None = None):
    """通过 / 不通过 for the whole; 不通过 names the 6.2 situations, issues the rectification
    notice and publishes the announcement, in one transaction."""
    situations = {k: v for k, v in (situations or {}).items() if str(v).strip()}
    if not passed and not set(situations) <= set(AuditSituation.values):
        raise ValidationError({"situations": _("未知的 6.2 情形。")})
    with transaction.atomic():
        locked = AnnualAudit.objects.select_for_update().get(pk=audit.pk)
        if not passed:
            locked.situations = situations
            locked.save(update_fields=["situations"])
        evidence = evidence_pack(locked, accepted_on(locked.enterprise))
        graded = run_transition(
            locked,
            "grade_pass" if passed else "grade_fail",
            actor,
            event="audit_graded",
            comment=opinion,
            opinion=opinion,
            evidence=evidence,
            notify=tell(
                lambda a: enterprise_users(a.enterprise),
                Sentence(
                    gettext_noop("%(y)s 年度审核结果：%(r)s"),
                    y=str(audit.plan.year),
                    r=Sentence(gettext_noop("通过") if passed else gettext_noop("不通过")),
                ),
                audit_link,
            ),
        ).obj
        if not passed:
            rows = [
                {"code": code, "label": str(AuditSituation(code).label), "explanation": text}
                for code, text in sorted(situations.items())
            ]
            notice = issue_notice(
                actor,
                graded.enterprise,
                occasion=Occasion.ANNUAL_AUDIT,
                occasion_date=timezone.localdate(),
                situations=rows,
                audit_year=graded.plan.year,
            )
            publish(
                PublicationKind.RECTIFICATION,
                graded.enterprise,
                project_name="能耗在线监测企业接入端系统",
                decided_on=timezone.localdate(),
                result=_("年度审核不通过"),
                document=IssuedDocument.objects.get(pk=notice.document_id),
                deadline=notice.deadline,
            )
    return graded


def sample_size(total: int) -> int:
    percent = settings.AUDIT_SPOT_CHECK_PERCENT
    return min(total, max(1, -(-total * percent // 100))) if total else 0


def draw(ids: list[int], seed: str) -> list[int]:
    """The reproducible draw: anyone with the seed and the list redraws the same sample."""
    ordered = sorted(ids)
    return sorted(random.Random(seed).sample(ordered, sample_size(len(ordered))))


def draw_sample(plan, actor, seed: str | None = None) -> AuditPlan:
    """现场抽查: draw once per year, recording the seed and the method."""
    with transaction.atomic():
        locked = AuditPlan.objects.select_for_update().get(pk=plan.pk)
        if locked.sampled_at is not None:
            raise refused(
                _("本年度已抽样（种子 %(s)s），不能以其他种子重抽。") % {"s": locked.sample_seed},
                field="seed",
            )
        seed = seed or secrets.token_hex(8)
        ids = list(locked.audits.values_list("enterprise_id", flat=True))
        locked.sample_seed = seed
        locked.sample_method = SAMPLE_METHOD
        locked.sample = draw(ids, seed)
        locked.sampled_at = timezone.now()
        locked.save()
        AuditEvent.record(
            locked, actor, "audit_sample_drawn", context={"seed": seed, "sample": locked.sample}
        )
    return locked


SPOT_FIELDS = ("spot_layout", "spot_devices", "spot_collection", "spot_remarks")


def _locked_for_spot_check(audit, actor) -> AnnualAudit:
    if not is_staff_reviewer(actor):
        raise TransitionRefused(RefusalReason.NOT_PERMITTED)
    locked = AnnualAudit.objects.select_for_update().select_related("plan").get(pk=audit.pk)
    if locked.enterprise_id not in locked.plan.sample:
        raise refused(_("该企业不在本年度现场抽查名单中。"), field="spot_layout")
    if locked.state in (AuditState.PASSED, AuditState.FAILED):
        raise TransitionRefused(RefusalReason.WRONG_STATE, state=locked.get_state_display())
    return locked


def record_spot_findings(
    audit, actor, *, layout: str, devices: str, collection: str, remarks: str = ""
) -> AnnualAudit:
    """现场抽查 findings for a sampled enterprise, recorded like the on-site 现场考察: 布点,
    端设备及计量器具, 数据采集情况 (all three required), and other remarks."""
    values = dict(zip(SPOT_FIELDS, (layout, devices, collection, remarks), strict=True))
    values = {k: (v or "").strip() for k, v in values.items()}
    missing = [k for k in SPOT_FIELDS[:3] if not values[k]]
    if missing:
        raise ValidationError({k: _("请填写现场抽查情况。") for k in missing})
    with transaction.atomic():
        locked = _locked_for_spot_check(audit, actor)
        for field, value in values.items():
            setattr(locked, field, value)
        locked.spot_checked_by = actor
        locked.spot_checked_at = timezone.now()
        locked.save(update_fields=[*SPOT_FIELDS, "spot_checked_by", "spot_checked_at"])
        AuditEvent.record(locked, actor, "audit_spot_checked", context=values)
    return locked


def add_spot_comparison(audit, actor, *, item_id, meter: str, read_at, site_value):
    """A meter read during the spot check, beside the platform's value for the same slot
    (the on-site acceptance's comparison, same tolerance)."""
    check_reading_time(read_at)
    with transaction.atomic():
        locked = _locked_for_spot_check(audit, actor)
        fields = compared_reading(
            locked.enterprise, item_id=item_id, meter=meter, read_at=read_at, site_value=site_value
        )
        row = SpotComparison.objects.create(audit=locked, recorded_by=actor, **fields)
        AuditEvent.record(
            locked,
            actor,
            "audit_spot_comparison",
            context={"item": row.item_id, "within": row.within},
        )
    return row


def plan_due(today=None) -> int | None:
    """The audited year whose plan is due today or earlier and not yet made (beat, daily):
    on AUDIT_PLAN_DATE of year Y the plan for the completed year Y-1 falls due."""
    today = today or timezone.localdate()
    month, day = settings.AUDIT_PLAN_DATE
    year = audited_year(today)
    if (today.month, today.day) >= (month, day) and not AuditPlan.objects.filter(
        year=year
    ).exists():
        return year
    return None
