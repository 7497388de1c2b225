"""Small tasks taking ids, safe to repeat; beat entries live in portal/settings.py."""

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from .calendar_mail import send_onsite_calendar  # noqa: F401  (registered with the worker)
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


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=3)
def send_signing_code_mail(code_id: int, code: str) -> str:
    """E-mail a signer the one-time code for the acceptance report (valid 10 minutes)."""
    from .models import SigningCode

    row = SigningCode.objects.select_related("user", "report").filter(pk=code_id).first()
    if row is None or row.used_at is not None:
        return "gone"
    send_mail(
        _("验收报告签字验证码：%(c)s") % {"c": code},
        _("您正在签署 %(n)s 的验收报告。验证码 %(c)s，%(d)s 前有效，仅可使用一次。")
        % {
            "n": row.report.owner_name,
            "c": code,
            "d": row.expires_at.astimezone(timezone.get_current_timezone()).strftime("%H:%M"),
        },
        None,
        [row.user.email],
    )
    return "sent"


@shared_task
def send_onsite_reminders() -> int:
    """Hourly in the day: the day-before reminder of each on-site acceptance, once per date."""
    from .services.onsite_reminders import send_due_reminders

    return send_due_reminders()


@shared_task
def send_rectification_reminders() -> int:
    """Daily: escalate notices whose deadline passed with no rectification report (once),
    remind enterprises before their deadline (RECTIFICATION_REMINDER_DAYS), reviewers after."""
    from .services.rectification import send_reminders

    return send_reminders()


@shared_task
def create_annual_audit_plan() -> int | None:
    """Daily: once the configured date has come, make the plan auditing last year."""
    from .services.audits import create_plan, plan_due

    year = plan_due()
    if year is not None:
        create_plan(year)
    return year


@shared_task(bind=True, time_limit=900, soft_time_limit=840)
def build_dossier(self, dossier_id: int) -> str:
    """档案: build the enterprise's ZIP; a failure is recorded on the row with its reason."""
    import logging

    from .dossier import build
    from .models import Dossier, DossierStatus

    dossier = Dossier.objects.filter(pk=dossier_id).first()
    if dossier is None:
        return "gone"
    try:
        return build(dossier_id)
    except Exception as exc:
        logging.getLogger(__name__).exception("building dossier %s failed", dossier_id)
        Dossier.objects.filter(pk=dossier_id).update(
            status=DossierStatus.FAILED, progress=0, error=f"{type(exc).__name__}: {exc}"[:2000]
        )
        return "failed"


@shared_task
def purge_old_dossiers() -> int:
    """Daily: remove dossiers (file and row) older than DOSSIER_KEEP_DAYS; they are rebuilt
    on request from what the portal holds."""
    from datetime import timedelta

    from django.utils import timezone

    from .models import Dossier, DossierStatus

    cutoff = timezone.now() - timedelta(days=settings.DOSSIER_KEEP_DAYS)
    removed = 0
    for dossier in Dossier.objects.filter(requested_at__lt=cutoff).exclude(
        status__in=[DossierStatus.QUEUED, DossierStatus.RUNNING]
    ):
        if dossier.file:
            dossier.file.delete(save=False)
        dossier.delete()
        removed += 1
    return removed
