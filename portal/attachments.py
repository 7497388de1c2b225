"""Storing uploaded files: the type is read from the content, never from the name."""

import codecs
import hashlib
import zipfile
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Attachment, AuditEvent

PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOC = "application/msword"
XLS = "application/vnd.ms-excel"
CSV = "text/csv"

DOCUMENTS = frozenset({PDF, JPEG, PNG, DOCX, XLSX, DOC, XLS})
IMAGES = frozenset({JPEG, PNG})
# Data imports (item lists, historical energy data) are spreadsheets or CSV text.
SPREADSHEETS = frozenset({XLSX, CSV})
# A business licence is a scan or a photo.
LICENCE_TYPES = IMAGES | {PDF}
TYPE_NAMES = {
    PDF: "PDF",
    JPEG: "JPEG",
    PNG: "PNG",
    DOCX: "Word",
    DOC: "Word",
    XLSX: "Excel",
    XLS: "Excel",
    CSV: "CSV",
}


class AttachmentRejected(Exception):
    def __init__(self, reason: str, field: str = "file"):
        self.reason = reason
        self.field = field
        super().__init__(reason)


def sniff_type(upload) -> str | None:
    """The MIME type the file's bytes show, or None when it is none we accept."""
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"PK\x03\x04"):
        return _office_zip_type(upload)
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        # Legacy OLE2 containers hold both .doc and .xls; the name only picks between two
        # types the content already proved to be an Office file.
        name = (getattr(upload, "name", "") or "").lower()
        return XLS if name.endswith(".xls") else DOC
    if _is_csv_text(upload):
        return CSV
    return None


def _is_csv_text(upload) -> bool:
    """Plain text (UTF-8, or GB18030 as saved by Chinese Excel) with delimited lines."""
    upload.seek(0)
    sample = upload.read(4096)
    upload.seek(0)
    if b"\x00" in sample:
        return False
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            # Incremental, so a multi-byte character cut at the end of the sample is no error.
            text = codecs.getincrementaldecoder(encoding)().decode(sample, final=False)
        except UnicodeDecodeError:
            continue
        first_line = text.splitlines()[0] if text else ""
        return "," in first_line or "\t" in first_line
    return False


def _office_zip_type(upload) -> str | None:
    try:
        with zipfile.ZipFile(upload) as archive:
            names = set(archive.namelist())
    except zipfile.BadZipFile:
        return None
    finally:
        upload.seek(0)
    if "word/document.xml" in names:
        return DOCX
    if "xl/workbook.xml" in names:
        return XLSX
    return None


@dataclass(frozen=True)
class CheckedFile:
    mime_type: str
    sha256: str
    size: int


def check_file(upload, allowed=DOCUMENTS) -> CheckedFile:
    """Refuse a file that is too large or of a type not in `allowed`, before anything is kept."""
    limit = settings.ATTACHMENT_MAX_BYTES
    if upload.size > limit:
        raise AttachmentRejected(
            _("文件“%(name)s”大小为 %(size)s，超过上限 %(limit)s。")
            % {
                "name": upload.name,
                "size": filesizeformat(upload.size),
                "limit": filesizeformat(limit),
            }
        )
    if upload.size == 0:
        raise AttachmentRejected(_("文件“%(name)s”是空文件。") % {"name": upload.name})
    mime = sniff_type(upload)
    if mime not in allowed:
        accepted = "、".join(sorted({TYPE_NAMES[t] for t in allowed}))
        raise AttachmentRejected(
            _("文件“%(name)s”的内容不是可接受的类型（仅接受 %(types)s）。")
            % {"name": upload.name, "types": accepted}
        )
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return CheckedFile(mime, digest.hexdigest(), upload.size)


def save_attachment(upload, *, actor, enterprise=None, owner=None, kind="", allowed=DOCUMENTS):
    """Check and store one uploaded file; returns the Attachment.

    The file is written only after it passed every check, and removed again if the row
    cannot be written, so a refusal leaves nothing behind.
    """
    checked = check_file(upload, allowed)
    attachment = Attachment(
        enterprise=enterprise,
        content_type=ContentType.objects.get_for_model(owner) if owner is not None else None,
        object_id=owner.pk if owner is not None else None,
        kind=kind,
        original_name=upload.name[:255],
        mime_type=checked.mime_type,
        size=checked.size,
        sha256=checked.sha256,
        uploaded_by=actor if actor is not None and actor.is_authenticated else None,
    )
    attachment.file.save(upload.name, upload, save=False)
    try:
        with transaction.atomic():
            attachment.save()
            AuditEvent.record(
                owner if owner is not None else enterprise,
                actor,
                "attachment_uploaded",
                comment=attachment.original_name,
                context={"attachment": attachment.pk, "kind": kind, "sha256": checked.sha256},
            )
    except Exception:
        attachment.file.delete(save=False)
        raise
    return attachment


def attachments_of(owner, kind: str | None = None):
    qs = Attachment.objects.filter(
        content_type=ContentType.objects.get_for_model(owner), object_id=owner.pk
    )
    return qs.filter(kind=kind) if kind is not None else qs


def as_bytes_upload(name: str, data: bytes):
    """An in-memory upload (seed data, tests, generated documents)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)


def remove_orphan_files(older_than: timedelta = timedelta(hours=6)) -> int:
    """Delete stored files that no Attachment row points to; returns how many.

    `save_attachment` writes the file before the caller's transaction commits, and Django has
    no hook on rollback, so a rolled-back upload leaves its file behind. Files younger than
    `older_than` are spared: their upload may still be committing.
    """
    storage = Attachment._meta.get_field("file").storage
    known = set(Attachment.objects.values_list("file", flat=True))
    cutoff = timezone.now() - older_than
    removed = 0
    folders = ["attachments"]
    while folders:
        folder = folders.pop()
        if not storage.exists(folder):
            continue
        subfolders, files = storage.listdir(folder)
        folders += [f"{folder}/{name}" for name in subfolders]
        for name in files:
            path = f"{folder}/{name}"
            if path not in known and storage.get_modified_time(path) < cutoff:
                storage.delete(path)
                removed += 1
    return removed
