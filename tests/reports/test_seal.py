"""The institute's seal image: uploaded by operators only, checked by content, kept with
history; signed PDFs show the latest one (or a drawn red seal) on their last page."""

import random
from datetime import datetime
from io import BytesIO

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image, ImageDraw

from portal.models import AuditEvent
from reports import seal_image
from reports.models import InstitutionSeal
from reports.services.seal import upload_seal
from reports.signing import SEAL_BOX_MM, sign_pdf

from .pdfs import last_page_picture, poppler_missing

SEAL_URL = "/reports/seal/"


def picture(fmt="PNG", size=(300, 300), colour=(0, 0, 255, 255), background=(0, 0, 0, 0)):
    mode = "RGBA" if fmt == "PNG" else "RGB"
    image = Image.new(mode, size, background[: len(mode)])
    ImageDraw.Draw(image).ellipse((10, 10, size[0] - 10, size[1] - 10), fill=colour[: len(mode)])
    out = BytesIO()
    image.save(out, format=fmt)
    return out.getvalue()


def upload(name, data):
    return SimpleUploadedFile(name, data)


def post_seal(client, name, data):
    return client.post(SEAL_URL, {"image": upload(name, data)})


def test_the_url_is_the_one_in_the_brief():
    assert reverse("reports:seal") == SEAL_URL


def test_operator_uploads_a_png_and_it_becomes_the_seal(operator, client_for):
    client = client_for(operator)
    assert "尚未上传印章图片" in client.get(SEAL_URL).content.decode()

    response = post_seal(client, "seal.png", picture())

    assert response.status_code == 302
    seal = InstitutionSeal.current()
    assert (seal.uploaded_by, seal.original_format, seal.original_name) == (
        operator,
        "PNG",
        "seal.png",
    )
    assert Image.open(BytesIO(bytes(seal.image_png))).format == "PNG"
    assert AuditEvent.objects.filter(event="seal_uploaded", actor=operator).count() == 1
    page = client.get(SEAL_URL).content.decode()
    assert reverse("reports:seal_png", args=[seal.pk]) in page
    image = client.get(reverse("reports:seal_png", args=[seal.pk]))
    assert image["Content-Type"] == "image/png" and image.content == bytes(seal.image_png)


def test_history_is_kept_and_the_latest_is_used(operator, client_for):
    client = client_for(operator)
    post_seal(client, "first.png", picture())
    post_seal(client, "second.jpg", picture("JPEG", background=(255, 255, 255, 255)))

    _first, second = InstitutionSeal.objects.order_by("pk")
    assert InstitutionSeal.current() == second
    page = client.get(SEAL_URL).content.decode()
    assert "first.png" in page and "second.jpg" in page
    assert page.count("使用中") == 1
    # The JPEG's white paper became transparent, its blue ink did not.
    stored = Image.open(BytesIO(bytes(second.image_png)))
    assert stored.getpixel((0, 0))[3] == 0
    assert stored.getpixel((150, 150))[3] == 255


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("seal.png", b"this is not a picture at all", "不是有效的 PNG 或 JPEG"),
        ("seal.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "不是有效的 PNG 或 JPEG"),
        ("seal.gif", picture("GIF"), "只接受 PNG 或 JPEG"),
        ("tiny.png", picture(size=(40, 40)), "边长"),
    ],
)
def test_a_file_that_is_not_a_usable_image_is_refused(operator, client_for, name, data, reason):
    response = post_seal(client_for(operator), name, data)

    assert response.status_code == 200
    assert reason in response.content.decode()
    assert not InstitutionSeal.objects.exists()


def test_an_image_over_the_size_limit_is_refused(operator, client_for):
    noise = Image.frombytes("RGB", (1200, 1200), random.Random(1).randbytes(1200 * 1200 * 3))
    out = BytesIO()
    noise.save(out, format="PNG")
    assert len(out.getvalue()) > 2 * 1024 * 1024

    response = post_seal(client_for(operator), "big.png", out.getvalue())

    assert "不能超过 2 MB" in response.content.decode()
    assert not InstitutionSeal.objects.exists()


@pytest.mark.parametrize("who", ["reviewer", "member", "viewer", "panel_member"])
def test_only_operators_reach_the_seal_pages(request, client_for, who, operator):
    client = client_for(request.getfixturevalue(who))
    seal = upload_seal(operator, upload("seal.png", picture()))

    for url in (
        SEAL_URL,
        reverse("reports:seal_png", args=[seal.pk]),
        reverse("reports:stamp_preview"),
    ):
        # 403, not 404: the seal pages are the operators' alone, refused by role before any
        # lookup (no other role has a seal in its scope to hide).
        assert client.get(url).status_code == 403, url
    assert post_seal(client, "mine.png", picture()).status_code == 403
    assert InstitutionSeal.objects.count() == 1


def test_anonymous_visitors_are_sent_to_login(client):
    response = client.get(SEAL_URL)
    assert response.status_code == 302 and "login" in response["Location"]


def test_the_service_refuses_a_non_operator(reviewer):
    with pytest.raises(PermissionDenied):
        upload_seal(reviewer, upload("seal.png", picture()))


def test_operators_find_the_page_in_the_navigation(operator, reviewer, client_for):
    assert SEAL_URL in client_for(operator).get("/dashboard/").content.decode()
    assert SEAL_URL not in client_for(reviewer).get("/dashboard/").content.decode()


def test_stamp_preview_is_a_png(operator, client_for):
    response = client_for(operator).get(reverse("reports:stamp_preview"))
    assert response["Content-Type"] == "image/png"
    assert Image.open(BytesIO(response.content)).size == (840, 540)


def seal_box_colours(pdf, tmp_path) -> list[tuple[int, int, int]]:
    page = last_page_picture(pdf, tmp_path)
    dots_per_mm = page.width / 210
    x, y, width, height = SEAL_BOX_MM
    box = (
        round(x * dots_per_mm),
        round(page.height - (y + height) * dots_per_mm),
        round((x + width) * dots_per_mm),
        round(page.height - y * dots_per_mm),
    )
    pixels = page.crop(box).tobytes()
    return [tuple(pixels[i : i + 3]) for i in range(0, len(pixels), 3)]


def reddish(rgb):
    return rgb[0] > 150 and rgb[1] < 90 and rgb[2] < 90


def bluish(rgb):
    return rgb[2] > 150 and rgb[0] < 90 and rgb[1] < 90


@pytest.mark.skipif(poppler_missing(), reason="poppler-utils (pdftoppm) is not installed")
def test_signed_pdf_shows_the_drawn_seal_then_the_uploaded_one(root, pdf, operator, tmp_path):
    assert not any(bluish(c) or reddish(c) for c in seal_box_colours(pdf, tmp_path))

    drawn = seal_box_colours(sign_pdf(pdf, reason="签发"), tmp_path)
    assert sum(map(reddish, drawn)) > 50
    assert not any(map(bluish, drawn))

    upload_seal(operator, upload("blue.png", picture()))
    uploaded = seal_box_colours(sign_pdf(pdf, reason="签发"), tmp_path)
    assert sum(map(bluish, uploaded)) > 50
    assert not any(map(reddish, uploaded))


def test_without_a_cjk_font_the_seal_and_stamp_are_still_drawn(monkeypatch):
    monkeypatch.setattr(seal_image, "cjk_font_file", lambda: None)
    seal = seal_image.default_seal()
    stamp = seal_image.stamp_image(
        seal,
        signer="湖北省计量测试技术研究院 文件签章",
        signed_at=datetime(2026, 11, 30, 14, 5),
        width_mm=70,
        height_mm=45,
    )

    assert seal.getbbox() is not None  # the ring and the star
    assert stamp.size == (840, 540) and stamp.getbbox() is not None


def test_the_drawn_seal_uses_noto_cjk_when_installed():
    found = seal_image.cjk_font_file()
    if found is None:
        pytest.skip("fonts-noto-cjk is not installed")
    assert "CJK" in found[0]
    assert seal_image.cjk_font(20).getname()[0].endswith(" SC")
