"""The document-signing certificate (文件签章证书): issued by the active root, key stored
encrypted with CA_KEY_PASSPHRASE. `init_ca`, `init_signing_cert` and
`reports.signing.ensure_signing_certificate` create it through here."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from portal.models import AuditEvent

from .. import pki, pki_docsign
from ..models import DocumentSigningCertificate, RootCertificate

# A certificate this close to its end is renewed by the next signature, so that every
# document is signed with a certificate that stays valid for a while after.
RENEW_BEFORE = timedelta(days=30)


def issue_signing_certificate(
    *, replace: bool = False, days: int | None = None
) -> DocumentSigningCertificate:
    """The usable signing certificate, issuing a new one when there is none (no active one,
    one from an earlier root, or an expired one), when it ends within RENEW_BEFORE (unless
    the root itself ends sooner), or when ``replace`` is set. ``days`` defaults to
    settings.SIGNING_CERT_DAYS.

    Raises CANotReady without a root. Issuing locks the root's row, so two callers at once
    (two report tasks, say) end with one certificate.
    """
    current = DocumentSigningCertificate.usable()
    if current is not None and not replace and not _due_for_renewal(current, current.root):
        return current  # the common case, without taking the root's row lock
    with transaction.atomic():
        root = RootCertificate.current()
        root = RootCertificate.objects.select_for_update().get(pk=root.pk)
        current = DocumentSigningCertificate.usable()
        if current is not None and not replace and not _due_for_renewal(current, root):
            return current
        certificate, key = pki_docsign.issue_signing_certificate(
            root.authority(), days=days or settings.SIGNING_CERT_DAYS
        )
        passphrase = settings.CA_KEY_PASSPHRASE.encode()
        encrypted = pki.encrypt_private_key(key, passphrase)
        pki_docsign.load_signing_key(certificate, encrypted, passphrase)  # readable as stored
        DocumentSigningCertificate.objects.filter(is_active=True).update(is_active=False)
        signing = DocumentSigningCertificate.objects.create(
            root=root,
            certificate_pem=pki.certificate_pem(certificate).decode(),
            encrypted_key_pem=encrypted.decode(),
            serial_hex=pki.serial_hex(certificate),
            fingerprint=pki.fingerprint_sha256(certificate),
            not_before=certificate.not_valid_before_utc,
            not_after=certificate.not_valid_after_utc,
        )
        AuditEvent.record(
            signing,
            None,
            "signing_certificate_issued",
            context={
                "fingerprint": signing.fingerprint,
                "serial": signing.serial_hex,
                "replaced": current.serial_hex if current is not None else "",
            },
        )
    return signing


def _due_for_renewal(current: DocumentSigningCertificate, root: RootCertificate) -> bool:
    # A renewal cannot outlast the root, so one that ends with the root is as good as it gets.
    return current.not_after - timezone.now() < RENEW_BEFORE and current.not_after < root.not_after
