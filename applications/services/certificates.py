"""Certificates: device certificates from CSRs (or the PKCS#12 fallback), revocation,
the CRL, and expiry warnings."""

from dataclasses import dataclass
from datetime import timedelta

from cryptography import x509
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from portal.models import AuditEvent
from portal.notifications import enterprise_users, notify
from portal.sentences import Sentence

from .. import pki
from ..models import (
    AccessApplication,
    CANotReady,
    CertificateOrigin,
    DeviceCertificate,
    RevocationReason,
    RootCertificate,
)
from ..permissions import can_manage_credentials
from ._common import DEVICE_SERIAL, DEVICE_SERIAL_MESSAGE, credentials_link, refused
from .vpn import strong_password

# --- certificates --------------------------------------------------------------------------


def crl_url() -> str:
    return settings.SITE_URL + reverse("applications:crl")


def _ready_to_issue(enterprise, actor, device_serial: str):
    if not can_manage_credentials(actor, enterprise):
        raise PermissionDenied
    if not DEVICE_SERIAL.fullmatch(device_serial or ""):
        raise ValidationError({"device_serial": DEVICE_SERIAL_MESSAGE()})
    application = AccessApplication.objects.approved_for(enterprise)
    if application is None:
        raise refused(_("对接申请审核通过后才能签发端设备证书。"), "application")
    try:
        root = RootCertificate.current()
    except CANotReady as missing:
        raise refused(str(missing), "ca") from None
    return application, root


def _store_certificate(enterprise, application, actor, cert, device_serial, origin):
    record = DeviceCertificate.objects.create(
        enterprise=enterprise,
        application=application,
        device_serial=device_serial,
        serial_hex=pki.serial_hex(cert),
        certificate_pem=pki.certificate_pem(cert).decode(),
        fingerprint=pki.fingerprint_sha256(cert),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        origin=origin,
        issued_by=actor,
    )
    event = AuditEvent.record(
        record,
        actor,
        "certificate_issued",
        context={"serial": record.serial_hex, "device": device_serial, "origin": origin},
    )
    notify(
        enterprise_users(enterprise),
        Sentence(gettext_noop("端设备 %(d)s 的证书已签发"), d=device_serial),
        body=Sentence(
            gettext_noop("证书序列号 %(s)s，有效期至 %(t)s"),
            s=record.serial_hex,
            t=timezone.localtime(record.not_after).date().isoformat(),
        ),
        link=credentials_link(enterprise),
        event=event,
    )
    return record


def _sign(root, csr, enterprise, device_serial):
    return pki.sign_client_certificate(
        root.authority(),
        csr,
        uscc=enterprise.uscc,
        device_serial=device_serial,
        enterprise_name=enterprise.name,
        days=settings.DEVICE_CERT_DAYS,
        crl_url=crl_url(),
    )


def csr_refusal_message(rejection: pki.CSRRejected) -> str:
    """The refusal in the active language (pki.py is pure and speaks Chinese)."""
    params = {
        key: _(value) if key in pki.MESSAGE_PARAMS else value
        for key, value in rejection.params.items()
    }
    return _(rejection.template) % params


def issue_certificate(enterprise, actor, csr_pem, device_serial: str) -> DeviceCertificate:
    """Sign the device's CSR (the preferred path: its private key never leaves the device)."""
    application, root = _ready_to_issue(enterprise, actor, device_serial)
    try:
        csr = pki.check_csr(csr_pem, uscc=enterprise.uscc, device_serial=device_serial)
    except pki.CSRRejected as rejection:
        raise ValidationError({rejection.field: csr_refusal_message(rejection)}) from None
    cert = _sign(root, csr, enterprise, device_serial)
    with transaction.atomic():
        return _store_certificate(
            enterprise, application, actor, cert, device_serial, CertificateOrigin.CSR
        )


@dataclass(frozen=True)
class GeneratedBundle:
    certificate: DeviceCertificate
    pkcs12: bytes
    password: str


def generate_certificate(enterprise, actor, device_serial: str, key_type="ec") -> GeneratedBundle:
    """Fallback for devices that cannot make a CSR: the portal makes the key pair and hands
    it over once as a password-protected PKCS#12. Neither the key nor the password is kept."""
    application, root = _ready_to_issue(enterprise, actor, device_serial)
    if key_type not in ("ec", "rsa"):
        raise ValidationError({"key_type": _("密钥类型只能是 ec 或 rsa。")})
    key = pki.generate_device_key(key_type)
    csr = x509.load_pem_x509_csr(
        pki.make_csr(
            key, uscc=enterprise.uscc, device_serial=device_serial, enterprise_name=enterprise.name
        )
    )
    cert = _sign(root, csr, enterprise, device_serial)
    password = strong_password(16)
    bundle = pki.make_pkcs12(
        cert, key, root.certificate(), password.encode(), device_serial.encode()
    )
    with transaction.atomic():
        record = _store_certificate(
            enterprise, application, actor, cert, device_serial, CertificateOrigin.GENERATED
        )
    return GeneratedBundle(record, bundle, password)


def revoke_certificate(certificate, actor, reason: str, comment="") -> DeviceCertificate:
    if not can_manage_credentials(actor, certificate.enterprise):
        raise PermissionDenied
    if reason not in RevocationReason.values:
        raise ValidationError({"reason": _("未知的吊销原因：%(r)s") % {"r": reason}})
    with transaction.atomic():
        locked = DeviceCertificate.objects.select_for_update().get(pk=certificate.pk)
        if locked.revoked_at is not None:
            raise refused(
                _("该证书已于 %(t)s 吊销。") % {"t": timezone.localtime(locked.revoked_at)}
            )
        locked.revoked_at = timezone.now()
        locked.revocation_reason = reason
        locked.revocation_comment = comment
        locked.save(update_fields=["revoked_at", "revocation_reason", "revocation_comment"])
        event = AuditEvent.record(
            locked,
            actor,
            "certificate_revoked",
            comment=comment,
            context={"serial": locked.serial_hex, "reason": reason},
        )
        publish_crl()
        notify(
            enterprise_users(locked.enterprise),
            Sentence(gettext_noop("端设备 %(d)s 的证书已吊销"), d=locked.device_serial),
            body=f"{RevocationReason(reason).label} {comment}".strip(),
            link=credentials_link(locked.enterprise),
            event=event,
        )
    return locked


CRL_HOURS = 24


def _crl_is_stale(root) -> bool:
    """Missing, or older than half its lifetime."""
    return not root.crl_der or (
        root.crl_updated_at is None
        or timezone.now() - root.crl_updated_at > timedelta(hours=CRL_HOURS / 2)
    )


def publish_crl(only_if_stale=False) -> RootCertificate:
    """Sign a fresh CRL of every revoked certificate and keep it on the root's row.

    `only_if_stale` re-checks under the row lock, so devices fetching a stale CRL at once
    wait for one re-signing instead of each signing another."""
    with transaction.atomic():
        root = RootCertificate.objects.select_for_update().get(pk=RootCertificate.current().pk)
        if only_if_stale and not _crl_is_stale(root):
            return root
        revoked = [
            (int(serial, 16), revoked_at, reason or None)
            for serial, revoked_at, reason in DeviceCertificate.objects.filter(
                revoked_at__isnull=False
            ).values_list("serial_hex", "revoked_at", "revocation_reason")
        ]
        root.crl_number += 1
        crl = pki.build_crl(
            root.authority(), revoked, number=root.crl_number, next_update_hours=CRL_HOURS
        )
        root.crl_der = pki.crl_der(crl)
        root.crl_updated_at = timezone.now()
        root.save(update_fields=["crl_number", "crl_der", "crl_updated_at"])
    return root


def current_crl_der() -> bytes:
    """The published CRL, re-signed when it is missing or older than half its lifetime."""
    root = RootCertificate.current()
    if _crl_is_stale(root):
        root = publish_crl(only_if_stale=True)
    return bytes(root.crl_der)


def warn_expiring_certificates(days: int = 30) -> int:
    """Tell enterprises once about each valid certificate that expires within `days`."""
    now = timezone.now()
    due = DeviceCertificate.objects.filter(
        revoked_at__isnull=True,
        expiry_warned_at__isnull=True,
        not_after__gt=now,
        not_after__lte=now + timedelta(days=days),
    ).select_related("enterprise")
    warned = 0
    for cert in due:
        with transaction.atomic():
            # Claim with a conditional UPDATE so two runs never both warn.
            if not DeviceCertificate.objects.filter(
                pk=cert.pk, expiry_warned_at__isnull=True
            ).update(expiry_warned_at=now):
                continue
            event = AuditEvent.record(cert, None, "certificate_expiry_warned")
            notify(
                enterprise_users(cert.enterprise),
                Sentence(
                    gettext_noop("端设备 %(d)s 的证书将于 %(t)s 到期"),
                    d=cert.device_serial,
                    t=timezone.localtime(cert.not_after).date().isoformat(),
                ),
                body=Sentence(gettext_noop("请在到期前为该设备提交新的证书请求(CSR)。")),
                link=credentials_link(cert.enterprise),
                event=event,
            )
            warned += 1
    return warned
