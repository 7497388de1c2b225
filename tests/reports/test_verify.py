"""The public verification page: by number and check code, and by uploading the PDF."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from reports.services import documents as engine

from .chain import issue


@pytest.fixture
def issued(passed, drafter, checker, approver, ca, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        document = issue(passed, drafter, checker, approver)
    document.refresh_from_db()
    return document


def verify_url(document, code=None):
    return f"{reverse('verify', args=[document.number])}?code={code or document.check_code}"


def test_the_page_shows_what_is_public_and_nothing_else(issued, client):
    page = client.get(verify_url(issued)).content.decode()
    assert issued.number in page and issued.enterprise.name in page and issued.sha256 in page
    assert "有效" in page
    assert issued.enterprise.uscc not in page and issued.enterprise.contact_phone not in page
    assert issued.enterprise.address not in page


def test_a_wrong_code_is_refused(issued, client):
    response = client.get(verify_url(issued, code="WRONG123"))
    assert response.status_code == 404
    page = response.content.decode()
    assert "校验码与报告编号" in page and issued.enterprise.name not in page


def test_an_unknown_number_is_refused(db, client):
    response = client.get(reverse("verify", args=["HBJL-FH-2026-9999"]) + "?code=ABCDEFGH")
    assert response.status_code == 404 and "没有编号为" in response.content.decode()


def test_a_revoked_document_shows_revoked_with_date_and_reason(issued, checker, client):
    engine.revoke_document(issued, checker, "企业名称登记有误")
    page = client.get(verify_url(issued)).content.decode()
    assert "已撤销" in page and "企业名称登记有误" in page


def upload(client, document, data: bytes):
    return client.post(
        verify_url(document),
        {"code": document.check_code, "file": SimpleUploadedFile("r.pdf", data, "application/pdf")},
    ).content.decode()


def test_the_unaltered_file_is_recognised(issued, client):
    page = upload(client, issued, issued.pdf.open("rb").read())
    assert "完全一致，未被改动" in page


def test_a_changed_byte_is_detected(issued, client):
    data = bytearray(issued.pdf.open("rb").read())
    middle = len(data) // 2
    data[middle] = (data[middle] + 1) % 256
    page = upload(client, issued, bytes(data))
    assert "不一致" in page and "完全一致" not in page


def test_the_pdf_of_another_document_is_refused(
    issued, passed, drafter, checker, approver, client, django_capture_on_commit_callbacks
):
    from tests.portal.factories import EnterpriseFactory

    from .passed_trial import build_passed_trial

    other = build_passed_trial(EnterpriseFactory(uscc="91420100MA4K0000X1"))
    with django_capture_on_commit_callbacks(execute=True):
        second = issue(other, drafter, checker, approver)
    second.refresh_from_db()
    page = upload(client, issued, second.pdf.open("rb").read())
    assert f"另一份文书（编号 {second.number}）" in page


def test_the_page_is_rate_limited(issued, client, settings):
    from django.core.cache import cache

    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "verify": "2/m"}
    cache.clear()
    codes = [client.get(verify_url(issued)).status_code for _ in range(3)]
    assert codes[-1] == 429


def test_the_start_form_leads_to_the_page(issued, client):
    response = client.get(
        reverse("verify_start"), {"number": issued.number, "code": issued.check_code}
    )
    assert response.status_code == 302 and response.url == verify_url(issued)


def test_the_issued_pdf_is_signed_by_the_portals_root_and_a_changed_byte_breaks_it(issued):
    from reports.signing import validate_pdf

    data = issued.pdf.open("rb").read()
    check = validate_pdf(data)
    assert check.ok, check.problem
    tampered = bytearray(data)
    tampered[len(data) // 3] ^= 0x01
    assert not validate_pdf(bytes(tampered)).ok
