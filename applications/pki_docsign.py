"""The document-signing certificate (文件签章证书) the portal's root issues to itself.

Issued PDFs (test reports, acceptance reports, notices) carry a PAdES signature made with
this certificate's key; ``reports.signing`` does the signing. The certificate is an end
entity of the same root as the devices' TLS certificates, told apart by its key usage:
digitalSignature + nonRepudiation and the document-signing key purposes below, where device
certificates have clientAuth only, so a device's key can never produce a trusted document
signature. Pure like :mod:`applications.pki`: only ``cryptography``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from cryptography.x509.oid import NameOID

from .pki import CertificateAuthority, _authority_key_identifier, _spki

# id-kp-documentSigning (RFC 9336), the key purpose of a document-signing certificate.
DOCUMENT_SIGNING = x509.ObjectIdentifier("1.3.6.1.5.5.7.3.36")
# Adobe Authentic Documents Trust: Adobe Acrobat/Reader accepts an EKU that names it (older
# Acrobat versions do not know RFC 9336's purpose and would refuse an EKU without it).
ADOBE_AUTHENTIC_DOCUMENTS = x509.ObjectIdentifier("1.2.840.113583.1.1.5")
DOCUMENT_KEY_PURPOSES = (DOCUMENT_SIGNING, ADOBE_AUTHENTIC_DOCUMENTS)

SIGNER_NAME = "湖北省计量测试技术研究院 文件签章"
DEFAULT_DAYS = 1825


def issue_signing_certificate(
    ca: CertificateAuthority,
    *,
    common_name: str = SIGNER_NAME,
    days: int = DEFAULT_DAYS,
    now: datetime | None = None,
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    """A fresh EC P-256 key and its document-signing certificate, signed by ``ca``."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = now or datetime.now(UTC)
    # A certificate must not outlive the root that vouches for it.
    not_after = min(now + timedelta(days=days), ca.certificate.not_valid_after_utc)
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.STATE_OR_PROVINCE_NAME, "湖北省"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "湖北省计量测试技术研究院"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca.certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,  # nonRepudiation
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage(list(DOCUMENT_KEY_PURPOSES)), critical=False)
        .add_extension(_authority_key_identifier(ca.certificate), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(ca.private_key, hashes.SHA256())
    )
    return certificate, key


def load_signing_key(
    certificate: x509.Certificate, encrypted_key_pem: bytes, passphrase: bytes
) -> PrivateKeyTypes:
    """Decrypt the stored signing key, refusing one that does not belong to ``certificate``."""
    try:
        key = serialization.load_pem_private_key(encrypted_key_pem, password=passphrase)
    except (ValueError, TypeError) as exc:
        # TypeError: the key is not encrypted, which we never write.
        raise ValueError("无法加载文件签章私钥：口令错误、私钥未加密或文件已损坏") from exc
    if _spki(key.public_key()) != _spki(certificate.public_key()):
        raise ValueError("文件签章私钥与签章证书的公钥不匹配")
    return key


def is_document_signing(certificate: x509.Certificate) -> bool:
    """True when the certificate's EKU names the document-signing purpose."""
    try:
        usages = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return False
    return DOCUMENT_SIGNING in list(usages)
