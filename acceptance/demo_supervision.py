"""Demo supervision records (seed chapter 6), made through the services: last year's annual
audit of the systems accepted before it, one passed and one failed, the failed one's
rectification notice acknowledged and its rectification report waiting for the re-check,
the spot-check sample drawn from a recorded seed, and a dossier built for the enterprise
that passed. Runs after acceptance.demo (seed_demo calls it last)."""

from datetime import date, datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from portal.attachments import as_bytes_upload
from portal.models import Membership, User
from telemetry.models import DataItem, Reading

from .choices import AcceptanceState, AuditSituation, ItemResult, OnSiteState, ReportState
from .models import (
    AcceptanceApplication,
    AcceptanceReport,
    AuditPlan,
    Dossier,
    OnSiteAcceptance,
)
from .services import audits, dossiers, rectification
from .services.applications import prefill

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _member(enterprise) -> User | None:
    membership = Membership.objects.filter(enterprise=enterprise).order_by("pk").first()
    return membership.user if membership else None


def record_pass_on(application, issued_at) -> AcceptanceReport:
    """The pass of ``application`` as the portal records it: a recorded on-site acceptance
    and its 验收报告 (附件2) issued 合格 at ``issued_at``; the audit's "accepted" date is that
    issue date (services.audits.accepted_on). Passed applications already holding a report
    get its issue date moved; legacy ones (平台上线前已验收) get the records made."""
    AcceptanceApplication.objects.filter(pk=application.pk).update(state=AcceptanceState.PASSED)
    onsite = OnSiteAcceptance.objects.filter(application=application).first()
    if onsite is None:
        onsite = OnSiteAcceptance.objects.create(
            application=application,
            scheduled_for=issued_at,
            place=application.project_location or "企业现场",
            owner_representative=application.owner_contact or "业主代表",
            owner_representative_title="能源主管",
            owner_representative_phone=application.owner_phone or "-",
            contractor_company=application.builder_name or "承建方",
            contractor_representative=application.builder_contact or "承建方代表",
            contractor_phone=application.builder_phone or "-",
            contractor_email="contractor@example.cn",
        )
        OnSiteAcceptance.objects.filter(pk=onsite.pk).update(
            state=OnSiteState.RECORDED, recorded_at=issued_at
        )
    report = AcceptanceReport.objects.filter(onsite=onsite).first()
    if report is None:
        report = AcceptanceReport.objects.create(
            onsite=onsite,
            project_name="能耗在线监测企业接入端系统",
            owner_name=application.owner_name or application.enterprise.name,
            contractor_name=application.builder_name or "承建方",
            place=onsite.place,
            held_on=timezone.localdate(issued_at),
            result=ItemResult.PASS,
        )
    AcceptanceReport.objects.filter(pk=report.pk).update(
        state=ReportState.ISSUED, result=ItemResult.PASS, issued_at=issued_at
    )
    report.refresh_from_db()
    return report


def _accepted_before(year: int, enterprises, log) -> list:
    """Two enterprises whose system counts as accepted before ``year``: the acceptance
    demo's passed ones, dated back; otherwise an acceptance recorded before the portal
    (平台上线前已验收的历史记录) for connected enterprises without an application."""
    accepted_on = timezone.make_aware(datetime(year - 1, 11, 20, 10))
    passed = list(
        AcceptanceApplication.objects.filter(state=AcceptanceState.PASSED).select_related(
            "enterprise"
        )
    )
    for application in passed:
        record_pass_on(application, accepted_on)
    chosen = [a.enterprise for a in passed]
    taken = set(AcceptanceApplication.objects.values_list("enterprise_id", flat=True))
    for enterprise in enterprises:
        if len(chosen) >= 2:
            break
        if enterprise.pk in taken or _member(enterprise) is None:
            continue
        data = prefill(enterprise)
        data = {
            **data,
            "summary": "平台上线前已通过验收的企业接入端系统（历史记录）。",
            "investment": data.get("investment") or "120000.00",
            "started_on": data.get("started_on") or date(year - 2, 3, 1),
            "completed_on": data.get("completed_on") or date(year - 2, 9, 30),
        }
        fields = {f.name for f in AcceptanceApplication._meta.get_fields()}
        legacy = AcceptanceApplication.objects.create(
            enterprise=enterprise, **{k: v for k, v in data.items() if k in fields}
        )
        AcceptanceApplication.objects.filter(pk=legacy.pk).update(
            submitted_at=accepted_on, reviewed_at=accepted_on
        )
        record_pass_on(legacy, accepted_on)
        chosen.append(enterprise)
    if len(chosen) < 2:
        log("supervision demo: fewer than two accepted systems to audit")
    return chosen[:2]


def _spot_comparison(audit, reviewer, enterprise) -> None:
    """One meter read during the spot check, beside the platform's value: the enterprise's
    latest valid reading read again 5 minutes into its slot (0.3 % apart), or, without
    readings, a read of its first item that finds no platform value."""
    latest = (
        Reading.objects.filter(item__enterprise=enterprise, valid=True).order_by("-slot").first()
    )
    if latest is not None:
        item_id, read_at = latest.item_id, latest.slot + timedelta(minutes=5)
        site_value = (latest.value * Decimal("1.003")).quantize(Decimal("0.001"))
    else:
        item = DataItem.objects.filter(enterprise=enterprise).order_by("pk").first()
        if item is None:
            return
        item_id, read_at, site_value = item.pk, timezone.now() - timedelta(days=1), Decimal("1")
    audits.add_spot_comparison(
        audit,
        reviewer,
        item_id=item_id,
        meter="",  # the item's meter in the 计量器具台账
        read_at=min(read_at, timezone.now()),
        site_value=site_value,
    )


def seed(context, log=print):
    if AuditPlan.objects.exists():
        log("supervision demo: already seeded")
        return
    reviewer = User.objects.get(username="reviewer")
    year = timezone.localdate().year - 1
    enterprises = context.get("connected", []) or context.get("enterprises", [])
    auditees = _accepted_before(year, enterprises, log)
    if not auditees:
        return
    plan = audits.create_plan(year, reviewer)
    plan = audits.draw_sample(plan, reviewer, seed=f"demo-{year}")
    passed_enterprise, failed_enterprise = (auditees + auditees)[:2]
    for enterprise in dict.fromkeys(auditees):
        audit = plan.audits.get(enterprise=enterprise)
        member = _member(enterprise)
        fails = enterprise == failed_enterprise and enterprise != passed_enterprise
        checklist = list(plan.checklist.order_by("pk"))
        audits.answer(
            audit,
            member,
            {
                item.pk: "数据 3 月中断 9 天，已联系运维单位处理。"
                if fails
                else "系统按确认的设计方案运行，运维合同有效。"
                for item in checklist
            },
            # 书面审核的证据文件, per checklist line (owned by the line's answer).
            {
                checklist[0].pk: [as_bytes_upload("运维合同（续签）.pdf", PDF)],
                checklist[-1].pk: [as_bytes_upload("计量器具检定证书.pdf", PDF)],
            },
        )
        audit = audits.submit(audit, member)
        if enterprise.pk in plan.sample:
            audits.record_spot_findings(
                audit,
                reviewer,
                layout="布点与确认的设计方案一致，一、二级计量点均已接入。",
                devices="端设备运行正常，计量器具在检定有效期内。"
                if not fails
                else "端设备通信模块故障，已于 3 月 10 日更换。",
                collection="抽查 3 块计量器具读数与平台一致（偏差 <0.5%）。"
                if not fails
                else "3 月 2 日至 3 月 10 日数据未上传。",
                remarks="企业能源管理负责人陪同抽查。",
            )
            _spot_comparison(audit, reviewer, enterprise)
        for item in checklist:
            audits.grade_line(audit, reviewer, item.pk, "不符合" if fails else "符合")
        audits.grade(
            audit,
            reviewer,
            passed=not fails,
            opinion="数据不能持续稳定上传，限期整改。" if fails else "运行正常，同意通过。",
            situations={AuditSituation.NOT_STABLE: "3 月 2 日至 3 月 10 日数据中断 9 天"}
            if fails
            else None,
        )
        if fails:
            notice = enterprise.rectification_notices.order_by("-pk").first()
            notice = rectification.acknowledge_notice(notice, member)
            rectification.submit_report(
                notice,
                member,
                "已更换端设备通信模块并补传缺失时段数据，附维修记录与补传回执。",
                [as_bytes_upload("维修记录.pdf", PDF)],
            )
    member = _member(passed_enterprise)
    if member is not None and not Dossier.objects.exists():
        dossiers.request_dossier(member, passed_enterprise)
    log(
        f"supervision demo: {year} 年度审核 {len(set(auditees))} 家，抽样种子 demo-{year}，"
        f"整改通知待复查 1 份"
    )
