"""档案: everything the portal holds for one enterprise, in stage order, as a ZIP with an
index (档案目录, PDF and CSV) listing every file with its SHA-256.

What goes in is read through the requester's scopers, so a dossier never holds more than
the person who asked for it may see (a region's viewer gets the records and issued
documents, not the enterprise's uploaded materials). Records are written as one CSV per
kind; files (uploaded attachments, issued PDFs) are copied as stored. Secrets (private
keys, VPN password hashes) are never part of it: a certificate is listed by its metadata.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
import zipfile

from django.contrib.contenttypes.models import ContentType
from django.core.files import File
from django.db import transaction
from django.utils import timezone

from applications.models import AccessApplication, ChangeRecord, DesignScheme, SchemeFeedback
from portal.models import AuditEvent
from portal.permissions import attachments_visible_to
from reports.models import DocumentKind
from reports.permissions import documents_visible_to
from reports.rendering import render_pdf
from telemetry.models import EndDevice, HistoricalEnergyImport

from .dossier_records import STAGES, Entry, as_csv, as_text, record_tables
from .models import (
    AcceptanceApplication,
    AnnualAudit,
    AuditAnswer,
    Dossier,
    DossierStatus,
    OnSiteAcceptance,
    RectificationNotice,
    RectificationReport,
)

OTHER = "99_其他"
INDEX_CSV = "00_档案目录.csv"
INDEX_PDF = "00_档案目录.pdf"

# Where the attachments of each owner model go.
OWNER_STAGE = {
    DesignScheme: STAGES[0],
    ChangeRecord: STAGES[0],
    SchemeFeedback: STAGES[0],
    AccessApplication: STAGES[1],
    EndDevice: STAGES[3],
    HistoricalEnergyImport: STAGES[3],
    AcceptanceApplication: STAGES[5],
    OnSiteAcceptance: STAGES[6],
    AnnualAudit: STAGES[7],
    AuditAnswer: STAGES[7],
    RectificationNotice: STAGES[8],
    RectificationReport: STAGES[8],
}
DOCUMENT_STAGE = {
    DocumentKind.CONFORMANCE: STAGES[4],
    DocumentKind.ACCEPTANCE: STAGES[6],
    DocumentKind.RECTIFICATION: STAGES[8],
}


def _safe_name(name: str) -> str:
    """A file name inside the ZIP: no folders, nothing that climbs out."""
    name = re.sub(r"[\\/:*?\"<>|\x00-\x1f]", "_", name).strip(" .") or "file"
    return name[:120]


def _file_entries(user, enterprise) -> list[Entry]:
    """Uploaded files the requester may open and issued PDFs, by stage."""
    entries = []
    types = {ContentType.objects.get_for_model(m).pk: s for m, s in OWNER_STAGE.items()}
    attachments = (
        attachments_visible_to(user).filter(enterprise=enterprise).order_by("uploaded_at", "pk")
    )
    for a in attachments:
        stage = types.get(a.content_type_id, OTHER)
        entries.append(
            Entry(
                stage,
                f"{a.pk:06d}_{_safe_name(a.original_name)}",
                f"上传材料 {a.kind or ''} · {as_text(a.uploaded_at)}".replace("  ", " "),
                lambda a=a: _read(a.file),
            )
        )
    documents = (
        documents_visible_to(user)
        .filter(enterprise=enterprise)
        .exclude(pdf="")
        .order_by("approved_at", "pk")
    )
    for doc in documents:
        entries.append(
            Entry(
                DOCUMENT_STAGE.get(doc.kind, OTHER),
                f"{_safe_name(doc.number or str(doc.pk))}.pdf",
                f"{doc.get_kind_display()} {doc.number} · {doc.get_state_display()}",
                lambda doc=doc: _read(doc.pdf),
            )
        )
    return entries


def _read(field) -> bytes:
    with field.open("rb") as handle:
        return handle.read()


def collect(user, enterprise) -> list[Entry]:
    """Every entry in stage order (records first within a stage, then files)."""
    entries = record_tables(user, enterprise) + _file_entries(user, enterprise)
    order = {stage: n for n, stage in enumerate((*STAGES, OTHER))}
    return sorted(entries, key=lambda e: order[e.stage])  # stable: keeps the order within


def _index_pdf(enterprise, rows: list[dict], built_at) -> bytes:
    return render_pdf(
        "acceptance/pdf/dossier_index.html",
        {"enterprise": enterprise, "rows": rows, "built_at": built_at},
    )


def _set(dossier_id: int, **fields) -> None:
    Dossier.objects.filter(pk=dossier_id).update(**fields)


def build(dossier_id: int) -> str:
    """Write the ZIP, updating the progress as it goes; the file, its hash and the status
    are stored together at the end."""
    dossier = Dossier.objects.select_related("enterprise", "requested_by").get(pk=dossier_id)
    if dossier.status == DossierStatus.DONE:
        return "done"
    _set(dossier_id, status=DossierStatus.RUNNING, progress=5, error="")
    enterprise, user = dossier.enterprise, dossier.requested_by
    entries = collect(user, enterprise)
    built_at = timezone.localtime()
    rows = []
    with tempfile.TemporaryFile() as handle:
        with zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED) as archive:
            used = set()
            for n, entry in enumerate(entries, start=1):
                data = entry.read()
                path = f"{entry.stage}/{entry.name}"
                while path in used:
                    path = f"{entry.stage}/{n}_{entry.name}"
                used.add(path)
                archive.writestr(path, data)
                rows.append(
                    {
                        "n": n,
                        "stage": entry.stage,
                        "path": path,
                        "description": entry.description,
                        "size": len(data),
                        "sha256": hashlib.sha256(data).hexdigest(),
                    }
                )
                _set(dossier_id, progress=5 + int(75 * n / max(len(entries), 1)))
            header = ["序号", "阶段", "文件", "说明", "大小（字节）", "SHA-256"]
            index_csv = as_csv(
                header,
                [
                    [r["n"], r["stage"], r["path"], r["description"], r["size"], r["sha256"]]
                    for r in rows
                ],
            )
            archive.writestr(INDEX_CSV, index_csv)
            _set(dossier_id, progress=85)
            archive.writestr(INDEX_PDF, _index_pdf(enterprise, rows, built_at))
        _set(dossier_id, progress=95)
        handle.seek(0)
        digest = hashlib.sha256()
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
        handle.seek(0)
        with transaction.atomic():
            locked = Dossier.objects.select_for_update().get(pk=dossier_id)
            locked.file.save(f"{enterprise.pk}.zip", File(handle), save=False)
            locked.sha256 = digest.hexdigest()
            locked.entries = len(rows)
            locked.status = DossierStatus.DONE
            locked.progress = 100
            locked.finished_at = timezone.now()
            locked.save()
            AuditEvent.record(
                enterprise,
                None,
                "dossier_built",
                context={"dossier": locked.pk, "entries": len(rows), "sha256": locked.sha256},
            )
    return "done"
