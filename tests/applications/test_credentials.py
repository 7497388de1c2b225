"""CA, device certificates from CSRs, PKCS#12 fallback, revocation and CRL, VPN accounts."""

from datetime import timedelta
from io import StringIO

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from applications import pki
from applications.models import (
    CertificateStatus,
    DeviceCertificate,
    RootCertificate,
    VpnAccount,
)
from applications.services.access import approve_application
from applications.services.certificates import (
    issue_certificate,
    revoke_certificate,
    warn_expiring_certificates,
)
from applications.services.vpn import set_vpn_active, set_vpn_password
from portal.models import Notification
from portal.workflow import TransitionRefused

from .factories import AccessApplicationFactory

SERIAL = "HB-DEV-000123"


@pytest.fixture
def approved(enterprise, member, reviewer, root):
    application = AccessApplicationFactory(enterprise=enterprise, under_review=True)
    return approve_application(application, reviewer, "同意")


def csr_for(enterprise, key=None, serial=SERIAL, uscc=None):
    key = key or pki.generate_device_key("ec")
    return pki.make_csr(
        key, uscc=uscc or enterprise.uscc, device_serial=serial, enterprise_name=enterprise.name
    ), key


def test_init_ca_stores_the_key_encrypted_and_refuses_to_overwrite(db, settings):
    call_command("init_ca", stdout=StringIO())
    root = RootCertificate.current()

    assert "ENCRYPTED PRIVATE KEY" in root.encrypted_key_pem
    assert "BEGIN PRIVATE KEY" not in root.encrypted_key_pem
    root.authority()  # decrypts with settings.CA_KEY_PASSPHRASE
    with pytest.raises(CommandError, match="已存在"):
        call_command("init_ca", stdout=StringIO())
    settings.CA_KEY_PASSPHRASE = "another"
    with pytest.raises(ValueError, match="口令"):
        RootCertificate.current().authority()


def test_init_ca_imports_an_existing_root(db, tmp_path, monkeypatch):
    existing = pki.create_root(common_name="已有 CA")
    (tmp_path / "ca.pem").write_bytes(pki.certificate_pem(existing.certificate))
    (tmp_path / "ca.key").write_bytes(pki.encrypt_private_key(existing.private_key, b"old"))
    monkeypatch.setenv("OLD_CA_PASS", "old")

    call_command(
        "init_ca",
        "--import-cert",
        str(tmp_path / "ca.pem"),
        "--import-key",
        str(tmp_path / "ca.key"),
        "--import-key-passphrase-env",
        "OLD_CA_PASS",
        stdout=StringIO(),
    )
    assert RootCertificate.current().certificate() == existing.certificate

    other = pki.create_root()
    (tmp_path / "other.key").write_bytes(pki.encrypt_private_key(other.private_key, b"old"))
    with pytest.raises(CommandError, match="不匹配"):
        call_command(
            "init_ca",
            "--replace",
            "--import-cert",
            str(tmp_path / "ca.pem"),
            "--import-key",
            str(tmp_path / "other.key"),
            "--import-key-passphrase-env",
            "OLD_CA_PASS",
            stdout=StringIO(),
        )


def test_a_certificate_from_a_csr_verifies_against_the_root_and_binds_the_device(
    enterprise, member, approved, root
):
    csr, key = csr_for(enterprise)
    record = issue_certificate(enterprise, member, csr, SERIAL)
    cert = record.certificate()

    pki.verify_issued_by(root.certificate(), cert)
    assert pki.subject_binding(cert) == (enterprise.uscc, SERIAL)
    assert record.serial_hex == pki.serial_hex(cert)
    assert record.fingerprint == pki.fingerprint_sha256(cert)
    assert record.status() == CertificateStatus.VALID
    assert record.not_after - record.not_before == timedelta(days=730)
    assert cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    ) == key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    points = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    assert points[0].full_name[0].value.endswith(reverse("applications:crl"))


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("malformed", "不是有效的 PEM"),
        ("weak_rsa", "RSA 1024 位"),
        ("wrong_curve", "secp384r1"),
        ("other_enterprise", "属于其他企业"),
        ("other_device", "不一致"),
        ("tampered", "签名校验失败"),
    ],
)
def test_bad_csrs_are_refused_with_a_specific_message(
    case, message, enterprise, member, approved, other_enterprise
):
    if case == "malformed":
        csr = b"-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n"
    elif case == "weak_rsa":
        csr, _ = csr_for(enterprise, rsa.generate_private_key(public_exponent=65537, key_size=1024))
    elif case == "wrong_curve":
        csr, _ = csr_for(enterprise, ec.generate_private_key(ec.SECP384R1()))
    elif case == "other_enterprise":
        csr, _ = csr_for(enterprise, uscc=other_enterprise.uscc)
    elif case == "other_device":
        csr, _ = csr_for(enterprise, serial="HB-DEV-999")
    else:
        # Signed by one key, carrying another's public key: the self-signature fails.
        good, _ = csr_for(enterprise)
        parsed = x509.load_pem_x509_csr(good)
        der = bytearray(parsed.public_bytes(serialization.Encoding.DER))
        der[-5] ^= 0x01
        import base64

        body = base64.encodebytes(bytes(der)).decode()
        csr = f"-----BEGIN CERTIFICATE REQUEST-----\n{body}-----END CERTIFICATE REQUEST-----\n"
    with pytest.raises(ValidationError) as caught:
        issue_certificate(enterprise, member, csr, SERIAL)

    assert message in caught.value.message_dict["csr"][0]
    assert not DeviceCertificate.objects.exists()


def test_no_certificate_before_approval(enterprise, member, root):
    csr, _ = csr_for(enterprise)
    with pytest.raises(TransitionRefused) as caught:
        issue_certificate(enterprise, member, csr, SERIAL)
    assert "审核通过后" in caught.value.message


def test_the_fallback_pkcs12_opens_with_the_password_shown_once(
    enterprise, member, approved, root, client_for
):
    response = client_for(member).post(
        reverse("applications:certificate_generate", args=[enterprise.pk]),
        {"device_serial": SERIAL, "key_type": "ec"},
    )
    password = response.context["password"]
    import base64

    bundle = base64.b64decode(response.context["pkcs12_base64"])
    key, cert, extra = pkcs12.load_key_and_certificates(bundle, password.encode())

    assert pki.subject_binding(cert) == (enterprise.uscc, SERIAL)
    assert key.public_key() == cert.public_key()
    assert extra == [root.certificate()]
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    record = DeviceCertificate.objects.get()
    assert password not in str(record.__dict__)
    assert "PRIVATE KEY" not in record.certificate_pem
    with pytest.raises(ValueError):
        pkcs12.load_key_and_certificates(bundle, b"wrong")


def test_a_revoked_serial_appears_in_the_public_crl(enterprise, member, approved, root, client):
    csr, _ = csr_for(enterprise)
    record = issue_certificate(enterprise, member, csr, SERIAL)
    other = issue_certificate(enterprise, member, csr_for(enterprise)[0], SERIAL)
    revoke_certificate(record, member, "keyCompromise", "设备丢失")

    response = client.get(reverse("applications:crl"))  # anonymous: the CRL is public
    crl = x509.load_der_x509_crl(response.content)

    assert response["Content-Type"] == "application/pkix-crl"
    assert crl.is_signature_valid(root.certificate().public_key())
    entry = crl.get_revoked_certificate_by_serial_number(int(record.serial_hex, 16))
    assert entry is not None
    assert entry.extensions.get_extension_for_class(x509.CRLReason).value.reason == (
        x509.ReasonFlags.key_compromise
    )
    assert crl.get_revoked_certificate_by_serial_number(int(other.serial_hex, 16)) is None
    record.refresh_from_db()
    assert record.status() == CertificateStatus.REVOKED
    with pytest.raises(TransitionRefused, match="已于"):
        revoke_certificate(record, member, "superseded")


def test_a_stale_crl_is_refreshed_on_request(root, client):
    first = x509.load_der_x509_crl(client.get(reverse("applications:crl")).content)
    RootCertificate.objects.update(crl_updated_at=timezone.now() - timedelta(days=2))
    second = x509.load_der_x509_crl(client.get(reverse("applications:crl")).content)

    number = second.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
    assert number > first.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
    # A fresh CRL is served as it is, not signed again.
    client.get(reverse("applications:crl"))
    assert RootCertificate.objects.get().crl_number == number


def test_status_and_expiry_warning(enterprise, member, approved):
    record = issue_certificate(enterprise, member, csr_for(enterprise)[0], SERIAL)
    later = record.not_after + timedelta(seconds=1)
    assert record.status(later) == CertificateStatus.EXPIRED

    assert warn_expiring_certificates() == 0
    DeviceCertificate.objects.filter(pk=record.pk).update(
        not_after=timezone.now() + timedelta(days=20)
    )
    assert warn_expiring_certificates() == 1
    assert warn_expiring_certificates() == 0  # once only
    assert Notification.objects.filter(recipient=member, title__contains="到期").count() == 1


def test_vpn_password_is_shown_once_and_only_its_hash_is_kept(
    enterprise, member, approved, client_for
):
    account = VpnAccount.objects.get(enterprise=enterprise)
    response = client_for(member).post(reverse("applications:vpn_password", args=[account.pk]))
    password = response.context["password"]
    account.refresh_from_db()

    assert len(password) == 20
    assert password not in account.password_hash
    assert check_password(password, account.password_hash)
    assert account.is_usable()
    assert (
        password
        not in client_for(member)
        .get(reverse("applications:credentials", args=[enterprise.pk]))
        .content.decode()
    )
    _, again = set_vpn_password(account, member)
    account.refresh_from_db()
    assert again != password and not account.check_password(password)


def test_reviewers_disable_and_enable_vpn_accounts(enterprise, member, reviewer, approved):
    account = VpnAccount.objects.get(enterprise=enterprise)
    set_vpn_password(account, member)
    account = set_vpn_active(account, reviewer, False, "停用测试")
    assert not account.is_usable()
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        set_vpn_active(account, member, True)
    assert set_vpn_active(account, reviewer, True).is_usable()


def test_expired_vpn_accounts_are_not_usable(enterprise, member, approved):
    account, _ = set_vpn_password(VpnAccount.objects.get(enterprise=enterprise), member)
    assert account.is_usable()
    assert not account.is_usable(account.expires_at + timedelta(seconds=1))


def test_credentials_page_shows_the_integration_pack(enterprise, member, approved, client_for):
    page = (
        client_for(member)
        .get(reverse("applications:credentials", args=[enterprise.pk]))
        .content.decode()
    )
    assert "/api/v1/telemetry/uploads" in page
    assert RootCertificate.current().fingerprint in page
    assert reverse("applications:crl") in page


def test_the_ca_certificate_is_public(root, client):
    response = client.get(reverse("applications:ca_certificate"))
    assert pki.load_certificate(response.content) == root.certificate()
