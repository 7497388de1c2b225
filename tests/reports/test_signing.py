"""PAdES signatures of issued PDFs: they validate against the portal's root, by our own
check and by pyHanko's validator used plainly; one changed byte anywhere breaks them; other
CAs and device certificates are not trusted; without a CA nothing is signed."""

import re
import subprocess
import sys
from datetime import timedelta
from io import BytesIO
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from django.core.management import call_command
from django.utils import timezone
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from applications import pki, pki_docsign
from applications.models import DocumentSigningCertificate, RootCertificate
from reports.signing import (
    SEAL_BOX_MM,
    SigningUnavailable,
    ensure_signing_certificate,
    sign_pdf,
    validate_pdf,
)

from .pdfs import der, sign_with

PYHANKO_CLI = Path(sys.executable).with_name("pyhanko")


@pytest.fixture
def signed(root, pdf) -> bytes:
    return sign_pdf(pdf, reason="签发符合性测试报告")


def read(pdf: bytes):
    return PdfFileReader(BytesIO(pdf))


def test_signed_pdf_validates_against_the_root(root, pdf, signed):
    check = validate_pdf(signed)

    assert (check.signed, check.intact, check.trusted, check.problem) == (True, True, True, "")
    assert check.ok
    assert check.signer == "湖北省计量测试技术研究院 文件签章"
    assert check.signed_at is not None
    # An incremental update: the original bytes are untouched at the start of the file.
    assert signed.startswith(pdf) and len(signed) > len(pdf)


def test_signature_is_pades_and_embeds_the_chain(root, signed):
    (signature,) = read(signed).embedded_signatures

    assert signature.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"
    assert signature.sig_object["/Reason"] == "签发符合性测试报告"
    assert signature.sig_object["/Location"] == "湖北省武汉市"
    embedded = {choice.chosen.sha256 for choice in signature.signed_data["certificates"]}
    signing = DocumentSigningCertificate.usable()
    assert der(signing.certificate()).sha256 in embedded
    assert der(root.certificate()).sha256 in embedded


def test_visible_signature_sits_in_the_seal_box_of_the_last_page(root, signed):
    reader = read(signed)
    (signature,) = reader.embedded_signatures
    field = signature.sig_field
    kids = reader.root["/Pages"]["/Kids"]
    last_page = kids.raw_get(len(kids) - 1)

    assert len(kids) == 2
    assert field.raw_get("/P").idnum == last_page.idnum
    x, y, width, height = SEAL_BOX_MM
    expected = [v * 72 / 25.4 for v in (x, y, x + width, y + height)]
    assert [float(v) for v in field["/Rect"]] == pytest.approx(expected, abs=0.05)
    assert "/AP" in field  # an appearance stream: the seal picture


def test_pyhanko_validation_api_accepts_it_with_the_root_as_trust_anchor(root, signed):
    # pyHanko used plainly, with its default key-usage policy, the way `pyhanko sign
    # validate --trust root.pem --trust-replace` does.
    (signature,) = read(signed).embedded_signatures
    context = ValidationContext(trust_roots=[der(root.certificate())])

    status = validate_pdf_signature(signature, signer_validation_context=context)

    assert status.intact and status.valid and status.trusted
    assert status.bottom_line


@pytest.mark.skipif(
    not PYHANKO_CLI.exists(), reason="the pyhanko CLI (package pyhanko-cli) is not in the venv"
)
def test_pyhanko_cli_accepts_it_with_the_root_as_trust_anchor(root, signed, tmp_path):
    (tmp_path / "root.pem").write_bytes(root.certificate_pem.encode())
    (tmp_path / "signed.pdf").write_bytes(signed)

    result = subprocess.run(
        [
            str(PYHANKO_CLI),
            "sign",
            "validate",
            "--pretty-print",
            "--trust",
            str(tmp_path / "root.pem"),
            "--trust-replace",
            str(tmp_path / "signed.pdf"),
        ],
        capture_output=True,
        text=True,
    )

    assert result.returncode == 0, result.stdout + result.stderr


def flipped(data: bytes, position: int, mask: int = 0x01) -> bytes:
    changed = bytearray(data)
    changed[position] ^= mask
    return bytes(changed)


def test_one_changed_byte_anywhere_breaks_the_signature(root, signed):
    positions = [*range(0, len(signed), len(signed) // 60), len(signed) - 2]
    for position in positions:
        check = validate_pdf(flipped(signed, position))
        assert not check.intact, position
        assert not check.ok and check.problem, position


def test_a_changed_digit_in_the_unsigned_contents_padding_is_noticed(root, signed):
    contents = list(re.finditer(rb"/Contents <([0-9a-fA-F]+)>", signed))[-1]
    padding = contents.end(1) - 10
    assert signed[padding : padding + 1] == b"0"
    letter = contents.start(1) + re.search(rb"[a-fA-F]", contents.group(1)).start()

    for changed in (flipped(signed, padding), flipped(signed, letter, 0x20)):  # 0 -> 1, A -> a
        check = validate_pdf(changed)
        assert check.signed and not check.intact
        assert "改动" in check.problem


def test_anything_appended_after_signing_is_noticed(root, signed):
    appended = sign_pdf(signed, reason="再签一次")  # a legitimate second signature is fine
    assert validate_pdf(appended).ok

    tail = signed + b"\n1 0 obj\n<< /Evil true >>\nendobj\n"
    assert not validate_pdf(tail).ok


def test_a_pdf_signed_by_another_ca_is_not_trusted(root, pdf):
    other = pki.create_root(common_name="别的 CA")
    certificate, key = pki_docsign.issue_signing_certificate(other)

    check = validate_pdf(sign_with(pdf, certificate, key, chain=[other.certificate]))

    assert check.signed and check.intact and not check.trusted
    assert "CA 根证书" in check.problem


def test_a_device_certificate_of_our_own_root_cannot_sign_documents(root, pdf):
    # Enterprises hold the keys of their device certificates; clientAuth is not documentSigning.
    key = pki.generate_device_key()
    csr = pki.make_csr(key, uscc="91420100MA4K00000X", device_serial="D1", enterprise_name="某企业")
    device = pki.sign_client_certificate(
        root.authority(),
        x509.load_pem_x509_csr(csr),
        uscc="91420100MA4K00000X",
        device_serial="D1",
        enterprise_name="某企业",
    )

    check = validate_pdf(sign_with(pdf, device, key, chain=[root.certificate()]))

    assert check.intact and not check.trusted


def test_unsigned_and_unreadable_files_are_reported(db, pdf):
    assert validate_pdf(pdf).problem == "该 PDF 文件没有数字签名。"
    assert not validate_pdf(b"%PDF-1.7 nonsense").signed
    assert "不是有效的 PDF" in validate_pdf(b"hello").problem


def test_without_a_ca_nothing_is_signed(db, pdf):
    with pytest.raises(SigningUnavailable) as caught:
        sign_pdf(pdf, reason="签发")
    assert "init_ca" in caught.value.reason
    with pytest.raises(SigningUnavailable):
        ensure_signing_certificate()
    assert not DocumentSigningCertificate.objects.exists()


def test_the_signing_key_is_stored_encrypted(root, pdf, settings):
    record = DocumentSigningCertificate.usable()

    assert record.encrypted_key_pem.startswith("-----BEGIN ENCRYPTED PRIVATE KEY-----")
    with pytest.raises(TypeError):  # needs a password
        serialization.load_pem_private_key(record.encrypted_key_pem.encode(), password=None)
    settings.CA_KEY_PASSPHRASE = "not-the-passphrase"
    with pytest.raises(ValueError):
        record.private_key()
    with pytest.raises(SigningUnavailable) as caught:
        sign_pdf(pdf, reason="签发")
    assert "CA_KEY_PASSPHRASE" in caught.value.reason


def test_the_certificate_is_for_signing_documents_only(root):
    certificate = DocumentSigningCertificate.usable().certificate()
    usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value

    assert usage.digital_signature and usage.content_commitment
    assert not usage.key_cert_sign and not usage.key_encipherment
    assert pki_docsign.is_document_signing(certificate)
    pki.verify_issued_by(root.certificate(), certificate)
    assert "文件签章" in certificate.subject.rfc4514_string()
    assert certificate.not_valid_after_utc <= root.certificate().not_valid_after_utc


def test_renewal_keeps_earlier_signatures_valid(root, pdf, signed):
    before = DocumentSigningCertificate.usable()
    call_command("init_signing_cert", "--replace", stdout=open("/dev/null", "w"))
    after = DocumentSigningCertificate.usable()

    assert after.pk != before.pk and after.serial_hex != before.serial_hex
    assert DocumentSigningCertificate.objects.filter(is_active=True).get() == after
    assert validate_pdf(signed).ok
    assert validate_pdf(sign_pdf(pdf, reason="续期后")).ok


def test_a_new_root_gets_a_new_signing_certificate_and_old_signatures_lose_trust(root, pdf, signed):
    call_command("init_ca", "--replace", stdout=open("/dev/null", "w"))
    new_root = RootCertificate.current()

    assert DocumentSigningCertificate.usable().root == new_root
    assert validate_pdf(sign_pdf(pdf, reason="新根")).ok
    stale = validate_pdf(signed)
    assert stale.intact and not stale.trusted


def test_init_ca_if_missing_issues_a_missing_signing_certificate(root):
    DocumentSigningCertificate.objects.all().delete()
    call_command("init_ca", "--if-missing", stdout=open("/dev/null", "w"))

    assert DocumentSigningCertificate.usable().root == root
    assert ensure_signing_certificate() == DocumentSigningCertificate.usable()
    assert DocumentSigningCertificate.objects.count() == 1


@pytest.mark.postgresql(reason="row lock on the root between concurrent report tasks")
@pytest.mark.django_db(transaction=True)
def test_concurrent_callers_get_one_signing_certificate():
    from tests.concurrency import results_at_once

    call_command("init_ca", stdout=open("/dev/null", "w"))
    DocumentSigningCertificate.objects.all().delete()

    results = results_at_once(lambda _: ensure_signing_certificate().pk, range(4))

    assert len(set(results)) == 1
    assert DocumentSigningCertificate.objects.count() == 1


@pytest.mark.parametrize("days_left", [-1, 10])
def test_an_expired_or_ending_certificate_is_renewed_by_the_next_signature(root, days_left):
    old = DocumentSigningCertificate.usable()
    DocumentSigningCertificate.objects.filter(pk=old.pk).update(
        not_after=timezone.now() + timedelta(days=days_left)
    )

    renewed = ensure_signing_certificate()

    assert renewed.pk != old.pk
    assert ensure_signing_certificate() == renewed  # and only once
    assert DocumentSigningCertificate.objects.count() == 2


def test_signing_cert_days_sets_the_validity(root, settings):
    settings.SIGNING_CERT_DAYS = 100
    call_command("init_signing_cert", "--replace", stdout=open("/dev/null", "w"))
    record = DocumentSigningCertificate.usable()

    assert (record.not_after - record.not_before).days == 100
