"""Telling people: an inbox row each, and an e-mail sent by a worker after commit."""

from functools import partial

from django.db import transaction

from .models import Membership, Notification, Role, User


def notify(recipients, title: str, body: str = "", link: str = "", event=None):
    """Create inbox rows now; queue their e-mails for after the surrounding commit."""
    from .tasks import send_notification_email

    rows = Notification.objects.bulk_create(
        Notification(recipient=user, title=str(title), body=str(body), link=link, event=event)
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
