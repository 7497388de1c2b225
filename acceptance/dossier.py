"""档案: everything the portal holds for one enterprise, in stage order, as a ZIP with an
index (档案目录, PDF and CSV) listing every file with its SHA-256.

What goes in is read through the requester's scopers, so a dossier never holds more than
the person who asked for it may see (a region's viewer gets the records and issued
documents, not the enterprise's uploaded materials). Records are written as one CSV per
kind; files (uploaded attachments, issued PDFs) are copied as stored. Secrets (private
keys, VPN password hashes) are never part of it: a certificate is listed by its metadata.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.core.files import File
from django.db import transaction
from django.utils import timezone

from applications.models import AccessApplication, ChangeRecord, DesignScheme, SchemeFeedback
from applications.permissions import (
    access_applications_visible_to,
    certificates_visible_to,
    change_records_visible_to,
    design_schemes_visible_to,
)
from portal.models import AuditEvent
from portal.permissions import attachments_visible_to
from reports.models import DocumentKind
from reports.permissions import documents_visible_to
from reports.rendering import render_pdf
from telemetry.models import EndDevice, HistoricalEnergyImport
from telemetry.permissions import trial_runs_visible_to

from .models import (
    AcceptanceApplication,
    AnnualAudit,
    Dossier,
    DossierStatus,
    OnSiteAcceptance,
    RectificationNotice,
    RectificationReport,
)
from .permissions import (
    acceptance_applications_visible_to,
    audits_visible_to,
    notices_visible_to,
    onsites_visible_to,
)

# The seed's stages, in order: folder name in the ZIP.
STAGES = (
    "01_设计方案与变更记录",
    "02_对接申请（附表1）",
    "03_证书与账号",
    "04_数据对接与试运行",
    "05_符合性测试报告（附件1）",
    "06_验收申请（附表2、表1）",
    "07_现场验收与验收报告（附件2）",
    "08_年度审核",
    "09_整改通知与整改报告",
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
    RectificationNotice: STAGES[8],
    RectificationReport: STAGES[8],
}
DOCUMENT_STAGE = {
    DocumentKind.CONFORMANCE: STAGES[4],
    DocumentKind.ACCEPTANCE: STAGES[6],
    DocumentKind.RECTIFICATION: STAGES[8],
}


@dataclass
class Entry:
    stage: str
    name: str
    description: str
    read: Callable[[], bytes]


def _d(value) -> str:
    if value is None:
        return ""
    if hasattr(value, "tzinfo"):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    return value.isoformat()


def _csv(header: list[str], rows: Iterable[list]) -> bytes:
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows([[str(c) if c is not None else "" for c in row] for row in rows])
    return out.getvalue().encode("utf-8")


def _safe_name(name: str) -> str:
    """A file name inside the ZIP: no folders, nothing that climbs out."""
    name = re.sub(r"[\\/:*?\"<>|\x00-\x1f]", "_", name).strip(" .") or "file"
    return name[:120]


def _record_tables(user, enterprise) -> list[Entry]:
    """One CSV per kind of record, through the requester's scopers."""
    tables = [
        (
            STAGES[0],
            "设计方案.csv",
            "设计方案各版本",
            ["方案编号", "版本", "状态", "编制时间", "发送时间", "定稿时间"],
            [
                [
                    s.number,
                    s.revision,
                    s.get_state_display(),
                    _d(s.created_at),
                    _d(s.sent_at),
                    _d(s.finalised_at),
                ]
                for s in design_schemes_visible_to(user)
                .filter(enterprise=enterprise)
                .order_by("pk")
            ],
        ),
        (
            STAGES[0],
            "变更记录.csv",
            "设计方案变更记录",
            ["方案编号", "变更时间", "变更内容", "变更理由", "变更单位", "状态"],
            [
                [
                    c.scheme.number,
                    _d(c.changed_on),
                    c.content,
                    c.reason,
                    c.unit,
                    c.get_state_display(),
                ]
                for c in change_records_visible_to(user)
                .filter(scheme__enterprise=enterprise)
                .order_by("changed_on", "pk")
            ],
        ),
        (
            STAGES[1],
            "对接申请.csv",
            "对接申请表（附表1）",
            [
                "申请单位",
                "申请日期",
                "状态",
                "建设单位",
                "端设备编号",
                "运维合同截止日期",
                "提交时间",
                "审核日期",
            ],
            [
                [
                    a.applicant_name,
                    _d(a.application_date),
                    a.get_state_display(),
                    a.builder_name,
                    a.device_serial,
                    _d(a.om_contract_end),
                    _d(a.submitted_at),
                    _d(a.reviewed_at),
                ]
                for a in access_applications_visible_to(user)
                .filter(enterprise=enterprise)
                .order_by("pk")
            ],
        ),
        (
            STAGES[2],
            "CA证书.csv",
            "端设备 CA 证书（仅元数据）",
            [
                "端设备编号",
                "证书序列号",
                "SHA-256 指纹",
                "生效时间",
                "到期时间",
                "签发时间",
                "吊销时间",
                "吊销原因",
            ],
            [
                [
                    c.device_serial,
                    c.serial_hex,
                    c.fingerprint,
                    _d(c.not_before),
                    _d(c.not_after),
                    _d(c.issued_at),
                    _d(c.revoked_at),
                    c.revocation_reason,
                ]
                for c in certificates_visible_to(user).filter(enterprise=enterprise).order_by("pk")
            ],
        ),
        (
            STAGES[3],
            "试运行.csv",
            "15 天稳定上传试运行（冻结数据）",
            [
                "第几次",
                "开始日期",
                "状态",
                "应报时段数",
                "上传成功时段数",
                "上传成功率",
                "一次上传成功率",
                "连续完整天数",
            ],
            [
                [
                    t.number,
                    _d(t.started_on),
                    t.get_status_display(),
                    t.expected,
                    t.successful,
                    t.success_rate,
                    t.on_time_rate,
                    t.consecutive_complete_days,
                ]
                for t in trial_runs_visible_to(user)
                .filter(connection__enterprise=enterprise)
                .order_by("number")
            ],
        ),
        (
            STAGES[5],
            "验收申请.csv",
            "验收申请表（附表2）",
            ["业主单位", "状态", "提交时间", "承建单位"],
            [
                [a.owner_name, a.get_state_display(), _d(a.submitted_at), a.builder_name]
                for a in acceptance_applications_visible_to(user)
                .filter(enterprise=enterprise)
                .order_by("pk")
            ],
        ),
        (
            STAGES[6],
            "现场验收.csv",
            "现场验收安排与记录",
            ["状态", "验收时间", "验收地点", "项目承建方"],
            [
                [o.get_state_display(), _d(o.scheduled_for), o.place, o.contractor_company]
                for o in onsites_visible_to(user)
                .filter(application__enterprise=enterprise)
                .order_by("pk")
            ],
        ),
        (
            STAGES[7],
            "年度审核.csv",
            "年度审核",
            ["审核年度", "状态", "提交时间", "审核时间", "审核意见", "不通过情形", "现场抽查情况"],
            [
                [
                    a.plan.year,
                    a.get_state_display(),
                    _d(a.submitted_at),
                    _d(a.graded_at),
                    a.opinion,
                    "；".join(f"({k}) {v}" for k, v in sorted(a.situations.items())),
                    a.spot_findings,
                ]
                for a in audits_visible_to(user)
                .filter(enterprise=enterprise)
                .order_by("plan__year")
            ],
        ),
        (
            STAGES[8],
            "整改通知.csv",
            "整改通知与整改报告",
            [
                "事由",
                "下达时间",
                "整改期限",
                "状态",
                "签收时间",
                "逾期升级时间",
                "关闭时间",
                "整改报告（轮次：说明 / 复查结论）",
            ],
            [
                [
                    n.get_occasion_display(),
                    _d(n.issued_at),
                    _d(n.deadline),
                    n.get_state_display(),
                    _d(n.acknowledged_at),
                    _d(n.escalated_at),
                    _d(n.closed_at),
                    " | ".join(
                        f"{r.round}: {r.description} / "
                        + (
                            ""
                            if r.accepted is None
                            else ("复查通过" if r.accepted else "复查未通过")
                        )
                        + (f" {r.recheck_note}" if r.recheck_note else "")
                        for r in n.reports.all()
                    ),
                ]
                for n in notices_visible_to(user)
                .filter(enterprise=enterprise)
                .prefetch_related("reports")
                .order_by("pk")
            ],
        ),
    ]
    entries = []
    for stage, name, description, header, rows in tables:
        data = _csv(header, rows)
        entries.append(Entry(stage, name, f"{description}（{len(rows)} 条）", lambda d=data: d))
    return entries


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
                f"上传材料 {a.kind or ''} · {_d(a.uploaded_at)}".replace("  ", " "),
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
    entries = _record_tables(user, enterprise) + _file_entries(user, enterprise)
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
            index_csv = _csv(
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
