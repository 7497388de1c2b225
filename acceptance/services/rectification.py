"""整改通知: issued on a failed acceptance (and, later, a failed annual audit), numbered and
signed through the reports engine, acknowledged by the enterprise, reminded before the
deadline."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.notifications import enterprise_users, reviewers, tell
from portal.workflow import run_transition
from reports.models import DocumentKind
from reports.services.documents import issue_signed_off

from ..choices import Occasion
from ..models import RectificationNotice
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
            _("整改通知：请于 %(d)s 前完成整改并在省平台签收本通知") % {"d": deadline},
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
            _("%(n)s 已签收整改通知") % {"n": notice.enterprise.name},
            notice_link,
        ),
    ).obj


def due_reminders(today=None) -> list[tuple[RectificationNotice, int]]:
    """(notice, days left) for every reminder due today and not yet sent."""
    today = today or timezone.localdate()
    days = sorted(settings.RECTIFICATION_REMINDER_DAYS, reverse=True)
    due = []
    horizon = today + timedelta(days=max(days, default=0))
    for notice in RectificationNotice.objects.filter(
        deadline__gte=today - timedelta(days=1), deadline__lte=horizon
    ).select_related("enterprise"):
        left = (notice.deadline - today).days
        # The nearest reminder point at or after today: 7 days left → the 7-day one.
        wanted = -1 if left < 0 else min((d for d in days if left <= d), default=None)
        if wanted is not None and wanted not in notice.reminded_days:
            due.append((notice, wanted))
    return due


def send_reminders(today=None) -> int:
    """Remind enterprises before the deadline; tell reviewers once it has passed."""
    sent = 0
    for notice, marker in due_reminders(today):
        with transaction.atomic():
            locked = RectificationNotice.objects.select_for_update().get(pk=notice.pk)
            if marker in locked.reminded_days:
                continue
            if marker < 0:
                recipients, title = reviewers(), _("整改期限已过：%(n)s（期限 %(d)s）")
            else:
                recipients, title = (
                    enterprise_users(locked.enterprise),
                    _("整改期限将至：%(n)s，请于 %(d)s 前完成整改"),
                )
            tell(
                recipients,
                title % {"n": locked.enterprise.name, "d": locked.deadline},
                notice_link(locked),
                body="",
            )(locked, None)
            locked.reminded_days = [*locked.reminded_days, marker]
            locked.save(update_fields=["reminded_days"])
            sent += 1
    return sent
