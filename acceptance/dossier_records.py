"""档案 records: what the portal holds for an enterprise as one CSV per kind of record, in
stage order, read through the requester's scopers (acceptance.dossier puts them in the ZIP
beside the files). Certificates are listed by their metadata only, never a key."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db.models import Prefetch
from django.utils import timezone

from applications.permissions import (
    access_applications_visible_to,
    certificates_visible_to,
    change_records_visible_to,
    design_schemes_visible_to,
)
from portal.roles import is_government_viewer
from telemetry.permissions import trial_runs_visible_to

from .choices import Material
from .models import (
    ComparisonReading,
    MaterialVerdict,
    PanelSeat,
    ReportSignature,
    SpotComparison,
)
from .permissions import (
    acceptance_applications_visible_to,
    acceptance_reports_visible_to,
    audits_visible_to,
    notices_visible_to,
    onsites_visible_to,
)

SIGNING_METHODS = {"password": "重新输入密码", "code": "一次性验证码", "link": "签字链接"}


def _material_label(code: str) -> str:
    return str(Material(code).label) if code in Material.values else code


# The seed's stages, in order: the folders of the ZIP.
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


@dataclass
class Entry:
    stage: str
    name: str
    description: str
    read: Callable[[], bytes]


def as_text(value) -> str:
    if value is None:
        return ""
    if hasattr(value, "tzinfo"):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    return value.isoformat()


def as_csv(header: list[str], rows: Iterable[list]) -> bytes:
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows([[str(c) if c is not None else "" for c in row] for row in rows])
    return out.getvalue().encode("utf-8")


COMPARISON_HEADER = [
    "数据采集项",
    "计量器具",
    "现场读数时间",
    "对应时段",
    "现场读数",
    "平台数值",
    "偏差（%）",
    "允许偏差（%）",
    "结论",
]


def comparison_row(c) -> list:
    """A meter read on site beside the platform's value (on-site acceptance or spot check)."""
    return [
        c.item.data_code,
        c.meter,
        as_text(c.read_at),
        as_text(c.slot),
        c.site_value,
        c.platform_value,
        c.deviation_percent,
        c.tolerance_percent,
        "在允许偏差内" if c.within else "超出允许偏差或平台无数据",
    ]


def record_tables(user, enterprise) -> list[Entry]:
    """One CSV per kind of record, through the requester's scopers."""
    onsites = list(
        onsites_visible_to(user)
        .filter(application__enterprise=enterprise)
        .prefetch_related(
            Prefetch("seats", queryset=PanelSeat.objects.select_related("user").order_by("pk")),
            Prefetch("comparisons", queryset=ComparisonReading.objects.select_related("item")),
        )
        .order_by("pk")
    )
    audits = list(
        audits_visible_to(user)
        .filter(enterprise=enterprise)
        .select_related("plan")
        .prefetch_related(
            Prefetch("comparisons", queryset=SpotComparison.objects.select_related("item"))
        )
        .order_by("plan__year")
    )
    signatures = ReportSignature.objects.filter(
        report__in=acceptance_reports_visible_to(user).filter(onsite__in=[o.pk for o in onsites])
    ).order_by("report_id", "signed_at", "pk")
    # The reviewer's verdicts are the institute's review: the enterprise and the institute
    # see them, a region's viewer the application's state only (DESIGN section 1).
    verdicts = (
        []
        if is_government_viewer(user)
        else MaterialVerdict.objects.filter(
            application__in=acceptance_applications_visible_to(user).filter(enterprise=enterprise)
        ).order_by("application_id", "material", "pk")
    )
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
                    as_text(s.created_at),
                    as_text(s.sent_at),
                    as_text(s.finalised_at),
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
                    as_text(c.changed_on),
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
                    as_text(a.application_date),
                    a.get_state_display(),
                    a.builder_name,
                    a.device_serial,
                    as_text(a.om_contract_end),
                    as_text(a.submitted_at),
                    as_text(a.reviewed_at),
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
                    as_text(c.not_before),
                    as_text(c.not_after),
                    as_text(c.issued_at),
                    as_text(c.revoked_at),
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
                    as_text(t.started_on),
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
                [a.owner_name, a.get_state_display(), as_text(a.submitted_at), a.builder_name]
                for a in acceptance_applications_visible_to(user)
                .filter(enterprise=enterprise)
                .order_by("pk")
            ],
        ),
        (
            STAGES[5],
            "验收材料审查结论.csv",
            "表1 验收材料逐项审查结论",
            ["材料", "审查结论", "补正说明", "所审提交时间", "审查时间"],
            [
                [
                    _material_label(v.material),
                    v.get_verdict_display(),
                    v.note,
                    as_text(v.submitted_at),
                    as_text(v.decided_at),
                ]
                for v in verdicts
            ],
        ),
        (
            STAGES[6],
            "现场验收.csv",
            "现场验收安排、验收小组与现场记录",
            [
                "状态",
                "验收时间",
                "验收地点",
                "项目承建方",
                "验收小组（身份 姓名（单位）组长 / 声明无利益冲突时间）",
                "企业汇报要点",
                "提问交流纪要",
                "现场考察：能耗在线监测布点",
                "现场考察：端设备及计量器具",
                "现场考察：数据采集情况",
                "专家组评价结果",
                "参加人员",
                "记录完成时间",
            ],
            [
                [
                    o.get_state_display(),
                    as_text(o.scheduled_for),
                    o.place,
                    o.contractor_company,
                    "；".join(
                        f"{seat.get_role_display()} "
                        f"{seat.user.get_full_name() or seat.user.username}（{seat.body}）"
                        + (" 组长" if seat.is_leader else "")
                        + f" / {as_text(seat.declared_at) or '未声明'}"
                        for seat in o.seats.all()
                    ),
                    o.report_notes,
                    o.qa_minutes,
                    o.findings_layout,
                    o.findings_devices,
                    o.findings_collection,
                    o.panel_evaluation,
                    o.attendance,
                    as_text(o.recorded_at),
                ]
                for o in onsites
            ],
        ),
        (
            STAGES[6],
            "现场比对读数.csv",
            "现场验收的比对读数（计量器具与平台数值）",
            COMPARISON_HEADER,
            [comparison_row(c) for o in onsites for c in o.comparisons.all()],
        ),
        (
            STAGES[6],
            "验收报告签字记录.csv",
            "验收报告（附件2）的签字记录",
            ["签字身份", "签字人", "确认方式", "所签内容 SHA-256", "签字时间"],
            [
                [
                    s.get_role_display(),
                    s.signer_name,
                    SIGNING_METHODS.get(s.method, s.method),
                    s.content_sha256,
                    as_text(s.signed_at),
                ]
                for s in signatures
            ],
        ),
        (
            STAGES[7],
            "年度审核.csv",
            "年度审核",
            [
                "审核年度",
                "状态",
                "提交时间",
                "审核时间",
                "审核意见",
                "不通过情形",
                "现场抽查：布点",
                "现场抽查：端设备及计量器具",
                "现场抽查：数据采集情况",
                "现场抽查：其他情况",
            ],
            [
                [
                    a.plan.year,
                    a.get_state_display(),
                    as_text(a.submitted_at),
                    as_text(a.graded_at),
                    a.opinion,
                    "；".join(f"({k}) {v}" for k, v in sorted(a.situations.items())),
                    a.spot_layout,
                    a.spot_devices,
                    a.spot_collection,
                    a.spot_remarks,
                ]
                for a in audits
            ],
        ),
        (
            STAGES[7],
            "现场抽查比对读数.csv",
            "年度审核现场抽查的比对读数（计量器具与平台数值）",
            ["审核年度", *COMPARISON_HEADER],
            [[a.plan.year, *comparison_row(c)] for a in audits for c in a.comparisons.all()],
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
                    as_text(n.issued_at),
                    as_text(n.deadline),
                    n.get_state_display(),
                    as_text(n.acknowledged_at),
                    as_text(n.escalated_at),
                    as_text(n.closed_at),
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
        data = as_csv(header, rows)
        entries.append(Entry(stage, name, f"{description}（{len(rows)} 条）", lambda d=data: d))
    return entries
