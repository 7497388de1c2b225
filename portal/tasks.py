from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone, translation

from .models import Notification


# The soft limit must be set with the hard one: the project-wide soft limit (240 s) is
# longer than 60 s, and Celery refuses to queue a task whose soft limit exceeds its hard one.
@shared_task(
    autoretry_for=(OSError,),
    retry_backoff=30,
    retry_jitter=True,
    max_retries=5,
    time_limit=60,
    soft_time_limit=50,
)
def send_notification_email(notification_id: int) -> str:
    """E-mail one notification once; a repeat of the task sends nothing."""
    # Claim the row with a conditional UPDATE so two workers never both send it.
    claimed = Notification.objects.filter(pk=notification_id, emailed_at__isnull=True).update(
        emailed_at=timezone.now()
    )
    if not claimed:
        return "skipped"
    note = Notification.objects.select_related("recipient").get(pk=notification_id)
    if not note.recipient.email:
        return "no-address"
    link = f"{settings.SITE_URL}{note.link}" if note.link else ""
    try:
        with translation.override(settings.LANGUAGE_CODE):
            send_mail(
                subject=f"[{settings.PORTAL_NAME}] {note.title}",
                message="\n\n".join(part for part in (note.body, link) if part),
                from_email=None,
                recipient_list=[note.recipient.email],
            )
    except OSError:
        Notification.objects.filter(pk=notification_id).update(emailed_at=None)
        raise
    return "sent"


@shared_task(expires=540, time_limit=300)
def send_unsent_notification_emails(limit: int = 500) -> int:
    """E-mails whose task never reached the broker (Redis was down when they were queued):
    sent now, each claimed as the task claims it, so none goes twice."""
    since = timezone.now() - timedelta(days=2)
    settled = timezone.now() - timedelta(minutes=5)  # leave fresh ones to their own task
    pending = Notification.objects.filter(
        emailed_at__isnull=True,
        created_at__gte=since,
        created_at__lt=settled,
        recipient__email__gt="",
    ).values_list("pk", flat=True)[:limit]
    sent = 0
    for notification_id in pending:
        try:
            sent += send_notification_email(notification_id) == "sent"
        except OSError:
            break  # the mail server is down too: the next sweep tries again
    return sent


@shared_task(expires=3600)
def purge_old_notifications(days: int = 180) -> int:
    """Read notifications older than `days` leave the inbox."""
    cutoff = timezone.now() - timedelta(days=days)
    deleted, _ = Notification.objects.filter(read_at__lt=cutoff).delete()
    return deleted


@shared_task(expires=3600, time_limit=600)
def remove_orphan_files() -> int:
    """Files of uploads whose transaction rolled back (see portal.attachments), and files
    kept for forms that were never sent again (portal.kept_uploads)."""
    from .attachments import remove_orphan_files as remove
    from .kept_uploads import drop_stale

    return remove() + drop_stale()
