"""现场考察 photos outside the pages: listed and uploaded through the on-site API (download
through the permission-checked attachment view) and printed in the issued 验收报告 (附件2)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from acceptance.models import SitePhoto
from acceptance.services.onsite import add_site_photo
from acceptance.services.outcome import issue_result
from acceptance.services.report import update_report
from reports.models import IssuedDocument

from ..applications.factories import PNG_BYTES, pdf, png
from ..portal.factories import EnterpriseFactory, member_of
from .conftest import WRITTEN, resubmit
from .test_outcome import sign_all

pytestmark = pytest.mark.django_db


def api_as(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def url(onsite) -> str:
    return f"/api/v1/onsite-acceptances/{onsite.pk}/"


def test_the_on_site_record_lists_its_photos_for_insiders(panel, django_assert_max_num_queries):
    onsite, people = panel
    first = add_site_photo(onsite, people["institute"], "1#总降压站进线电能表", png())
    add_site_photo(onsite, people["expert"], "端设备机柜", png())
    client = api_as(people["owner"])
    with django_assert_max_num_queries(12):
        body = client.get(url(onsite)).json()
    photos = body["photos"]
    assert [p["caption"] for p in photos] == ["1#总降压站进线电能表", "端设备机柜"]
    assert photos[0]["sha256"] == first.attachment.sha256
    assert photos[0]["uploaded_by_name"] == (
        people["institute"].get_full_name() or people["institute"].get_username()
    )
    assert photos[0]["uploaded_at"]
    download = photos[0]["download_url"]
    assert download == reverse("attachment_download", args=[first.attachment.pk])
    page = APIClient()
    page.force_login(people["owner"])
    assert page.get(download).status_code == 200
    listed = client.get("/api/v1/onsite-acceptances/").json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert [p["caption"] for p in rows[0]["photos"]] == ["1#总降压站进线电能表", "端设备机柜"]


def test_an_outsider_gets_404_for_the_record_and_the_upload(panel):
    onsite, people = panel
    add_site_photo(onsite, people["institute"], "端设备机柜", png())
    stranger = api_as(member_of(EnterpriseFactory()))
    assert stranger.get(url(onsite)).status_code == 404
    response = stranger.post(
        f"{url(onsite)}photos/",
        {"caption": "外人", "file": SimpleUploadedFile("x.png", PNG_BYTES, "image/png")},
        format="multipart",
    )
    assert response.status_code == 404
    assert not SitePhoto.objects.filter(caption="外人").exists()


def test_a_panel_member_uploads_a_photo_through_the_api(panel):
    onsite, people = panel
    response = api_as(people["expert"]).post(
        f"{url(onsite)}photos/",
        {
            "caption": "天然气流量计铭牌",
            "file": SimpleUploadedFile("m.png", PNG_BYTES, "image/png"),
        },
        format="multipart",
    )
    assert response.status_code == 201, response.content
    photo = SitePhoto.objects.get()
    assert response.json()["sha256"] == photo.attachment.sha256
    assert photo.caption == "天然气流量计铭牌" and photo.attachment.uploaded_by == people["expert"]


def test_api_refusals_name_the_field_or_the_reason(panel):
    onsite, people = panel
    client = api_as(people["expert"])
    blank = client.post(
        f"{url(onsite)}photos/",
        {"caption": "", "file": SimpleUploadedFile("m.png", PNG_BYTES, "image/png")},
        format="multipart",
    )
    assert blank.status_code == 400
    assert [e["field"] for e in blank.json()["errors"]] == ["caption"]
    not_image = client.post(
        f"{url(onsite)}photos/",
        {"caption": "说明书", "file": pdf()},
        format="multipart",
    )
    assert not_image.status_code == 400, not_image.content
    assert [e["field"] for e in not_image.json()["errors"]] == ["file"]
    enterprise = api_as(people["owner"]).post(
        f"{url(onsite)}photos/",
        {"caption": "企业自拍", "file": SimpleUploadedFile("m.png", PNG_BYTES, "image/png")},
        format="multipart",
    )
    assert enterprise.status_code in (403, 409), enterprise.content
    assert enterprise.json()["detail"]
    assert not SitePhoto.objects.exists()


def test_the_issued_report_prints_the_photo_captions_and_hashes(
    signing, django_capture_on_commit_callbacks
):
    pytest.importorskip("weasyprint")
    from reports.printing import document_pdf

    from ..reports.pdf_tools import flat, pdf_text, require_cjk_font
    from .test_report_pdf import REMARKS

    require_cjk_font()
    report, people = signing
    photo = add_site_photo(report.onsite, people["institute"], "1#总降压站进线电能表", png())
    report = update_report(report, people["institute"], {**WRITTEN, **REMARKS})
    report = sign_all(resubmit(report, people, django_capture_on_commit_callbacks), people)
    issued = issue_result(report, people["institute"])
    document = IssuedDocument.objects.get(pk=issued.document_id)
    assert document.content["photos"][0]["sha256"] == photo.attachment.sha256
    text = flat(pdf_text(document_pdf(document)))
    assert "现场考察照片" in text
    assert flat("1#总降压站进线电能表") in text, text[text.index("现场考察照片") :]
    assert photo.attachment.sha256[:16] in text.replace(" ", "")
