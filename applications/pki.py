"""Internal certificate authority for enterprises' end devices (端设备).

The metrology institute runs a single self-signed root that issues TLS client certificates to
devices. A device certificate binds the enterprise's unified social credit code (USCC, in the
organizationIdentifier attribute) and the device serial number (serialNumber attribute); the
telemetry API reads them back with :func:`subject_binding` to decide whose data a request
carries. This module is pure: no Django models, no database, only ``cryptography``.

CSR refusals are Chinese (devices and their client read them without Django); each also
carries its template and parameters, marked with ``gettext_noop`` so that makemessages
extracts them, and the portal translates them at its boundary (``applications.services``).
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.types import (
    CertificatePublicKeyTypes,
    PrivateKeyTypes,
)
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

# Keys devices may use: EC P-256, or RSA of at least this many bits.
DeviceKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
MIN_RSA_BITS = 2048


def gettext_noop(message: str) -> str:
    """Mark a message for makemessages (it extracts ``gettext_noop``) without importing Django."""
    return message


ALLOWED_KEYS = gettext_noop("仅允许 EC P-256 (secp256r1) 或不少于 2048 位的 RSA 密钥")

# Parameters of a refusal that are themselves messages (translated along with the template).
MESSAGE_PARAMS = frozenset({"allowed", "label"})


class CSRRejected(Exception):
    """Raised when a CSR is unusable, with .field and .reason (a human-readable Chinese message).

    ``template % params`` is ``reason``; a caller with Django translates ``template`` and the
    parameters named in ``MESSAGE_PARAMS`` to show the refusal in the reader's language.
    """

    def __init__(self, field: str, template: str, **params: object):
        self.field = field
        self.template = template
        self.params = params
        self.reason = template % params
        super().__init__(self.reason)


@dataclass(frozen=True)
class CertificateAuthority:
    """The root certificate together with its private key (EC P-256)."""

    certificate: x509.Certificate
    private_key: PrivateKeyTypes


# --- Root CA ---------------------------------------------------------------------------------


def create_root(
    common_name: str = "湖北省重点用能单位能耗在线监测 CA", days: int = 3650
) -> CertificateAuthority:
    """Create a self-signed EC P-256 root that may only sign end-entity certificates."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.STATE_OR_PROVINCE_NAME, "湖北省"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "湖北省计量测试技术研究院"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=days))
        # path_length=0: the root signs devices directly, never intermediate CAs.
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return CertificateAuthority(certificate=certificate, private_key=key)


def encrypt_private_key(key: PrivateKeyTypes, passphrase: bytes) -> bytes:
    """Serialize a private key as passphrase-encrypted PKCS#8 PEM."""
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(passphrase),
    )


def load_authority(
    cert_pem: bytes, encrypted_key_pem: bytes, passphrase: bytes
) -> CertificateAuthority:
    """Load the CA from storage, refusing a key that does not belong to a CA certificate."""
    certificate = load_certificate(cert_pem)
    try:
        key = serialization.load_pem_private_key(encrypted_key_pem, password=passphrase)
    except (ValueError, TypeError) as exc:
        # TypeError: the key file is not encrypted, which we never write.
        raise ValueError("无法加载 CA 私钥：口令错误、私钥未加密或文件已损坏") from exc
    if _spki(key.public_key()) != _spki(certificate.public_key()):
        raise ValueError("CA 私钥与 CA 证书的公钥不匹配")
    try:
        is_ca = certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        is_ca = False
    if not is_ca:
        raise ValueError("该证书不是 CA 证书（缺少 BasicConstraints ca=True），不能用于签发")
    return CertificateAuthority(certificate=certificate, private_key=key)


def _spki(public_key: CertificatePublicKeyTypes) -> bytes:
    return public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def certificate_pem(cert: x509.Certificate) -> bytes:
    """PEM encoding of a certificate."""
    return cert.public_bytes(serialization.Encoding.PEM)


def load_certificate(pem: bytes) -> x509.Certificate:
    """Parse a PEM certificate, with a Chinese error message on failure."""
    try:
        return x509.load_pem_x509_certificate(pem)
    except ValueError as exc:
        raise ValueError("无法解析证书：不是有效的 PEM 格式") from exc


# --- Certificate signing requests ------------------------------------------------------------


def check_csr(
    csr_pem: bytes | str, *, uscc: str, device_serial: str
) -> x509.CertificateSigningRequest:
    """Parse a device's CSR and refuse it unless it is sound and names this device."""
    data = csr_pem.encode() if isinstance(csr_pem, str) else csr_pem
    try:
        csr = x509.load_pem_x509_csr(data)
    except ValueError as exc:
        raise CSRRejected(
            "csr", gettext_noop("无法解析证书签名请求(CSR)：不是有效的 PEM 格式")
        ) from exc
    _check_parsed_csr(csr, uscc=uscc, device_serial=device_serial)
    return csr


def _check_parsed_csr(
    csr: x509.CertificateSigningRequest, *, uscc: str, device_serial: str
) -> None:
    try:
        public_key = csr.public_key()
        signature_valid = csr.is_signature_valid
    except UnsupportedAlgorithm as exc:
        raise CSRRejected(
            "csr",
            gettext_noop("CSR 使用了不支持的密钥或签名算法；%(allowed)s"),
            allowed=ALLOWED_KEYS,
        ) from exc
    # A valid self-signature proves the requester holds the private key of the CSR's public key.
    if not signature_valid:
        raise CSRRejected(
            "csr", gettext_noop("CSR 的签名校验失败：请求内容被篡改或不是用该密钥签名的")
        )
    if not _key_allowed(public_key):
        if isinstance(public_key, rsa.RSAPublicKey):
            raise CSRRejected(
                "csr",
                gettext_noop("CSR 使用的密钥为 RSA %(bits)s 位，%(allowed)s"),
                bits=public_key.key_size,
                allowed=ALLOWED_KEYS,
            )
        raise CSRRejected(
            "csr",
            gettext_noop("CSR 使用的密钥为 %(key)s，%(allowed)s"),
            key=_describe_key(public_key),
            allowed=ALLOWED_KEYS,
        )

    csr_uscc = _single_attribute(
        csr.subject,
        NameOID.ORGANIZATION_IDENTIFIER,
        gettext_noop("组织机构标识(organizationIdentifier)"),
    )
    if csr_uscc != uscc:
        raise CSRRejected(
            "csr",
            gettext_noop("CSR 中的统一社会信用代码 %(csr)s 属于其他企业，与本企业 %(own)s 不符"),
            csr=csr_uscc,
            own=uscc,
        )
    csr_serial = _single_attribute(
        csr.subject, NameOID.SERIAL_NUMBER, gettext_noop("设备序列号(serialNumber)")
    )
    if csr_serial != device_serial:
        raise CSRRejected(
            "csr",
            gettext_noop("CSR 中的设备序列号 %(csr)s 与申请的设备 %(own)s 不一致"),
            csr=csr_serial,
            own=device_serial,
        )


def _single_attribute(name: x509.Name, oid: x509.ObjectIdentifier, label: str) -> str:
    values = [str(attribute.value) for attribute in name.get_attributes_for_oid(oid)]
    if not values:
        raise CSRRejected("csr", gettext_noop("CSR 主题中缺少%(label)s"), label=label)
    if len(values) > 1:
        raise CSRRejected("csr", gettext_noop("CSR 主题中包含多个%(label)s"), label=label)
    return values[0]


def _key_allowed(key: CertificatePublicKeyTypes) -> bool:
    if isinstance(key, ec.EllipticCurvePublicKey):
        return isinstance(key.curve, ec.SECP256R1)
    if isinstance(key, rsa.RSAPublicKey):
        return key.key_size >= MIN_RSA_BITS
    return False


def _describe_key(key: CertificatePublicKeyTypes) -> str:
    if isinstance(key, rsa.RSAPublicKey):
        return f"RSA {key.key_size} 位"
    if isinstance(key, ec.EllipticCurvePublicKey):
        return f"EC {key.curve.name}"
    return type(key).__name__.removesuffix("PublicKey")


def build_subject(*, uscc: str, device_serial: str, enterprise_name: str) -> x509.Name:
    """The subject of a device certificate: enterprise (USCC) plus device serial."""
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, enterprise_name),
            x509.NameAttribute(NameOID.ORGANIZATION_IDENTIFIER, uscc),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, device_serial),
            x509.NameAttribute(NameOID.COMMON_NAME, device_serial),
        ]
    )


OPENSSL_NAMES = {
    NameOID.COUNTRY_NAME: "C",
    NameOID.ORGANIZATION_NAME: "O",
    NameOID.ORGANIZATION_IDENTIFIER: "organizationIdentifier",
    NameOID.SERIAL_NUMBER: "serialNumber",
    NameOID.COMMON_NAME: "CN",
}


def openssl_subject(subject: x509.Name) -> str:
    """`subject` as openssl's -subj wants it: /type=value, with / and = escaped."""

    def escape(value: str) -> str:
        return value.replace("\\", "\\\\").replace("/", "\\/").replace("=", "\\=")

    return "".join(f"/{OPENSSL_NAMES[a.oid]}={escape(a.value)}" for a in subject)


def openssl_csr_command(*, uscc: str, device_serial: str, enterprise_name: str) -> str:
    """A shell command that makes an EC P-256 key and a CSR with exactly the subject the
    portal signs (build_subject), to run on the end device; the key never leaves it."""
    import shlex

    subject = build_subject(uscc=uscc, device_serial=device_serial, enterprise_name=enterprise_name)
    stem = shlex.quote(device_serial)
    return (
        "openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
        f"-keyout {stem}.key -out {stem}.csr -utf8 -subj {shlex.quote(openssl_subject(subject))}"
    )


def make_csr(
    private_key: DeviceKey, *, uscc: str, device_serial: str, enterprise_name: str
) -> bytes:
    """Build a PEM CSR the way a device would (used by devices, tests and the simulator)."""
    subject = build_subject(uscc=uscc, device_serial=device_serial, enterprise_name=enterprise_name)
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(subject)
        .sign(private_key, hashes.SHA256())
    )
    return csr.public_bytes(serialization.Encoding.PEM)


def generate_device_key(kind: str = "ec") -> DeviceKey:
    """Generate a device key: "ec" for P-256, "rsa" for RSA 2048."""
    if kind == "ec":
        return ec.generate_private_key(ec.SECP256R1())
    if kind == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=MIN_RSA_BITS)
    raise ValueError(f"不支持的密钥类型：{kind}（可选 ec 或 rsa）")


# --- Issuing ---------------------------------------------------------------------------------


def sign_client_certificate(
    ca: CertificateAuthority,
    csr: x509.CertificateSigningRequest,
    *,
    uscc: str,
    device_serial: str,
    enterprise_name: str,
    days: int = 730,
    serial_number: int | None = None,
    now: datetime | None = None,
    crl_url: str | None = None,
) -> x509.Certificate:
    """Issue a TLS client certificate for the CSR's key, with a subject chosen by the portal."""
    # Re-checked here so that a caller who skipped check_csr still cannot get a certificate
    # for a weak key or for another enterprise's device.
    _check_parsed_csr(csr, uscc=uscc, device_serial=device_serial)
    now = now or datetime.now(UTC)
    # A certificate must not outlive the root that vouches for it.
    not_after = min(now + timedelta(days=days), ca.certificate.not_valid_after_utc)
    builder = (
        x509.CertificateBuilder()
        .subject_name(
            build_subject(uscc=uscc, device_serial=device_serial, enterprise_name=enterprise_name)
        )
        .issuer_name(ca.certificate.subject)
        .public_key(csr.public_key())
        .serial_number(serial_number if serial_number is not None else x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
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
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .add_extension(_authority_key_identifier(ca.certificate), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(csr.public_key()), critical=False)
    )
    if crl_url:
        builder = builder.add_extension(
            x509.CRLDistributionPoints(
                [
                    x509.DistributionPoint(
                        full_name=[x509.UniformResourceIdentifier(crl_url)],
                        relative_name=None,
                        reasons=None,
                        crl_issuer=None,
                    )
                ]
            ),
            critical=False,
        )
    return builder.sign(ca.private_key, hashes.SHA256())


def _authority_key_identifier(ca_cert: x509.Certificate) -> x509.AuthorityKeyIdentifier:
    # Reuse the root's own SubjectKeyIdentifier so that chain builders can match them exactly.
    try:
        ski = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    except x509.ExtensionNotFound:
        return x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_cert.public_key())
    return x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski)


def subject_binding(cert: x509.Certificate) -> tuple[str, str]:
    """Return (uscc, device_serial) from a device certificate's subject."""
    values = []
    for oid, label in (
        (NameOID.ORGANIZATION_IDENTIFIER, "统一社会信用代码(organizationIdentifier)"),
        (NameOID.SERIAL_NUMBER, "设备序列号(serialNumber)"),
    ):
        attributes = cert.subject.get_attributes_for_oid(oid)
        if not attributes:
            raise ValueError(f"证书主题中缺少{label}")
        values.append(str(attributes[0].value))
    return values[0], values[1]


def verify_issued_by(ca_cert: x509.Certificate, cert: x509.Certificate) -> None:
    """Raise ValueError unless ``cert`` carries a valid signature by ``ca_cert``."""
    try:
        cert.verify_directly_issued_by(ca_cert)
    except (ValueError, TypeError, InvalidSignature) as exc:
        raise ValueError("证书不是由本 CA 签发的（签发者或签名校验失败）") from exc


def make_pkcs12(
    cert: x509.Certificate,
    key: DeviceKey,
    ca_cert: x509.Certificate,
    password: bytes,
    friendly_name: bytes,
) -> bytes:
    """Bundle a device key, its certificate and the root into a password-protected PKCS#12."""
    return pkcs12.serialize_key_and_certificates(
        name=friendly_name,
        key=key,
        cert=cert,
        cas=[ca_cert],
        encryption_algorithm=serialization.BestAvailableEncryption(password),
    )


# --- Revocation ------------------------------------------------------------------------------


def build_crl(
    ca: CertificateAuthority,
    revoked: Iterable[tuple[int, datetime, str | None]],
    *,
    now: datetime | None = None,
    next_update_hours: int = 24,
    number: int = 1,
) -> x509.CertificateRevocationList:
    """Sign a CRL listing (serial, revoked_at, reason) entries; reason is a ReasonFlags value."""
    now = now or datetime.now(UTC)
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca.certificate.subject)
        .last_update(now)
        .next_update(now + timedelta(hours=next_update_hours))
        .add_extension(x509.CRLNumber(number), critical=False)
        .add_extension(_authority_key_identifier(ca.certificate), critical=False)
    )
    for serial, revoked_at, reason in revoked:
        entry = x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(revoked_at)
        if reason is not None:
            try:
                flag = x509.ReasonFlags(reason)
            except ValueError as exc:
                raise ValueError(f"未知的吊销原因：{reason}") from exc
            entry = entry.add_extension(x509.CRLReason(flag), critical=False)
        builder = builder.add_revoked_certificate(entry.build())
    return builder.sign(ca.private_key, hashes.SHA256())


def crl_der(crl: x509.CertificateRevocationList) -> bytes:
    """DER encoding of a CRL (what CRL distribution points usually serve)."""
    return crl.public_bytes(serialization.Encoding.DER)


def crl_pem(crl: x509.CertificateRevocationList) -> bytes:
    """PEM encoding of a CRL."""
    return crl.public_bytes(serialization.Encoding.PEM)


# --- Identification --------------------------------------------------------------------------


def fingerprint_sha256(cert: x509.Certificate) -> str:
    """SHA-256 fingerprint of the DER certificate, lowercase hex."""
    return cert.fingerprint(hashes.SHA256()).hex()


def serial_hex(cert_or_int: x509.Certificate | int) -> str:
    """Serial number as lowercase hex without 0x or leading zeros (the X-Cert-Serial header)."""
    serial = cert_or_int if isinstance(cert_or_int, int) else cert_or_int.serial_number
    return format(serial, "x")


# --- Request body signatures -----------------------------------------------------------------


def sign_body(private_key: DeviceKey, body: bytes) -> str:
    """Sign the exact body bytes with SHA-256 (ECDSA DER or RSA PKCS#1 v1.5); base64 text."""
    if isinstance(private_key, ec.EllipticCurvePrivateKey):
        signature = private_key.sign(body, ec.ECDSA(hashes.SHA256()))
    elif isinstance(private_key, rsa.RSAPrivateKey):
        signature = private_key.sign(body, padding.PKCS1v15(), hashes.SHA256())
    else:
        raise ValueError("仅支持使用 EC 或 RSA 私钥签名请求体")
    return base64.b64encode(signature).decode("ascii")


def verify_body_signature(cert: x509.Certificate, body: bytes, signature_b64: str) -> bool:
    """True if ``signature_b64`` is the certificate key's signature of ``body``; never raises."""
    try:
        signature = base64.b64decode(signature_b64, validate=True)
    except ValueError:  # binascii.Error, and non-ASCII text
        return False
    public_key = cert.public_key()
    try:
        if isinstance(public_key, ec.EllipticCurvePublicKey):
            public_key.verify(signature, body, ec.ECDSA(hashes.SHA256()))
        elif isinstance(public_key, rsa.RSAPublicKey):
            public_key.verify(signature, body, padding.PKCS1v15(), hashes.SHA256())
        else:
            return False
    except (InvalidSignature, ValueError):
        return False
    return True
