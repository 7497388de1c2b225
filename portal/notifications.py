"""Telling people: an inbox row each, and an e-mail sent by a worker after commit."""

from .models import Membership, Notification, Role, User
from .queueing import enqueue_on_commit


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
        enqueue_on_commit(send_notification_email, row.pk)
    return rows


def tell(recipients, title, link, body=None):
    """The notify callback of a transition (``run_transition(..., notify=tell(...))``): the
    one way a service says who hears of a step.

    ``recipients``, ``link`` and ``body`` are values or functions of the record; the body
    defaults to the step's comment. Called inside the transition's transaction, so the inbox
    rows roll back with it, and ``notify`` sends the e-mails only after commit.
    """

    def send(obj, event):
        def value(of):
            return of(obj) if callable(of) else of

        notify(
            value(recipients),
            title,
            body=event.comment if body is None else value(body),
            link=value(link),
            event=event,
        )

    return send


def enterprise_users(enterprise):
    return User.objects.filter(
        is_active=True, pk__in=Membership.objects.filter(enterprise=enterprise).values("user")
    )


def reviewers():
    return User.objects.filter(is_active=True, role=Role.REVIEWER)
