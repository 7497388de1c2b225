"""Telling the on-site acceptance's participants in time (seed 5.4, issue 11): the enterprise,
the panel members and the confirming reviewer hear of it the day before, and again whenever
a re-confirmation changes its date, place or panel. Each notice carries the visit's .ics file
by e-mail (acceptance.calendar_mail.send_onsite_calendar), the contractor's representative included.

The day-before reminder is sent once per visit and date: the row is claimed with a
conditional UPDATE (``reminder_sent_for`` set to the date it is for), so two beat runs, or
two workers, never send it twice, and a visit moved to another date is reminded again.
"""

from datetime import datetime, time, timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_noop

from portal.models import AuditEvent, User
from portal.notifications import enterprise_users, notify, reviewers
from portal.queueing import enqueue_on_commit
from portal.sentences import Sentence

from ..choices import OnSiteState
from ..ics import onsite_link
from ..models import OnSiteAcceptance


def _when(onsite) -> str:
    return timezone.localtime(onsite.scheduled_for).strftime("%Y-%m-%d %H:%M")


def _link(onsite) -> str:
    return onsite_link(onsite)


def arrangement(onsite) -> dict:
    """What the participants were told: date, place and the panel's members."""
    return {
        "scheduled_for": onsite.scheduled_for.isoformat(),
        "place": onsite.place,
        "panel": sorted(onsite.seats.values_list("user_id", flat=True)),
    }


def participants(onsite) -> list[User]:
    """The enterprise's users, the panel and the reviewer who confirmed (all reviewers when
    nobody has confirmed yet), each once."""
    panel = User.objects.filter(pk__in=onsite.seats.values("user_id"), is_active=True)
    reviewer = (
        User.objects.filter(pk=onsite.confirmed_by_id, is_active=True)
        if onsite.confirmed_by_id
        else reviewers()
    )
    people = {}
    for user in [*enterprise_users(onsite.enterprise), *panel, *reviewer]:
        people[user.pk] = user
    return list(people.values())


def _send_calendar(onsite, users, purpose: str) -> None:
    from ..calendar_mail import send_onsite_calendar

    enqueue_on_commit(send_onsite_calendar, onsite.pk, sorted(u.pk for u in users), purpose)


def announce_confirmation(onsite, event) -> None:
    """After a confirmation (inside its transaction): the first one invites; a later one,
    after a reschedule, tells everyone concerned what changed (members taken off the panel
    included). Then remembers what was announced."""
    before = onsite.announced or {}
    now = arrangement(onsite)
    OnSiteAcceptance.objects.filter(pk=onsite.pk).update(announced=now)
    onsite.announced = now
    if not before:
        _send_calendar(onsite, participants(onsite), "invitation")
        return
    removed = sorted(set(before.get("panel", [])) - set(now["panel"]))
    added = sorted(set(now["panel"]) - set(before.get("panel", [])))
    moved = before.get("scheduled_for") != now["scheduled_for"]
    replaced = before.get("place") != now["place"]
    if not (removed or added or moved or replaced):
        return
    old_when = timezone.localtime(datetime.fromisoformat(before["scheduled_for"]))
    names = {
        user.pk: user.get_full_name() or user.username
        for user in User.objects.filter(pk__in=[*added, *removed])
    }
    body = Sentence(
        gettext_noop(
            "验收时间：%(old_d)s → %(new_d)s；验收地点：%(old_p)s → %(new_p)s；"
            "验收小组新增：%(added)s；不再参加：%(removed)s"
        ),
        old_d=old_when.strftime("%Y-%m-%d %H:%M"),
        new_d=_when(onsite),
        old_p=before.get("place", ""),
        new_p=onsite.place,
        added="、".join(_name(names, pk) for pk in added) or "—",
        removed="、".join(_name(names, pk) for pk in removed) or "—",
    )
    audit = AuditEvent.record(
        onsite,
        None,
        "onsite_arrangement_changed",
        context={"moved": moved, "place": replaced, "added": added, "removed": removed},
    )
    staying = participants(onsite)
    notify(
        staying,
        Sentence(
            gettext_noop("现场验收安排已变更：%(n)s，%(d)s，%(p)s"),
            n=onsite.application.owner_name,
            d=_when(onsite),
            p=onsite.place,
        ),
        body=body,
        link=_link(onsite),
        event=audit,
    )
    gone = User.objects.filter(pk__in=removed, is_active=True)
    if gone:
        notify(
            gone,
            Sentence(
                gettext_noop("您已不再是 %(n)s 现场验收小组成员"),
                n=onsite.application.owner_name,
            ),
            body=body,
            link="",
            event=audit,
        )
    _send_calendar(onsite, staying, "change")


def _name(names: dict, pk: int) -> str:
    return names.get(pk) or str(pk)


def due_visits(now=None):
    """Scheduled visits on the next local day (or later today, if the reminder was missed)
    whose reminder for their current date has not been sent."""
    now = now or timezone.now()
    tomorrow = timezone.localdate(now) + timedelta(days=1)
    end = timezone.make_aware(datetime.combine(tomorrow + timedelta(days=1), time.min))
    return (
        OnSiteAcceptance.objects.filter(
            state=OnSiteState.SCHEDULED, scheduled_for__gt=now, scheduled_for__lt=end
        )
        .exclude(reminder_sent_for=F("scheduled_for"))
        .order_by("scheduled_for", "pk")
    )


def remind(onsite_id: int, now=None) -> bool:
    """Send one visit's day-before reminder unless it has been sent for this date."""
    with transaction.atomic():
        onsite = (
            OnSiteAcceptance.objects.select_for_update()
            .select_related("application__enterprise")
            .filter(pk=onsite_id, state=OnSiteState.SCHEDULED)
            .first()
        )
        if onsite is None or onsite.reminder_sent_for == onsite.scheduled_for:
            return False
        if onsite.scheduled_for <= (now or timezone.now()):
            return False
        claimed = (
            OnSiteAcceptance.objects.filter(pk=onsite.pk)
            .exclude(reminder_sent_for=onsite.scheduled_for)
            .update(reminder_sent_for=onsite.scheduled_for)
        )
        if not claimed:
            return False
        event = AuditEvent.record(
            onsite, None, "onsite_reminder_sent", context={"for": onsite.scheduled_for.isoformat()}
        )
        people = participants(onsite)
        notify(
            people,
            Sentence(
                gettext_noop("提醒：%(n)s 现场验收将于 %(d)s 在 %(p)s 进行"),
                n=onsite.application.owner_name,
                d=_when(onsite),
                p=onsite.place,
            ),
            body=Sentence(
                gettext_noop(
                    "请验收小组成员在查阅材料前声明无利益冲突；企业请准备企业汇报材料"
                    "（现场验收第 1 环节），并通知项目承建方代表到场。"
                ),
            ),
            link=_link(onsite),
            event=event,
        )
        _send_calendar(onsite, people, "reminder")
    return True


def send_due_reminders(now=None) -> int:
    """The beat task's body: remind every due visit; returns how many were reminded."""
    ids = list(due_visits(now).values_list("pk", flat=True))
    return sum(1 for pk in ids if remind(pk, now))
