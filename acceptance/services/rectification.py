"""整改通知: issued on a failed acceptance or a failed annual audit, numbered and signed
through the reports engine, acknowledged by the enterprise, reported with evidence (整改报告),
re-checked by a reviewer and closed (the public announcement gets its closure date) or sent
back with a reason; reminded before the deadline and escalated once it has passed."""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from portal.attachments import save_attachment
from portal.notifications import enterprise_users, notify, reviewers, tell
from portal.permissions import can_file_for
from portal.roles import is_staff_reviewer
from portal.sentences import Sentence
from portal.workflow import RefusalReason, TransitionRefused, check_transition, run_transition
from reports.models import DocumentKind, IssuedDocument
from reports.services.documents import issue_signed_off

from ..choices import NoticeState, Occasion
from ..models import Publication, RectificationNotice, RectificationReport
from ..models.rectification import CONSEQUENCES, REQUIREMENT, RESERVED_RIGHT


def notice_link(notice) -> str:
    return reverse("acceptance:notice_detail", args=[notice.pk])


def notice_content(notice, situations: list[dict]) -> dict:
    return {
        "enterprise_name": notice.enterprise.name,
        "occasion": notice.occasion,
        "occasion_date": notice.occasion_date.isoformat(),
        "audit_year": notice.audit_year,
        "situations": situations,
        "consequence": notice.consequence,
        "deadline": notice.deadline.isoformat(),
        "requirement": REQUIREMENT,
        "reserved_right": RESERVED_RIGHT,
        "institute": settings.ACCEPTANCE_INSTITUTE_NAME,
    }


def issue_notice(
    actor,
    enterprise,
    *,
    occasion,
    occasion_date,
    situations: list[dict],
    application=None,
    audit_year=None,
    deadline=None,
) -> RectificationNotice:
    """Write the notice and issue its numbered PDF in one transaction; tell the enterprise.

    ``situations``: [{"code", "label", "explanation"}] in the seed's words."""
    deadline = deadline or timezone.localdate() + timedelta(days=settings.RECTIFICATION_DAYS)
    with transaction.atomic():
        notice = RectificationNotice.objects.create(
            enterprise=enterprise,
            occasion=occasion,
            application=application,
            audit_year=audit_year,
            occasion_date=occasion_date,
            situations={row["code"]: row["explanation"] for row in situations},
            consequence=CONSEQUENCES[Occasion(occasion)],
            deadline=deadline,
            issued_by=actor,
        )
        document = issue_signed_off(
            DocumentKind.RECTIFICATION,
            enterprise,
            actor,
            title=_("整改通知"),
            content=notice_content(notice, situations),
        )
        notice.document_id = document.pk
        notice.save(update_fields=["document_id"])
        tell(
            lambda n: enterprise_users(n.enterprise),
            Sentence(
                gettext_noop("整改通知：请于 %(d)s 前完成整改并在省平台签收本通知"),
                d=deadline.isoformat(),
            ),
            notice_link,
            body="",
        )(notice, None)
    return notice


def acknowledge_notice(notice, actor) -> RectificationNotice:
    return run_transition(
        notice,
        "acknowledge",
        actor,
        event="notice_acknowledged",
        notify=tell(
            lambda n: reviewers(),
            Sentence(gettext_noop("%(n)s 已签收整改通知"), n=notice.enterprise.name),
            notice_link,
        ),
    ).obj


def due_reminders(today=None) -> list[tuple[RectificationNotice, int]]:
    """(notice, days left) for every reminder due today and not yet sent."""
    today = today or timezone.localdate()
    days = sorted(settings.RECTIFICATION_REMINDER_DAYS, reverse=True)
    due = []
    horizon = today + timedelta(days=max(days, default=0))
    for notice in (
        RectificationNotice.objects.filter(
            deadline__gte=today - timedelta(days=1), deadline__lte=horizon
        )
        .exclude(state=NoticeState.CLOSED)
        .select_related("enterprise")
    ):
        left = (notice.deadline - today).days
        if left >= 0 and notice.state == NoticeState.REPORTED:
            continue  # the report is in: nothing to remind the enterprise of
        # The nearest reminder point at or after today: 7 days left → the 7-day one.
        wanted = -1 if left < 0 else min((d for d in days if left <= d), default=None)
        if wanted is not None and wanted not in notice.reminded_days:
            due.append((notice, wanted))
    return due


def send_reminders(today=None) -> int:
    """Remind enterprises before the deadline; tell reviewers once it has passed (after
    escalating the notices whose deadline passed with no report)."""
    escalate_overdue(today)
    sent = 0
    for notice, marker in due_reminders(today):
        with transaction.atomic():
            locked = RectificationNotice.objects.select_for_update().get(pk=notice.pk)
            if marker in locked.reminded_days or locked.state == NoticeState.CLOSED:
                continue
            if marker < 0:
                recipients, title = reviewers(), gettext_noop("整改期限已过：%(n)s（期限 %(d)s）")
            else:
                recipients, title = (
                    enterprise_users(locked.enterprise),
                    gettext_noop("整改期限将至：%(n)s，请于 %(d)s 前完成整改"),
                )
            tell(
                recipients,
                Sentence(title, n=locked.enterprise.name, d=locked.deadline.isoformat()),
                notice_link(locked),
                body="",
            )(locked, None)
            locked.reminded_days = [*locked.reminded_days, marker]
            locked.save(update_fields=["reminded_days"])
            sent += 1
    return sent


def notice_document(notice):
    return IssuedDocument.objects.filter(pk=notice.document_id).first()


def _announcement(notice):
    """The public 整改公告 of this notice (found by the notice's document number)."""
    document = notice_document(notice)
    if document is None:
        return Publication.objects.none()
    return Publication.objects.filter(enterprise=notice.enterprise, document_number=document.number)


def submit_report(notice, actor, description: str, files=()) -> RectificationReport:
    """整改报告: the enterprise describes what it rectified and uploads its evidence; the
    notice waits for the re-check. Nothing is written unless everything is accepted."""
    description = (description or "").strip()
    with transaction.atomic():
        locked = RectificationNotice.objects.select_for_update().get(pk=notice.pk)
        if not can_file_for(actor, locked.enterprise):
            raise TransitionRefused(RefusalReason.NOT_PERMITTED)
        if locked.state == NoticeState.CLOSED:
            raise ValidationError(
                {
                    "description": _("整改通知已于 %(d)s 关闭，不能再提交整改报告。")
                    % {"d": timezone.localdate(locked.closed_at)}
                }
            )
        if locked.state == NoticeState.REPORTED:
            raise ValidationError({"description": _("整改报告已提交，正在复查，请等待复查结论。")})
        if locked.state == NoticeState.ISSUED:
            raise ValidationError({"description": _("请先签收整改通知，再提交整改报告。")})
        check_transition(locked, "report", actor)
        if not description:
            raise ValidationError({"description": _("请填写整改情况说明。")})
        if not files:
            raise ValidationError({"files": _("请上传整改证明材料。")})
        report = RectificationReport.objects.create(
            notice=locked,
            round=locked.reports.count() + 1,
            description=description,
            submitted_by=actor,
        )
        for upload in files:
            save_attachment(
                upload,
                actor=actor,
                enterprise=locked.enterprise,
                owner=report,
                kind="rectification_evidence",
            )
        run_transition(
            locked,
            "report",
            actor,
            event="notice_reported",
            comment=description,
            context={"round": report.round},
            notify=tell(
                lambda n: reviewers(),
                Sentence(gettext_noop("%(n)s 已提交整改报告，请复查"), n=locked.enterprise.name),
                notice_link,
            ),
        )
    return report


def recheck(notice, actor, *, rectified: bool, note: str = "") -> RectificationNotice:
    """复查: close the notice (the announcement gets its closure date), or send the report
    back to the enterprise with the reason. Two reviewers at once: one wins, the other is
    refused (the row lock in run_transition)."""
    note = (note or "").strip()
    if not is_staff_reviewer(actor):
        raise TransitionRefused(RefusalReason.NOT_PERMITTED)
    if not rectified and not note:
        raise TransitionRefused(RefusalReason.COMMENT_REQUIRED, field="note")
    with transaction.atomic():
        outcome = run_transition(
            notice,
            "close" if rectified else "send_back",
            actor,
            event="notice_closed" if rectified else "notice_sent_back",
            comment=note,
            notify=tell(
                lambda n: enterprise_users(n.enterprise),
                Sentence(gettext_noop("整改复查通过，整改通知已关闭"))
                if rectified
                else Sentence(gettext_noop("整改复查未通过，请继续整改后重新提交整改报告")),
                notice_link,
            ),
        )
        closed = outcome.obj
        report = closed.reports.select_for_update().order_by("-round").first()
        report.accepted = rectified
        report.recheck_note = note
        report.rechecked_by = actor
        report.rechecked_at = timezone.now()
        report.save(update_fields=["accepted", "recheck_note", "rechecked_by", "rechecked_at"])
        if rectified:
            _announcement(closed).update(closed_on=timezone.localdate(closed.closed_at))
    return closed


def escalate_overdue(today=None) -> int:
    """Daily: escalate every notice whose deadline passed with no rectification report, and
    tell the reviewers (once: the transition refuses a second escalation). ``today`` picks
    the candidates; the transition's own guard still checks the real date, so a notice is
    never escalated before its deadline has actually passed."""
    today = today or timezone.localdate()
    escalated = 0
    overdue = RectificationNotice.objects.filter(
        state__in=[NoticeState.ISSUED, NoticeState.ACKNOWLEDGED],
        deadline__lt=today,
        escalated_at__isnull=True,
    ).values_list("pk", flat=True)
    for pk in list(overdue):
        notice = RectificationNotice.objects.get(pk=pk)
        try:
            with transaction.atomic():
                escalated_notice = run_transition(
                    notice, "escalate", None, event="notice_escalated"
                ).obj
                locked = escalated_notice
                notify(
                    reviewers(),
                    Sentence(
                        gettext_noop("整改通知逾期未整改：%(n)s（期限 %(d)s）"),
                        n=locked.enterprise.name,
                        d=locked.deadline.isoformat(),
                    ),
                    link=notice_link(locked),
                )
                notify(
                    enterprise_users(locked.enterprise),
                    Sentence(
                        gettext_noop("整改期限 %(d)s 已过，请尽快提交整改报告"),
                        d=locked.deadline.isoformat(),
                    ),
                    link=notice_link(locked),
                )
                # The reviewers have been told the deadline passed: no second reminder.
                RectificationNotice.objects.filter(pk=pk).update(
                    reminded_days=[*locked.reminded_days, -1]
                    if -1 not in locked.reminded_days
                    else locked.reminded_days
                )
        except TransitionRefused:
            continue  # another run escalated or the enterprise reported meanwhile
        escalated += 1
    return escalated


def open_notice_counts() -> dict:
    """For the dashboards: reports waiting for re-check and escalated notices (one query)."""
    return RectificationNotice.objects.aggregate(
        reported=Count("pk", filter=Q(state=NoticeState.REPORTED)),
        escalated=Count("pk", filter=Q(state=NoticeState.ESCALATED)),
    )
