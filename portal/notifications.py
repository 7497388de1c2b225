"""Telling people: an inbox row each, and an e-mail sent by a worker after commit."""

from .models import Membership, Notification, Role, User
from .queueing import enqueue_on_commit
from .sentences import Sentence


def notify(recipients, title, body="", link: str = "", event=None):
    """Create inbox rows now; queue their e-mails for after the surrounding commit.

    `title` and `body` are texts, or Sentences (portal.sentences) to be shown in each
    reader's language."""
    from .tasks import send_notification_email

    # Titles embed names (an enterprise's may be 200 characters): cut to the column, or
    # PostgreSQL refuses the row and the whole transition with it.
    # A Sentence is stored as sent (the portal's language) and as its message id and
    # parameters, so each reader's inbox shows it in the reader's language.
    texts = {}
    if isinstance(title, Sentence):
        texts["title"] = title.as_data()
        title = title.in_portal_language()
    if isinstance(body, Sentence):
        texts["body"] = body.as_data()
        body = body.in_portal_language()
    limit = Notification._meta.get_field("title").max_length
    title = str(title)
    if len(title) > limit:
        title = title[: limit - 1] + "…"
    rows = Notification.objects.bulk_create(
        Notification(
            recipient=user, title=title, body=str(body), link=link, event=event, texts=texts
        )
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


def operators():
    """The platform operators (省平台开发单位), who confirm schemes for the developer."""
    return User.objects.filter(is_active=True, role=Role.OPERATOR)
