"""Tests for the device certificate authority in applications.pki (no database needed)."""

import base64
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from applications import pki

USCC = "91420100MA4K2XXX1Y"
OTHER_USCC = "91420600MA4F3YYY2Z"
SERIAL = "HB-DEV-000123"
ENTERPRISE = "武汉某某钢铁有限公司"
BINDING = {"uscc": USCC, "device_serial": SERIAL}


@pytest.fixture(scope="module")
def root() -> pki.CertificateAuthority:
    return pki.create_root()


@pytest.fixture(scope="module")
def ec_key() -> ec.EllipticCurvePrivateKey:
    return pki.generate_device_key("ec")


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    # RSA generation is slow: one key shared by every test that needs RSA 2048.
    return pki.generate_device_key("rsa")


def issue(root, key, **overrides) -> x509.Certificate:
    """Run a device key through the whole CSR -> check -> sign path."""
    csr = pki.check_csr(pki.make_csr(key, **BINDING, enterprise_name=ENTERPRISE), **BINDING)
    return pki.sign_client_certificate(
        root, csr, **BINDING, enterprise_name=ENTERPRISE, **overrides
    )


def rejection(csr_pem, **binding) -> str:
    with pytest.raises(pki.CSRRejected) as caught:
        pki.check_csr(csr_pem, **(binding or BINDING))
    assert caught.value.field == "csr"
    return caught.value.reason


def spki(key) -> bytes:
    return key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


# --- Root -------------------------------------------------------------------------------------


def test_root_is_a_self_signed_p256_ca_that_signs_only_end_entities(root):
    cert = root.certificate
    constraints = cert.extensions.get_extension_for_class(x509.BasicConstraints)
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage)

    assert isinstance(cert.public_key(), ec.EllipticCurvePublicKey)
    assert isinstance(cert.public_key().curve, ec.SECP256R1)
    assert constraints.critical and constraints.value.ca and constraints.value.path_length == 0
    assert usage.critical and usage.value.key_cert_sign and usage.value.crl_sign
    assert cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
    assert cert.subject == cert.issuer
    assert cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == (
        "湖北省计量测试技术研究院"
    )
    pki.verify_issued_by(cert, cert)


def test_root_key_survives_encryption_and_loading(root):
    encrypted = pki.encrypt_private_key(root.private_key, b"correct horse")
    loaded = pki.load_authority(pki.certificate_pem(root.certificate), encrypted, b"correct horse")

    assert b"ENCRYPTED PRIVATE KEY" in encrypted
    assert loaded.certificate == root.certificate
    assert spki(loaded.private_key.public_key()) == spki(root.certificate.public_key())


def test_loading_the_root_key_with_a_wrong_passphrase_raises(root):
    encrypted = pki.encrypt_private_key(root.private_key, b"correct horse")

    with pytest.raises(ValueError, match="口令"):
        pki.load_authority(pki.certificate_pem(root.certificate), encrypted, b"wrong")


def test_loading_an_authority_whose_key_belongs_to_another_root_raises(root):
    other = pki.create_root()
    encrypted = pki.encrypt_private_key(other.private_key, b"pw")

    with pytest.raises(ValueError, match="不匹配"):
        pki.load_authority(pki.certificate_pem(root.certificate), encrypted, b"pw")


def test_loading_a_device_certificate_as_authority_raises(root, ec_key):
    device_cert = issue(root, ec_key)
    encrypted = pki.encrypt_private_key(ec_key, b"pw")

    with pytest.raises(ValueError, match="不是 CA 证书"):
        pki.load_authority(pki.certificate_pem(device_cert), encrypted, b"pw")


def test_certificate_pem_round_trips_and_garbage_is_refused_in_chinese(root):
    assert pki.load_certificate(pki.certificate_pem(root.certificate)) == root.certificate
    with pytest.raises(ValueError, match="无法解析证书"):
        pki.load_certificate(b"not a certificate")


# --- Issuing ----------------------------------------------------------------------------------


def test_a_certificate_issued_from_a_csr_verifies_against_the_root_and_binds_the_device(
    root, ec_key
):
    cert = issue(root, ec_key)

    pki.verify_issued_by(root.certificate, cert)
    assert spki(cert.public_key()) == spki(ec_key.public_key())
    assert pki.subject_binding(cert) == (USCC, SERIAL)
    assert cert.issuer == root.certificate.subject


def test_an_issued_certificate_is_an_end_entity_for_client_authentication_only(root, ec_key):
    cert = issue(root, ec_key)
    extensions = cert.extensions
    constraints = extensions.get_extension_for_class(x509.BasicConstraints)
    usage = extensions.get_extension_for_class(x509.KeyUsage)
    root_ski = root.certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)

    assert constraints.critical and not constraints.value.ca
    assert usage.critical and usage.value.digital_signature and not usage.value.key_cert_sign
    assert list(extensions.get_extension_for_class(x509.ExtendedKeyUsage).value) == [
        ExtendedKeyUsageOID.CLIENT_AUTH
    ]
    aki = extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    assert aki.key_identifier == root_ski.value.digest
    assert extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
    with pytest.raises(x509.ExtensionNotFound):
        extensions.get_extension_for_class(x509.CRLDistributionPoints)


def test_a_crl_url_adds_a_distribution_point(root, ec_key):
    cert = issue(root, ec_key, crl_url="https://pki.example.cn/crl/root.crl")
    points = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value

    assert points[0].full_name == [
        x509.UniformResourceIdentifier("https://pki.example.cn/crl/root.crl")
    ]


def test_the_subject_is_chosen_by_the_portal_not_copied_from_the_csr(root, ec_key):
    csr_pem = pki.make_csr(ec_key, **BINDING, enterprise_name="冒充的企业名称")
    cert = pki.sign_client_certificate(
        root, pki.check_csr(csr_pem, **BINDING), **BINDING, enterprise_name=ENTERPRISE
    )

    assert cert.subject == pki.build_subject(**BINDING, enterprise_name=ENTERPRISE)


def test_validity_serial_and_lifetime_follow_the_arguments(root, ec_key):
    now = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
    cert = issue(root, ec_key, days=30, serial_number=0xABC, now=now)

    assert cert.serial_number == 0xABC
    assert cert.not_valid_before_utc == now
    assert cert.not_valid_after_utc == now + timedelta(days=30)


def test_a_device_certificate_never_outlives_the_root(root, ec_key):
    cert = issue(root, ec_key, days=100 * 365)

    assert cert.not_valid_after_utc == root.certificate.not_valid_after_utc


def test_random_serials_are_positive_and_distinct(root, ec_key):
    first, second = issue(root, ec_key), issue(root, ec_key)

    assert first.serial_number > 0
    assert first.serial_number != second.serial_number
    assert first.serial_number.bit_length() <= 159


def test_a_certificate_issued_by_another_root_does_not_verify(root, ec_key):
    foreign = issue(pki.create_root(), ec_key)

    with pytest.raises(ValueError, match="不是由本 CA 签发"):
        pki.verify_issued_by(root.certificate, foreign)


def test_signing_rechecks_the_csr_even_if_the_caller_skipped_check_csr(root):
    weak = ec.generate_private_key(ec.SECP384R1())
    csr = x509.load_pem_x509_csr(pki.make_csr(weak, **BINDING, enterprise_name=ENTERPRISE))

    with pytest.raises(pki.CSRRejected):
        pki.sign_client_certificate(root, csr, **BINDING, enterprise_name=ENTERPRISE)


def test_subject_binding_of_a_certificate_without_a_uscc_raises(root):
    with pytest.raises(ValueError, match="organizationIdentifier"):
        pki.subject_binding(root.certificate)


# --- CSR checks -------------------------------------------------------------------------------


def test_an_rsa_2048_csr_is_accepted(root, rsa_key):
    cert = issue(root, rsa_key)

    assert cert.public_key().key_size == 2048
    pki.verify_issued_by(root.certificate, cert)


def test_a_csr_given_as_text_is_accepted(ec_key):
    csr_pem = pki.make_csr(ec_key, **BINDING, enterprise_name=ENTERPRISE).decode()

    assert pki.check_csr(csr_pem, **BINDING).subject.rfc4514_string()


def test_an_rsa_1024_csr_is_refused_naming_the_key_size():
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)

    reason = rejection(pki.make_csr(weak, **BINDING, enterprise_name=ENTERPRISE))

    assert "RSA 1024 位" in reason
    assert "2048" in reason


def test_an_ec_p384_csr_is_refused():
    key = ec.generate_private_key(ec.SECP384R1())

    reason = rejection(pki.make_csr(key, **BINDING, enterprise_name=ENTERPRISE))

    assert "secp384r1" in reason


def test_a_csr_for_another_enterprise_is_refused(ec_key):
    csr_pem = pki.make_csr(
        ec_key, uscc=OTHER_USCC, device_serial=SERIAL, enterprise_name=ENTERPRISE
    )

    reason = rejection(csr_pem)

    assert "其他企业" in reason and OTHER_USCC in reason


def test_a_csr_for_another_device_is_refused(ec_key):
    csr_pem = pki.make_csr(ec_key, uscc=USCC, device_serial="HB-DEV-999", enterprise_name="x")

    assert "HB-DEV-999" in rejection(csr_pem)


@pytest.mark.parametrize(
    ("missing", "named"),
    [
        (NameOID.ORGANIZATION_IDENTIFIER, "organizationIdentifier"),
        (NameOID.SERIAL_NUMBER, "serialNumber"),
    ],
)
def test_a_csr_missing_a_binding_attribute_is_refused_naming_it(ec_key, missing, named):
    subject = pki.build_subject(**BINDING, enterprise_name=ENTERPRISE)
    kept = x509.Name([attribute for attribute in subject if attribute.oid != missing])
    csr = x509.CertificateSigningRequestBuilder().subject_name(kept).sign(ec_key, hashes.SHA256())

    assert named in rejection(csr.public_bytes(serialization.Encoding.PEM))


@pytest.mark.parametrize(
    "garbage",
    [
        b"",
        b"hello",
        "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n",
    ],
)
def test_garbage_is_refused_as_not_pem(garbage):
    assert rejection(garbage) == "无法解析证书签名请求(CSR)：不是有效的 PEM 格式"


def test_a_certificate_in_place_of_a_csr_is_refused_as_not_pem(root):
    assert "PEM" in rejection(pki.certificate_pem(root.certificate))


def test_a_tampered_csr_is_refused_on_its_signature(ec_key):
    der = bytearray(
        x509.load_pem_x509_csr(
            pki.make_csr(ec_key, **BINDING, enterprise_name=ENTERPRISE)
        ).public_bytes(serialization.Encoding.DER)
    )
    der[-1] ^= 0x01  # the DER ends inside the signature value
    tampered = x509.load_der_x509_csr(bytes(der)).public_bytes(serialization.Encoding.PEM)

    assert "签名" in rejection(tampered)


# --- Revocation -------------------------------------------------------------------------------


def test_a_revoked_serial_appears_in_a_crl_signed_by_the_root(root):
    revoked_at = datetime(2025, 5, 4, 12, 0, tzinfo=UTC)

    crl = pki.build_crl(root, [(0xDEAD, revoked_at, "keyCompromise")], number=7)

    entry = crl.get_revoked_certificate_by_serial_number(0xDEAD)
    assert entry is not None
    assert entry.revocation_date_utc == revoked_at
    reason = entry.extensions.get_extension_for_class(x509.CRLReason).value.reason
    assert reason == x509.ReasonFlags.key_compromise
    assert crl.get_revoked_certificate_by_serial_number(0xBEEF) is None
    assert crl.is_signature_valid(root.certificate.public_key())
    assert crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number == 7
    assert crl.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier)


def test_a_crl_entry_without_a_reason_has_no_reason_extension(root):
    crl = pki.build_crl(root, [(1, datetime.now(UTC), None)])

    with pytest.raises(x509.ExtensionNotFound):
        crl.get_revoked_certificate_by_serial_number(1).extensions.get_extension_for_class(
            x509.CRLReason
        )


def test_a_crl_is_not_valid_under_another_root(root):
    crl = pki.build_crl(root, [])

    assert not crl.is_signature_valid(pki.create_root().certificate.public_key())


def test_an_unknown_revocation_reason_raises(root):
    with pytest.raises(ValueError, match="未知的吊销原因"):
        pki.build_crl(root, [(1, datetime.now(UTC), "lostItSomewhere")])


def test_crl_update_window_and_encodings(root):
    now = datetime(2025, 6, 1, tzinfo=UTC)
    crl = pki.build_crl(root, [], now=now, next_update_hours=6)

    assert crl.last_update_utc == now
    assert crl.next_update_utc == now + timedelta(hours=6)
    assert x509.load_der_x509_crl(pki.crl_der(crl)) == crl
    assert x509.load_pem_x509_crl(pki.crl_pem(crl)) == crl


# --- PKCS#12 ----------------------------------------------------------------------------------


def test_a_pkcs12_bundle_opens_with_its_password_and_not_without(root, ec_key):
    cert = issue(root, ec_key)
    bundle = pki.make_pkcs12(cert, ec_key, root.certificate, b"s3cret", b"HB-DEV-000123")

    key, loaded_cert, cas = pkcs12.load_key_and_certificates(bundle, b"s3cret")
    assert spki(key.public_key()) == spki(ec_key.public_key())
    assert loaded_cert == cert
    assert cas == [root.certificate]
    for wrong in (None, b"wrong"):
        with pytest.raises(ValueError):
            pkcs12.load_key_and_certificates(bundle, wrong)


# --- Body signatures --------------------------------------------------------------------------


@pytest.fixture(params=["ec", "rsa"])
def device(request, root, ec_key, rsa_key):
    key = ec_key if request.param == "ec" else rsa_key
    return key, issue(root, key)


BODY = b'{"device":"HB-DEV-000123","readings":[{"t":"2025-06-01T00:00:00Z","kwh":12.5}]}'


def test_a_signed_body_verifies_against_the_device_certificate(device):
    key, cert = device

    assert pki.verify_body_signature(cert, BODY, pki.sign_body(key, BODY))


def test_a_signature_over_another_body_is_rejected(device):
    key, cert = device

    assert not pki.verify_body_signature(cert, BODY + b" ", pki.sign_body(key, BODY))


def test_a_signature_by_another_key_is_rejected(device, root):
    _, cert = device
    stranger = pki.generate_device_key("ec")

    assert not pki.verify_body_signature(cert, BODY, pki.sign_body(stranger, BODY))


@pytest.mark.parametrize(
    "signature", ["not base64!", "", "无效", base64.b64encode(b"\x30\x03\x02\x01").decode()]
)
def test_a_malformed_signature_is_rejected_without_raising(device, signature):
    _, cert = device

    assert pki.verify_body_signature(cert, BODY, signature) is False


# --- Identification ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("serial", "expected"),
    [(0, "0"), (15, "f"), (255, "ff"), (0x0ABC, "abc"), (2**159 - 1, "7" + "f" * 39)],
)
def test_serial_hex_is_lowercase_without_prefix_or_leading_zeros(serial, expected):
    assert pki.serial_hex(serial) == expected


def test_serial_hex_reads_a_certificate(root):
    assert pki.serial_hex(root.certificate) == format(root.certificate.serial_number, "x")


def test_fingerprint_is_lowercase_hex_sha256_of_the_der(root):
    fingerprint = pki.fingerprint_sha256(root.certificate)

    assert fingerprint == root.certificate.fingerprint(hashes.SHA256()).hex()
    assert len(fingerprint) == 64 and fingerprint == fingerprint.lower()
