"""The document-signing certificate (文件签章证书): issued by the active root, key stored
encrypted with CA_KEY_PASSPHRASE. `init_ca`, `init_signing_cert` and
`reports.signing.ensure_signing_certificate` create it through here."""

from django.conf import settings
from django.db import transaction

from portal.models import AuditEvent

from .. import pki, pki_docsign
from ..models import DocumentSigningCertificate, RootCertificate


def issue_signing_certificate(
    *, replace: bool = False, days: int = pki_docsign.DEFAULT_DAYS
) -> DocumentSigningCertificate:
    """The usable signing certificate, issuing a new one when there is none (no active one,
    one from an earlier root, or an expired one) or when ``replace`` is set.

    Raises CANotReady without a root. The root's row is locked, so two callers at once
    (two report tasks, say) end with one certificate.
    """
    with transaction.atomic():
        root = RootCertificate.current()
        root = RootCertificate.objects.select_for_update().get(pk=root.pk)
        current = DocumentSigningCertificate.usable()
        if current is not None and not replace:
            return current
        certificate, key = pki_docsign.issue_signing_certificate(root.authority(), days=days)
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
