"""The acceptance application's review: submission, the materials review with one verdict
per 表1 line, return (reason composed from the verdicts) and acceptance (stage 05)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, pgettext

from portal.models import Stage
from portal.notifications import enterprise_users, reviewers, tell
from portal.sentences import Sentence
from portal.stages import advance_stage
from portal.workflow import RefusalReason, TransitionRefused, run_transition

from ..materials import checklist, current_verdicts
from ..models import AcceptanceApplication, AcceptanceState, Material, MaterialVerdict, Verdict
from ..resubmission import record_submission
from .applications import application_link, refused


def _tell_enterprise(title):
    return tell(lambda a: enterprise_users(a.enterprise), title, application_link)


def submit_application(application, actor) -> AcceptanceApplication:
    if application.is_editable:
        missing = checklist(application).missing
        if missing:
            raise refused(
                _("验收申请材料不齐全，缺少或有问题：%(m)s")
                % {"m": pgettext("list separator", "；").join(str(line.label) for line in missing)},
                field="materials",
            )
    tell_reviewers = tell(
        lambda a: reviewers(),
        Sentence(gettext_noop("新的验收申请待审查：%(n)s"), n=application.owner_name),
        application_link,
    )

    def notify(submitted, event):
        record_submission(submitted)  # what a resubmission is compared with
        tell_reviewers(submitted, event)

    return run_transition(
        application, "submit", actor, event="acceptance_submitted", notify=notify
    ).obj


def start_review(application, actor) -> AcceptanceApplication:
    return run_transition(
        application,
        "start_review",
        actor,
        event="acceptance_review_started",
        notify=_tell_enterprise(Sentence(gettext_noop("验收申请已进入材料审查"))),
    ).obj


def record_verdict(application, actor, material: str, verdict: str, note: str = ""):
    """The reviewer's 合格 / 需补正 on one line of the current submission."""
    if material not in Material.values:
        raise ValidationError({"material": _("未知的材料。")})
    if verdict not in Verdict.values:
        raise ValidationError({"verdict": _("请选择“合格”或“需补正”。")})
    if verdict == Verdict.NEEDS_CORRECTION and not note.strip():
        raise ValidationError({"note": _("需补正时请写明补正要求。")})
    with transaction.atomic():
        locked = AcceptanceApplication.objects.select_for_update().get(pk=application.pk)
        if locked.state != AcceptanceState.MATERIALS_REVIEW:
            raise TransitionRefused(RefusalReason.WRONG_STATE, state=locked.get_state_display())
        row, _created = MaterialVerdict.objects.update_or_create(
            application=locked,
            material=material,
            submitted_at=locked.submitted_at,
            defaults={"verdict": verdict, "note": note.strip(), "decided_by": actor},
        )
    return row


def composed_reason(application) -> str:
    """The return reason written from the lines marked 需补正, in 表1 order."""
    notes = dict(
        MaterialVerdict.objects.filter(
            application=application,
            submitted_at=application.submitted_at,
            verdict=Verdict.NEEDS_CORRECTION,
        ).values_list("material", "note")
    )
    return "\n".join(
        f"{material.label}：{notes[material.value]}" for material in Material if material in notes
    )


def return_application(application, actor, comment="") -> AcceptanceApplication:
    """Back to the enterprise; the reason is composed from the material verdicts, with the
    reviewer's own words after it."""
    reason = "\n".join(part for part in (composed_reason(application), comment.strip()) if part)
    return run_transition(
        application,
        "return_for_correction",
        actor,
        event="acceptance_returned",
        comment=reason,
        require_comment=True,
        opinion=reason,
        notify=_tell_enterprise(
            Sentence(gettext_noop("验收申请被退回补正，请按审查意见补正后重新提交"))
        ),
    ).obj


def accept_application(application, actor, comment="") -> AcceptanceApplication:
    verdicts = current_verdicts(application)
    undecided = [m for m in Material if m.value not in verdicts]
    if undecided:
        raise refused(
            _("还有 %(n)s 项材料未给出审查结论：%(m)s")
            % {
                "n": len(undecided),
                "m": pgettext("list separator", "；").join(str(m.label) for m in undecided),
            },
            field="materials",
        )
    with transaction.atomic():
        accepted = run_transition(
            application,
            "accept",
            actor,
            event="acceptance_accepted",
            comment=comment,
            opinion=comment,
            notify=_tell_enterprise(Sentence(gettext_noop("验收申请材料审查通过，请组织现场验收"))),
        ).obj
        # Stage 05 专家评审和验收报告 begins with the on-site acceptance.
        advance_stage(accepted.enterprise, Stage.PANEL_REVIEW)
    return accepted
