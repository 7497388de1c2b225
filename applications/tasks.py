from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMessage
from django.utils import translation
from django.utils.translation import gettext as _


@shared_task(
    autoretry_for=(OSError,),
    retry_backoff=30,
    retry_jitter=True,
    max_retries=5,
    time_limit=60,
    soft_time_limit=50,
)
def send_integration_pack(application_id: int) -> str:
    """E-mail the integration pack, with the CA chain attached, to the enterprise's members."""
    from portal.models import AuditEvent
    from portal.notifications import enterprise_users

    from .integration import chain_pem, integration_pack, pack_text
    from .models import AccessApplication, ApplicationState

    application = (
        AccessApplication.objects.select_related("enterprise")
        .filter(pk=application_id, state=ApplicationState.APPROVED)
        .first()
    )
    if application is None:
        return "gone"
    with translation.override(settings.LANGUAGE_CODE):
        pack = integration_pack(application.enterprise)
        recipients = [u.email for u in enterprise_users(application.enterprise) if u.email]
        if not recipients:
            return "no-address"
        message = EmailMessage(
            subject=f"[{settings.PORTAL_NAME}] " + _("湖北省企业端 CA 证书集成及数据对接资料"),
            body=pack_text(pack),
            to=recipients,
        )
        message.attach("ca.pem", chain_pem(pack), "application/x-pem-file")
        message.send()
    AuditEvent.record(
        application, None, "integration_pack_sent", context={"recipients": recipients}
    )
    return "sent"


@shared_task(expires=3600, time_limit=120, soft_time_limit=100)
def refresh_crl() -> str:
    from .models import CANotReady
    from .services.certificates import publish_crl

    try:
        root = publish_crl()
    except CANotReady:
        return "no-ca"
    return f"crl #{root.crl_number}"


@shared_task(expires=3600, time_limit=300)
def warn_expiring_certificates() -> int:
    from .services.certificates import warn_expiring_certificates as warn

    return warn()


@shared_task(expires=3600, time_limit=300)
def warn_expiring_meters() -> int:
    from .services.meters import warn_expiring_meters as warn

    return warn()
