"""manage.py rotate_ca_passphrase: every stored key re-encrypted in one transaction, checked."""

from io import StringIO

import pytest
from cryptography.hazmat.primitives import serialization
from django.core.management import CommandError, call_command

from applications.management.commands.rotate_ca_passphrase import encrypted_key_fields
from applications.models import RootCertificate

from .factories import make_root

NEW = "a-new-passphrase-of-some-length"


def rotate(*args):
    out = StringIO()
    call_command("rotate_ca_passphrase", *args, stdout=out)
    return out.getvalue()


def loads_with(root: RootCertificate, passphrase: str) -> bool:
    try:
        serialization.load_pem_private_key(
            root.encrypted_key_pem.encode(), password=passphrase.encode()
        )
    except ValueError:
        return False
    return True


@pytest.fixture
def root(db, settings):
    return make_root()


def test_it_finds_the_root_key_and_any_other_encrypted_key_field():
    assert (RootCertificate, "encrypted_key_pem") in encrypted_key_fields()


def test_the_key_is_re_encrypted_and_the_ca_signs_with_the_new_passphrase(
    root, settings, monkeypatch
):
    old = settings.CA_KEY_PASSPHRASE
    before = root.authority().certificate
    monkeypatch.setenv("NEW_CA_KEY_PASSPHRASE", NEW)

    output = rotate()

    root.refresh_from_db()
    assert "已重新加密" in output
    assert loads_with(root, NEW) and not loads_with(root, old)
    settings.CA_KEY_PASSPHRASE = NEW
    assert root.authority().certificate == before


def test_an_inactive_old_root_is_rotated_too(root, settings, monkeypatch):
    retired = RootCertificate.objects.create(
        certificate_pem=root.certificate_pem,
        encrypted_key_pem=root.encrypted_key_pem,
        fingerprint="0" * 64,
        not_after=root.not_after,
        is_active=False,
    )
    monkeypatch.setenv("NEW_CA_KEY_PASSPHRASE", NEW)
    rotate()
    retired.refresh_from_db()
    assert loads_with(retired, NEW)


def test_a_wrong_old_passphrase_changes_nothing(root, monkeypatch):
    other = RootCertificate.objects.create(
        certificate_pem=root.certificate_pem,
        encrypted_key_pem=root.encrypted_key_pem,
        fingerprint="1" * 64,
        not_after=root.not_after,
        is_active=False,
    )
    # The second key is not readable with the old passphrase: the first must not be
    # rewritten either (one transaction).
    from applications import pki

    key = serialization.load_pem_private_key(
        root.encrypted_key_pem.encode(), password=root_passphrase()
    )
    RootCertificate.objects.filter(pk=other.pk).update(
        encrypted_key_pem=pki.encrypt_private_key(key, b"some-other-passphrase").decode()
    )
    before = root.encrypted_key_pem
    monkeypatch.setenv("NEW_CA_KEY_PASSPHRASE", NEW)

    with pytest.raises(CommandError, match=f"#{other.pk}"):
        rotate()

    root.refresh_from_db()
    assert root.encrypted_key_pem == before


def root_passphrase() -> bytes:
    from django.conf import settings

    return settings.CA_KEY_PASSPHRASE.encode()


def test_the_old_passphrase_may_be_given_and_check_changes_nothing(root, settings, monkeypatch):
    monkeypatch.setenv("OLD_CA_KEY_PASSPHRASE", settings.CA_KEY_PASSPHRASE)
    before = root.encrypted_key_pem
    assert "可以解开" in rotate("--check")
    root.refresh_from_db()
    assert root.encrypted_key_pem == before

    monkeypatch.setenv("OLD_CA_KEY_PASSPHRASE", "not-the-passphrase")
    with pytest.raises(CommandError, match="旧口令无法解开"):
        rotate("--check")


@pytest.mark.parametrize(
    ("new", "message"),
    [("", "NEW_CA_KEY_PASSPHRASE"), ("short", "16"), (None, "相同")],
)
def test_a_missing_short_or_unchanged_new_passphrase_is_refused(
    new, message, root, settings, monkeypatch
):
    monkeypatch.setenv("NEW_CA_KEY_PASSPHRASE", settings.CA_KEY_PASSPHRASE if new is None else new)
    with pytest.raises(CommandError, match=message):
        rotate()


def test_the_passphrases_may_come_from_files(root, settings, monkeypatch, tmp_path):
    secret = tmp_path / "new"
    secret.write_text(NEW + "\n", encoding="utf-8")
    monkeypatch.setenv("NEW_CA_KEY_PASSPHRASE_FILE", str(secret))
    rotate()
    root.refresh_from_db()
    assert loads_with(root, NEW)
