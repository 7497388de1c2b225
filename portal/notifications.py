"""Telling people: an inbox row each, and an e-mail sent by a worker after commit."""

from functools import partial

from django.db import transaction

from .models import Membership, Notification, Role, User


def notify(recipients, title: str, body: str = "", link: str = "", event=None):
    """Create inbox rows now; queue their e-mails for after the surrounding commit."""
    from .tasks import send_notification_email

    # Titles embed names (an enterprise's may be 200 characters): cut to the column, or
    # PostgreSQL refuses the row and the whole transition with it.
    limit = Notification._meta.get_field("title").max_length
    title = str(title)
    if len(title) > limit:
        title = title[: limit - 1] + "…"
    rows = Notification.objects.bulk_create(
        Notification(recipient=user, title=title, body=str(body), link=link, event=event)
        for user in {u.pk: u for u in recipients}.values()
    )
    for row in rows:
        transaction.on_commit(partial(send_notification_email.delay, row.pk))
    return rows


def enterprise_users(enterprise):
    return User.objects.filter(
        is_active=True, pk__in=Membership.objects.filter(enterprise=enterprise).values("user")
    )


def reviewers():
    return User.objects.filter(is_active=True, role=Role.REVIEWER)
