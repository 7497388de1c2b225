"""The certificate page helps the clerk on: a copy-ready openssl command whose CSR the
portal signs as it is, copy buttons for passwords without look-alike characters, and the
way on to registering the device."""

import re
import shutil
import subprocess

import pytest
from django.urls import reverse

from applications import pki
from applications.services.certificates import issue_certificate
from applications.services.vpn import PASSWORD_ALPHABET, strong_password

from .test_credentials import SERIAL, approved  # noqa: F401  (fixture)


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_the_openssl_command_makes_a_csr_the_portal_signs(approved, member, tmp_path):  # noqa: F811
    enterprise = approved.enterprise
    command = pki.openssl_csr_command(
        uscc=enterprise.uscc, device_serial=SERIAL, enterprise_name=enterprise.name
    )
    subprocess.run(command, shell=True, cwd=tmp_path, check=True, capture_output=True)

    csr = (tmp_path / f"{SERIAL}.csr").read_text()
    certificate = issue_certificate(enterprise, member, csr, SERIAL)
    assert certificate.device_serial == SERIAL
    assert (tmp_path / f"{SERIAL}.key").exists()


def test_awkward_names_are_escaped_for_openssl():
    subject = pki.build_subject(uscc="X", device_serial="A/B", enterprise_name="甲=乙/丙")
    assert pki.openssl_subject(subject) == (
        "/C=CN/O=甲\\=乙\\/丙/organizationIdentifier=X/serialNumber=A\\/B/CN=A\\/B"
    )


def test_the_credentials_page_offers_the_command_and_the_next_step(approved, member, client_for):  # noqa: F811
    enterprise = approved.enterprise
    page = client_for(member).get(reverse("applications:credentials", args=[enterprise.pk]))
    page = page.content.decode()
    assert 'id="csr-command"' in page and 'data-copy="csr-command"' in page
    assert f"organizationIdentifier={enterprise.uscc}/serialNumber={approved.device_serial}" in page


def test_vpn_passwords_have_no_look_alike_characters(db):
    for confusing in "0O1lI":
        assert confusing not in PASSWORD_ALPHABET
    password = strong_password()
    assert len(password) == 20 and not re.search(r"[0O1lI]", password)


def test_the_vpn_password_page_has_a_copy_button(approved, member, client_for):  # noqa: F811
    vpn = approved.enterprise.vpn_account
    page = client_for(member).post(reverse("applications:vpn_password", args=[vpn.pk]))
    assert 'data-copy="vpn-password-value"' in page.content.decode()
