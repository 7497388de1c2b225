"""E-mailing an on-site acceptance's .ics file (kept apart from acceptance.tasks, which the
reminder service would otherwise import back)."""

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMessage
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_onsite_calendar(onsite_id: int, user_ids: list[int], purpose: str) -> int:
    """E-mail the on-site acceptance's .ics file (invitation, change or reminder) to the
    given users and the contractor's representative; returns how many addresses."""
    from portal.models import User

    from .ics import calendar
    from .models import OnSiteAcceptance

    onsite = OnSiteAcceptance.objects.select_related("application").filter(pk=onsite_id).first()
    if onsite is None:
        return 0
    addresses = sorted(
        {
            *User.objects.filter(pk__in=user_ids, is_active=True)
            .exclude(email="")
            .values_list("email", flat=True),
            *([onsite.contractor_email] if onsite.contractor_email else []),
        }
    )
    if not addresses:
        return 0
    subjects = {
        "invitation": _("现场验收邀请：%(n)s，%(d)s"),
        "change": _("现场验收安排变更：%(n)s，%(d)s"),
        "reminder": _("现场验收提醒：%(n)s，%(d)s"),
    }
    when = timezone.localtime(onsite.scheduled_for).strftime("%Y-%m-%d %H:%M")
    subject = subjects.get(purpose, subjects["invitation"]) % {
        "n": onsite.application.owner_name,
        "d": when,
    }
    url = settings.SITE_URL + reverse("acceptance:onsite_detail", args=[onsite.pk])
    body = _("验收时间：%(d)s\n验收地点：%(p)s\n详情：%(u)s\n日历文件见附件。") % {
        "d": when,
        "p": onsite.place,
        "u": url,
    }
    message = EmailMessage(subject, body, None, [], bcc=addresses)
    message.attach(f"onsite-{onsite.pk}.ics", calendar(onsite), "text/calendar")
    message.send()
    return len(addresses)
