"""现场验收 reminders: the day before, once per visit and date; a re-confirmed arrangement
tells everyone what changed; invitations, changes and reminders carry the .ics by e-mail."""

from datetime import datetime, time, timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from acceptance.models import OnSiteAcceptance, OnSiteState
from acceptance.services.onsite import (
    confirm_onsite,
    propose_onsite,
    reschedule_onsite,
    set_panel,
    update_proposal,
)
from acceptance.services.onsite_reminders import due_visits, remind, send_due_reminders
from acceptance.tasks import send_onsite_reminders
from portal.models import AuditEvent, Notification

from ..portal.factories import PanelMemberFactory, member_of
from .factories import proposal
from .test_onsite import accepted, full_panel, people  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db


def at_local(day, hour, minute=0):
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


@pytest.fixture
def tomorrow_visit(accepted, people, django_capture_on_commit_callbacks):  # noqa: F811
    """A visit confirmed for tomorrow 09:30 (local), the reminder not yet sent."""
    application, member = accepted
    when = at_local(timezone.localdate() + timedelta(days=1), 9, 30)
    with django_capture_on_commit_callbacks(execute=True):
        onsite = propose_onsite(member, application, proposal(scheduled_for=when))
        set_panel(onsite, people["institute"], full_panel(people))
        onsite = confirm_onsite(onsite, people["institute"])
    Notification.objects.all().delete()
    return onsite, member


def reminders():
    return Notification.objects.filter(title__startswith="提醒：")


def test_the_day_before_everyone_concerned_is_reminded_once(
    tomorrow_visit,
    people,  # noqa: F811
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    onsite, member = tomorrow_visit
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert send_onsite_reminders.apply().get() == 1
    expected = {member.pk, *(p.pk for p in people.values())}
    assert set(reminders().values_list("recipient_id", flat=True)) == expected
    assert reminders().count() == len(expected)
    title = reminders().first().title
    assert onsite.application.owner_name in title and onsite.place in title
    onsite.refresh_from_db()
    assert onsite.reminder_sent_for == onsite.scheduled_for
    assert AuditEvent.objects.filter(event="onsite_reminder_sent").count() == 1
    # The .ics goes with it, to the users and the contractor's representative.
    calendars = [m for m in mailoutbox if m.attachments]
    assert len(calendars) == 1
    name, content, mimetype = calendars[0].attachments[0]
    assert name.endswith(".ics") and mimetype == "text/calendar"
    assert "BEGIN:VEVENT" in content and onsite.place.replace(",", "\\,") in content
    assert onsite.contractor_email in calendars[0].bcc
    assert member.email in calendars[0].bcc
    assert "现场验收提醒" in calendars[0].subject

    # Idempotent: the beat runs every hour, a second worker may run it too.
    with django_capture_on_commit_callbacks(execute=True):
        assert send_onsite_reminders.apply().get() == 0
        assert remind(onsite.pk) is False
    assert reminders().count() == len(expected)


def test_only_visits_of_the_next_day_not_yet_reminded_are_due(
    accepted,  # noqa: F811
    people,  # noqa: F811
):
    application, member = accepted
    later = at_local(timezone.localdate() + timedelta(days=3), 9)
    onsite = propose_onsite(member, application, proposal(scheduled_for=later))
    set_panel(onsite, people["institute"], full_panel(people))
    # Proposed, not confirmed: nobody is reminded of an arrangement still open.
    OnSiteAcceptance.objects.filter(pk=onsite.pk).update(
        scheduled_for=at_local(timezone.localdate() + timedelta(days=1), 9)
    )
    assert not due_visits().exists()
    confirm_onsite(onsite, people["institute"])
    assert list(due_visits()) == [onsite]
    # Two days ahead: not yet.
    OnSiteAcceptance.objects.filter(pk=onsite.pk).update(scheduled_for=later)
    assert not due_visits().exists()
    assert send_due_reminders() == 0
    # Already over: never.
    OnSiteAcceptance.objects.filter(pk=onsite.pk).update(
        scheduled_for=timezone.now() - timedelta(hours=1)
    )
    assert not due_visits().exists()
    assert remind(onsite.pk) is False
    assert not reminders().exists()


def test_a_reschedule_reminds_again_for_the_new_date_and_tells_what_changed(
    tomorrow_visit,
    people,  # noqa: F811
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    onsite, member = tomorrow_visit
    reviewer = people["institute"]
    with django_capture_on_commit_callbacks(execute=True):
        assert send_due_reminders() == 1
    Notification.objects.all().delete()
    mailoutbox.clear()

    # The enterprise moves it to the day after tomorrow; the institute swaps the expert.
    new_when = at_local(timezone.localdate() + timedelta(days=2), 14)
    newcomer = PanelMemberFactory()
    with django_capture_on_commit_callbacks(execute=True):
        onsite = reschedule_onsite(onsite, member)
        onsite = update_proposal(
            onsite, member, {"scheduled_for": new_when, "place": "厂区二号会议室"}
        )
        seats = full_panel(people)
        seats[3]["user"] = newcomer
        set_panel(onsite, reviewer, seats)
        onsite = confirm_onsite(onsite, reviewer)
    assert onsite.state == OnSiteState.SCHEDULED

    changed = Notification.objects.filter(title__startswith="现场验收安排已变更")
    staying = {member.pk, reviewer.pk, people["ndrc"].pk, people["samr"].pk, newcomer.pk}
    assert set(changed.values_list("recipient_id", flat=True)) == staying
    body = changed.first().body
    assert "14:00" in body and "厂区二号会议室" in body
    assert (newcomer.get_full_name() or newcomer.username) in body
    assert (people["expert"].get_full_name() or people["expert"].username) in body
    gone = Notification.objects.get(recipient=people["expert"], title__contains="不再是")
    assert onsite.application.owner_name in gone.title
    assert [m.subject for m in mailoutbox if m.attachments] == [
        f"现场验收安排变更：{onsite.application.owner_name}，"
        f"{timezone.localtime(new_when):%Y-%m-%d %H:%M}"
    ]
    event = AuditEvent.objects.get(event="onsite_arrangement_changed")
    assert event.context["moved"] and event.context["place"]
    assert event.context["removed"] == [people["expert"].pk]

    # Not due today (two days ahead); tomorrow it is, for the new date, once.
    assert send_due_reminders() == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert send_due_reminders(now=new_when - timedelta(hours=20)) == 1
        assert send_due_reminders(now=new_when - timedelta(hours=19)) == 0
    assert set(reminders().values_list("recipient_id", flat=True)) == staying


def test_a_reconfirmation_without_changes_tells_nobody(
    tomorrow_visit,
    people,  # noqa: F811
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    onsite, member = tomorrow_visit
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        onsite = reschedule_onsite(onsite, member)
        onsite = confirm_onsite(onsite, people["institute"])
    assert not Notification.objects.filter(title__startswith="现场验收安排已变更").exists()
    assert not [m for m in mailoutbox if m.attachments]
    assert not AuditEvent.objects.filter(event="onsite_arrangement_changed").exists()


def test_the_first_confirmation_sends_the_invitation_calendar(
    accepted,  # noqa: F811
    people,  # noqa: F811
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    application, member = accepted
    with django_capture_on_commit_callbacks(execute=True):
        onsite = propose_onsite(member, application, proposal())
        set_panel(onsite, people["institute"], full_panel(people))
        onsite = confirm_onsite(onsite, people["institute"])
    invitations = [m for m in mailoutbox if m.attachments]
    assert len(invitations) == 1 and "现场验收邀请" in invitations[0].subject
    assert set(invitations[0].bcc) >= {member.email, people["expert"].email}
    onsite.refresh_from_db()
    assert sorted(onsite.announced["panel"]) == sorted(p.pk for p in people.values())


def test_the_beat_schedule_runs_the_reminders():
    entries = [e["task"] for e in settings.CELERY_BEAT_SCHEDULE.values()]
    assert "acceptance.tasks.send_onsite_reminders" in entries


def test_a_member_of_another_enterprise_is_never_reminded(
    tomorrow_visit,
    django_capture_on_commit_callbacks,
):
    from ..portal.factories import EnterpriseFactory

    outsider = member_of(EnterpriseFactory())
    with django_capture_on_commit_callbacks(execute=True):
        send_due_reminders()
    assert reminders().exists()
    assert not reminders().filter(recipient=outsider).exists()
