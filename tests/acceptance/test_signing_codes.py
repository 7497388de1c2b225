"""Signing the acceptance report with a one-time code e-mailed to the signer instead of the
password (DESIGN section 2): once, within its time, with a few tries, for the signer only."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from acceptance.choices import SignatureRole
from acceptance.models import ReportSignature, SigningCode
from acceptance.services.report import (
    CODE_TRIES,
    send_signing_code,
    sign_report,
    update_report,
)
from portal.workflow import TransitionRefused

from .conftest import WRITTEN

pytestmark = pytest.mark.django_db


def mailed_code() -> str:
    return re.search(r"验证码 (\d{6})", mail.outbox[-1].body).group(1)


def request_code(report, user, role, capture):
    with capture(execute=True):
        return send_signing_code(report, user, role)


def test_a_signer_signs_with_the_mailed_code_once(signing, django_capture_on_commit_callbacks):
    report, people = signing
    ndrc = people["ndrc"]
    row = request_code(report, ndrc, SignatureRole.NDRC, django_capture_on_commit_callbacks)
    assert mail.outbox[-1].to == [ndrc.email]
    code = mailed_code()
    assert code not in row.code_sha256  # only a hash is kept
    signature = sign_report(report, ndrc, SignatureRole.NDRC, code=code)
    assert signature.method == "code"
    assert signature.content_sha256 == report.content_sha256
    row.refresh_from_db()
    assert row.used_at is not None
    # Used: it signs nothing more, not even for the signer of another role.
    with pytest.raises(ValidationError):
        sign_report(report, people["samr"], SignatureRole.SAMR, code=code)
    assert ReportSignature.objects.filter(report=report).count() == 1


def test_a_wrong_expired_or_exhausted_code_signs_nothing(
    signing, django_capture_on_commit_callbacks
):
    report, people = signing
    samr = people["samr"]
    request_code(report, samr, SignatureRole.SAMR, django_capture_on_commit_callbacks)
    code = mailed_code()
    wrong = "000000" if code != "000000" else "111111"
    with pytest.raises(ValidationError) as caught:
        sign_report(report, samr, SignatureRole.SAMR, code=wrong)
    assert "验证码不正确" in str(caught.value)
    assert SigningCode.objects.get().attempts == 1
    # Expired.
    SigningCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(ValidationError) as caught:
        sign_report(report, samr, SignatureRole.SAMR, code=code)
    assert "已失效" in str(caught.value)
    # A new code voids the old one; too many wrong tries void the new one.
    request_code(report, samr, SignatureRole.SAMR, django_capture_on_commit_callbacks)
    fresh = mailed_code()
    assert SigningCode.objects.filter(used_at__isnull=True).count() == 1
    for _try in range(CODE_TRIES):
        with pytest.raises(ValidationError):
            sign_report(report, samr, SignatureRole.SAMR, code="99999" + str(9 - int(fresh[-1])))
    with pytest.raises(ValidationError) as caught:
        sign_report(report, samr, SignatureRole.SAMR, code=fresh)
    assert "已失效" in str(caught.value)
    assert not ReportSignature.objects.filter(report=report).exists()


def test_a_code_is_only_for_a_signer_of_that_role_while_signing(
    signing, django_capture_on_commit_callbacks
):
    report, people = signing
    with pytest.raises(PermissionDenied):
        send_signing_code(report, people["expert"], SignatureRole.NDRC)
    with pytest.raises(PermissionDenied):
        send_signing_code(report, people["ndrc"], SignatureRole.CONTRACTOR)
    # Someone else's code does not sign for me.
    request_code(report, people["ndrc"], SignatureRole.NDRC, django_capture_on_commit_callbacks)
    code = mailed_code()
    with pytest.raises(ValidationError):
        sign_report(report, people["samr"], SignatureRole.SAMR, code=code)
    # An edit voids the signatures and takes the report out of signing: no code then.
    update_report(report, people["institute"], {**WRITTEN, "overall_opinion": "改写"})
    with pytest.raises(TransitionRefused):
        send_signing_code(report, people["ndrc"], SignatureRole.NDRC)


def test_a_refused_signature_does_not_spend_the_code(signing, django_capture_on_commit_callbacks):
    report, people = signing
    owner = people["owner"]
    sign_report(report, owner, SignatureRole.ENTERPRISE, password="correct horse battery")
    request_code(report, owner, SignatureRole.ENTERPRISE, django_capture_on_commit_callbacks)
    code = mailed_code()
    with pytest.raises(TransitionRefused):  # the role has signed already
        sign_report(report, owner, SignatureRole.ENTERPRISE, code=code)
    assert SigningCode.objects.get().used_at is None


def test_through_the_page(client, signing, django_capture_on_commit_callbacks):
    report, people = signing
    client.force_login(people["ndrc"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("acceptance:report_sign_code", args=[report.pk]), {"role": "ndrc"}
        )
    assert response.status_code == 302
    page = client.get(reverse("acceptance:report_detail", args=[report.pk])).content.decode()
    assert "验证码已发送" in page and 'id="sign-code-ndrc"' in page
    response = client.post(
        reverse("acceptance:report_sign", args=[report.pk]),
        {"role": "ndrc", "password": "", "code": mailed_code()},
    )
    assert ReportSignature.objects.get(report=report).method == "code"
    # Neither password nor code: nothing is written.
    client.force_login(people["samr"])
    client.post(reverse("acceptance:report_sign", args=[report.pk]), {"role": "samr"})
    assert ReportSignature.objects.filter(report=report).count() == 1


def test_through_the_api(signing, django_capture_on_commit_callbacks):
    from rest_framework.test import APIClient

    report, people = signing
    api = APIClient()
    api.force_authenticate(people["ndrc"])
    base = f"/api/v1/acceptance-reports/{report.pk}"
    with django_capture_on_commit_callbacks(execute=True):
        assert api.post(f"{base}/sign-code/", {"role": "ndrc"}).status_code == 202
    assert api.post(f"{base}/sign/", {"role": "ndrc"}).status_code == 400
    answer = api.post(f"{base}/sign/", {"role": "ndrc", "code": mailed_code()})
    assert answer.status_code == 200, answer.content
    assert ReportSignature.objects.get(report=report).method == "code"
    # Not a signer of that role: refused, no code sent.
    sent = len(mail.outbox)
    assert api.post(f"{base}/sign-code/", {"role": "samr"}).status_code == 403
    assert len(mail.outbox) == sent
