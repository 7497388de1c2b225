"""Uploaded files: type read from the content, size capped, hash kept, served only by a check."""

import hashlib
import io
import zipfile

import pytest
from django.urls import Resolver404, resolve

from portal.attachments import (
    CSV,
    DOCUMENTS,
    DOCX,
    JPEG,
    PDF,
    PNG,
    SPREADSHEETS,
    XLSX,
    AttachmentRejected,
    as_bytes_upload,
    check_file,
    save_attachment,
    sniff_type,
)
from portal.models import Attachment, AuditEvent

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 17
JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 20 + b"\xff\xd9"


def office_zip(member: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(member, "<root/>")
    return buffer.getvalue()


def stored_files(settings):
    root = settings.MEDIA_ROOT
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def upload(enterprise, member, name, data):
    return save_attachment(
        as_bytes_upload(name, data), actor=member, enterprise=enterprise, owner=enterprise
    )


@pytest.mark.parametrize(
    ("name", "data", "mime"),
    [
        ("scan.pdf", PDF_BYTES, PDF),
        ("photo.png", PNG_BYTES, PNG),
        ("photo.jpg", JPEG_BYTES, JPEG),
        ("plan.docx", office_zip("word/document.xml"), DOCX),
        ("sheet.xlsx", office_zip("xl/workbook.xml"), XLSX),
    ],
)
def test_accepted_types_are_recognised_by_content(name, data, mime, enterprise, member):
    attachment = upload(enterprise, member, name, data)
    assert attachment.mime_type == mime
    assert attachment.size == len(data)


def test_the_type_comes_from_the_bytes_not_the_name(enterprise, member):
    attachment = upload(enterprise, member, "misnamed.docx", PDF_BYTES)
    assert attachment.mime_type == PDF


def test_a_text_file_named_pdf_is_refused_naming_file_and_accepted_types(
    enterprise, member, settings
):
    with pytest.raises(AttachmentRejected) as refusal:
        upload(enterprise, member, "伪装.pdf", b"this is plain text pretending to be a PDF")
    message = refusal.value.reason
    assert "伪装.pdf" in message
    for type_name in ("PDF", "JPEG", "PNG", "Word", "Excel"):
        assert type_name in message
    assert not Attachment.objects.exists()
    assert stored_files(settings) == []


def test_a_zip_that_is_not_an_office_document_is_refused(enterprise, member):
    with pytest.raises(AttachmentRejected):
        upload(enterprise, member, "archive.docx", office_zip("something/else.xml"))


def test_an_over_size_file_is_refused_and_nothing_is_kept(enterprise, member, settings):
    settings.ATTACHMENT_MAX_BYTES = 32
    with pytest.raises(AttachmentRejected) as refusal:
        upload(enterprise, member, "big.pdf", PDF_BYTES + b"x" * 64)
    assert "big.pdf" in refusal.value.reason
    assert "32" in refusal.value.reason
    assert not Attachment.objects.exists()
    assert not AuditEvent.objects.filter(event="attachment_uploaded").exists()
    assert stored_files(settings) == []


def test_an_empty_file_is_refused(enterprise, member, settings):
    with pytest.raises(AttachmentRejected):
        upload(enterprise, member, "empty.pdf", b"")
    assert stored_files(settings) == []


def test_a_file_at_the_limit_is_accepted(enterprise, member, settings):
    settings.ATTACHMENT_MAX_BYTES = len(PDF_BYTES)
    assert upload(enterprise, member, "exact.pdf", PDF_BYTES).size == len(PDF_BYTES)


def test_the_stored_hash_matches_the_bytes(enterprise, member, settings):
    attachment = upload(enterprise, member, "scan.pdf", PDF_BYTES)
    assert attachment.sha256 == hashlib.sha256(PDF_BYTES).hexdigest()
    (path,) = stored_files(settings)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == attachment.sha256


def test_the_stored_name_is_random_and_not_the_uploaded_name(enterprise, member):
    attachment = upload(enterprise, member, "../../etc/passwd.pdf", PDF_BYTES)
    assert ".." not in attachment.file.name
    assert "passwd" not in attachment.file.name
    assert attachment.original_name.endswith("passwd.pdf")


def test_an_upload_is_recorded_with_its_hash(enterprise, member):
    attachment = upload(enterprise, member, "scan.pdf", PDF_BYTES)
    event = AuditEvent.objects.get(event="attachment_uploaded")
    assert event.actor == member
    assert event.enterprise_id == enterprise.pk
    assert event.context["sha256"] == attachment.sha256


def test_the_owner_downloads_the_exact_bytes(enterprise, member, client_for):
    attachment = upload(enterprise, member, "报告.pdf", PDF_BYTES)
    response = client_for(member).get(f"/files/{attachment.pk}/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF_BYTES
    assert response["Content-Type"] == PDF
    assert "attachment" in response["Content-Disposition"]


def test_inline_download_is_shown_in_the_browser(enterprise, member, client_for):
    attachment = upload(enterprise, member, "scan.pdf", PDF_BYTES)
    response = client_for(member).get(f"/files/{attachment.pk}/?inline=1")
    assert response["Content-Disposition"].startswith("inline")


def test_an_outsider_gets_404_for_the_file(enterprise, member, outsider, client_for):
    attachment = upload(enterprise, member, "scan.pdf", PDF_BYTES)
    assert client_for(outsider).get(f"/files/{attachment.pk}/").status_code == 404


def test_there_is_no_public_media_url(enterprise, member, client_for, settings):
    attachment = upload(enterprise, member, "scan.pdf", PDF_BYTES)
    for path in (f"/media/{attachment.file.name}", f"/{attachment.file.name}"):
        with pytest.raises(Resolver404):
            resolve(path)
        assert client_for(member).get(path).status_code == 404
    if settings.MEDIA_URL:
        assert client_for(member).get(settings.MEDIA_URL + attachment.file.name).status_code == 404


@pytest.mark.parametrize(
    "content",
    [
        "月份,能源代码,实物量\n2016-01,3300,1200\n".encode(),
        "月份,能源代码\n2016-01,3300\n".encode("gb18030"),
    ],
)
def test_csv_text_is_recognised_only_where_spreadsheets_are_allowed(content):
    upload = as_bytes_upload("history.csv", content)
    assert sniff_type(upload) == CSV
    assert check_file(upload, allowed=SPREADSHEETS).mime_type == CSV
    with pytest.raises(AttachmentRejected):
        check_file(upload, allowed=DOCUMENTS)


def test_binary_bytes_named_csv_are_not_csv():
    assert sniff_type(as_bytes_upload("history.csv", b"a,b\n\x00\x01")) is None


def test_a_file_left_by_a_rolled_back_upload_is_removed_later(enterprise, member, settings):
    import os
    import time

    from django.db import transaction

    from portal.attachments import remove_orphan_files

    kept = save_attachment(
        as_bytes_upload("kept.pdf", PDF_BYTES), actor=member, enterprise=enterprise
    )
    with pytest.raises(RuntimeError), transaction.atomic():
        save_attachment(as_bytes_upload("lost.pdf", PDF_BYTES), actor=member, enterprise=enterprise)
        raise RuntimeError("the caller fails after the upload")
    stored = [
        os.path.join(root, name)
        for root, _dirs, names in os.walk(settings.MEDIA_ROOT)
        for name in names
    ]
    assert len(stored) == 2 and Attachment.objects.count() == 1
    assert remove_orphan_files() == 0  # too recent: its upload might still be committing
    old = time.time() - 7 * 3600
    for path in stored:
        os.utime(path, (old, old))
    assert remove_orphan_files() == 1
    assert kept.file.storage.exists(kept.file.name)
    assert Attachment.objects.get().pk == kept.pk
