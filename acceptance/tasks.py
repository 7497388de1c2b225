"""Small tasks taking ids, safe to repeat; beat entries live in portal/settings.py."""

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMessage, send_mail
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import ContractorLink


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_contractor_link(link_id: int, token: str) -> str:
    """E-mail the contractor's representative the one-time signing link."""
    link = ContractorLink.objects.select_related("report").filter(pk=link_id).first()
    if link is None or link.used_at is not None:
        return "gone"
    url = settings.SITE_URL + reverse("acceptance:report_sign_link", args=[token])
    send_mail(
        _("请签署验收报告：%(n)s") % {"n": link.report.owner_name},
        _(
            "您作为项目承建方代表，请通过以下链接核对并签署验收报告"
            "（%(d)s 前有效，仅可使用一次）：\n%(u)s"
        )
        % {"d": link.expires_at.date(), "u": url},
        None,
        [link.email],
    )
    return "sent"


@shared_task
def send_onsite_reminders() -> int:
    """Hourly in the day: the day-before reminder of each on-site acceptance, once per date."""
    from .services.onsite_reminders import send_due_reminders

    return send_due_reminders()


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_onsite_calendar(onsite_id: int, user_ids: list[int], purpose: str) -> int:
    """E-mail the on-site acceptance's .ics file (invitation, change or reminder) to the
    given users and the contractor's representative; returns how many addresses."""
    from portal.models import User

    from .models import OnSiteAcceptance
    from .services.onsite import calendar

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


@shared_task
def send_rectification_reminders() -> int:
    """Daily: remind enterprises before their rectification deadline, reviewers after it."""
    from .services.rectification import send_reminders

    return send_reminders()


@shared_task
def create_annual_audit_plan() -> int | None:
    """Daily: make this year's audit plan once the configured date has come."""
    from .services.audits import create_plan, plan_due

    year = plan_due()
    if year is not None:
        create_plan(year)
    return year
