"""现场考察 photos: uploaded on the on-site page by the institute's reviewer or a declared
panel member, shown as thumbnails there and beside item 3 of the 验收报告."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from acceptance.models import OnSiteAcceptance, OnSiteState, SitePhoto
from acceptance.services.onsite import add_site_photo
from acceptance.services.outcome import issue_result
from acceptance.services.report import draft_report
from portal.workflow import TransitionRefused

from ..applications.factories import PNG_BYTES, pdf, png
from ..portal.factories import EnterpriseFactory, member_of
from .test_outcome import sign_all

pytestmark = pytest.mark.django_db


def upload(client, onsite, caption="1#总降压站进线电能表", data=PNG_BYTES, name="meter.png"):
    return client.post(
        reverse("acceptance:onsite_photo", args=[onsite.pk]),
        {"caption": caption, "file": SimpleUploadedFile(name, data, content_type="image/png")},
        follow=True,
    )


def test_the_reviewer_uploads_a_photo_and_sees_its_thumbnail(panel, client):
    onsite, people = panel
    client.force_login(people["institute"])
    response = upload(client, onsite)
    assert "现场考察照片已上传" in response.content.decode()
    photo = SitePhoto.objects.get()
    assert photo.caption == "1#总降压站进线电能表" and photo.attachment.kind == "onsite_photo"
    assert photo.attachment.mime_type == "image/png"
    body = client.get(reverse("acceptance:onsite_detail", args=[onsite.pk])).content.decode()
    thumbnail = reverse("attachment_download", args=[photo.attachment.pk]) + "?inline=1"
    assert f'src="{thumbnail}"' in body and 'alt="1#总降压站进线电能表"' in body
    assert client.get(thumbnail).status_code == 200


def test_a_declared_panel_member_may_upload_but_not_the_enterprise(panel, client):
    onsite, people = panel
    client.force_login(people["expert"])
    upload(client, onsite, caption="天然气流量计铭牌")
    assert SitePhoto.objects.filter(caption="天然气流量计铭牌").exists()
    client.force_login(people["owner"])
    response = client.post(
        reverse("acceptance:onsite_photo", args=[onsite.pk]),
        {"caption": "企业自拍", "file": png()},
    )
    # Photos are the panel's: an enterprise's member is refused by role before any lookup.
    assert response.status_code == 403
    assert not SitePhoto.objects.filter(caption="企业自拍").exists()
    body = client.get(reverse("acceptance:onsite_detail", args=[onsite.pk])).content.decode()
    assert 'id="photo-form"' not in body


def test_an_undeclared_member_cannot_add_a_photo(panel):
    onsite, people = panel
    onsite.seats.filter(user=people["samr"]).update(declared_at=None)
    with pytest.raises(TransitionRefused):
        add_site_photo(onsite, people["samr"], "照片", png())


def test_only_images_with_a_caption_are_taken(panel, client):
    onsite, people = panel
    client.force_login(people["institute"])
    upload(client, onsite, data=pdf().read(), name="scan.pdf")
    upload(client, onsite, caption="   ")
    assert not SitePhoto.objects.exists()


def test_no_photos_before_the_visit_is_confirmed_nor_after_the_report_is_issued(signing):
    report, people = signing
    onsite = report.onsite
    OnSiteAcceptance.objects.filter(pk=onsite.pk).update(state=OnSiteState.PROPOSED)
    with pytest.raises(TransitionRefused):
        add_site_photo(onsite, people["institute"], "太早", png())
    OnSiteAcceptance.objects.filter(pk=onsite.pk).update(state=OnSiteState.RECORDED)
    issue_result(sign_all(report, people), people["institute"])
    with pytest.raises(TransitionRefused):
        add_site_photo(onsite, people["institute"], "太晚", png())
    assert not SitePhoto.objects.exists()


def test_the_report_shows_the_photos_beside_item_3(panel, client):
    onsite, people = panel
    photo = add_site_photo(onsite, people["institute"], "端设备机柜", png())
    report = draft_report(onsite, people["institute"])
    client.force_login(people["institute"])
    body = client.get(reverse("acceptance:report_detail", args=[report.pk])).content.decode()
    start = body.index('id="evidence-data"')
    cell = body[start : body.index("</td>", start)]
    assert "现场考察照片 1 张" in cell
    assert reverse("attachment_download", args=[photo.attachment.pk]) in cell
    assert 'alt="端设备机柜"' in cell


def test_an_outsider_cannot_open_the_photo(panel, client):
    onsite, people = panel
    photo = add_site_photo(onsite, people["institute"], "端设备机柜", png())
    client.force_login(member_of(EnterpriseFactory()))
    response = client.get(reverse("attachment_download", args=[photo.attachment.pk]))
    assert response.status_code == 404
