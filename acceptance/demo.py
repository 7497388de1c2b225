"""Demo acceptance records, made through the services: for the enterprises whose
conformance report the reports demo issued, applications in every state, an on-site
acceptance scheduled, a report being signed, one passed and one failed acceptance with its
rectification notice, and the public results filled."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from portal.attachments import as_bytes_upload
from portal.demo import DEMO_PASSWORD
from portal.models import Membership, User
from reports.services.documents import valid_conformance_report
from telemetry.models import DataItem, EndDevice, Reading

from . import materials
from .choices import (
    CommissioningDocument,
    DeviceDocument,
    DevicePhoto,
    ItemResult,
    Material,
    PanelRole,
    SignatureRole,
    Verdict,
)
from .models import AcceptanceApplication, OnSiteAcceptance
from .services import applications, onsite, outcome, report, review

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
# Where each demo enterprise stops, most advanced first: the stages with an on-site panel
# (which needs the region's two local bodies), then the ones before it. The failed
# enterprise also files a new 附表2 (a draft linked to the failed one).
PANEL_STAGES = ("passed", "failed", "signing", "scheduled")
OFFICE_STAGES = ("returned", "review", "submitted", "draft")
LADDER = PANEL_STAGES + OFFICE_STAGES
LOCAL_BODIES = {
    "420100": ("gov_wuhan", "gov_wuhan_scjg"),
    "420500": ("gov_yichang_fgw", "gov_yichang"),
}


def _member(enterprise) -> User:
    return Membership.objects.filter(enterprise=enterprise).order_by("pk").first().user


def _file(application, member, material, part="", device=None, image=False):
    upload = as_bytes_upload(
        f"{material}-{part or 'file'}.{'png' if image else 'pdf'}", PNG if image else PDF
    )
    applications.add_material_file(application, member, material, part, upload, device_id=device)


def _upload_materials(application, member) -> None:
    _file(application, member, Material.STAMPED_FORM)
    _file(application, member, Material.OM_PLAN)
    _file(application, member, Material.ACCESS_APPLICATION, "stamped")
    _file(application, member, Material.SCHEME_CONFIRMATION, "stamped")
    devices = list(EndDevice.objects.filter(enterprise=application.enterprise, is_active=True))
    for device in materials.device_models(devices):
        for document in DeviceDocument:
            _file(application, member, Material.DEVICE_QUALIFICATIONS, document, device.pk)
    for document in (
        CommissioningDocument.DRAWINGS,
        CommissioningDocument.HANDOVER,
        CommissioningDocument.OPERATION_MANUAL,
    ):
        _file(application, member, Material.COMMISSIONING, document)
    for device in devices:
        for photo in DevicePhoto:
            _file(application, member, Material.DEVICE_PHOTOS, photo, device.pk, image=True)


def _application(enterprise, member) -> AcceptanceApplication:
    data = applications.prefill(enterprise)
    data.update(
        summary="完成端设备安装调试、数据采集项配置与省平台对接，试运行期间数据连续稳定上传。",
        investment=data["investment"] or Decimal("120000"),
        no_change_declared=True,
    )
    return applications.create_application(member, enterprise, data)


def _panel(enterprise):
    ndrc, samr = LOCAL_BODIES.get(enterprise.region, (None, None))
    local = User.objects.filter(username__in=[ndrc, samr])
    if local.count() < 2:
        return None
    return [
        {"user": User.objects.get(username="reviewer"), "role": PanelRole.INSTITUTE},
        {"user": User.objects.get(username=ndrc), "role": PanelRole.NDRC},
        {"user": User.objects.get(username=samr), "role": PanelRole.SAMR},
        {"user": User.objects.get(username="expert"), "role": PanelRole.EXPERT},
    ]


def _on_site(application, member, seats, reviewer, *, record: bool) -> OnSiteAcceptance:
    when = timezone.now() + timedelta(days=10)
    visit = onsite.propose_onsite(
        member,
        application,
        {
            "scheduled_for": when.replace(hour=9, minute=30, second=0, microsecond=0),
            "place": application.project_location,
            "owner_representative": member.get_full_name() or member.username,
            "owner_representative_title": "能源管理负责人",
            "owner_representative_phone": application.owner_phone,
            "contractor_company": application.builder_name,
            "contractor_representative": application.builder_contact,
            "contractor_phone": application.builder_phone,
            "contractor_email": "builder@demo.hbjl.cn",
        },
    )
    onsite.set_panel(visit, reviewer, seats)
    visit = onsite.confirm_onsite(visit, reviewer)
    if not record:
        return visit
    # The demo's finished visits took place last week (a proposal cannot be in the past).
    OnSiteAcceptance.objects.filter(pk=visit.pk).update(
        scheduled_for=timezone.now() - timedelta(days=7)
    )
    for seat in visit.seats.select_related("user"):
        onsite.declare_no_conflict(visit, seat.user)
    onsite.record_steps(
        visit,
        reviewer,
        {
            "attendance": "省计量院、当地发改委、当地市场监管部门代表，业主代表，承建方代表",
            "report_notes": "企业介绍能源结构、计量网络和数据采集方式。",
            "qa_minutes": "专家询问数据采集频率与断点续传，企业逐一答复。",
            "findings_layout": "监测布点与设计方案一致。",
            "findings_devices": "端设备及一级计量器具符合标准规范。",
            "findings_collection": "数据采集正常，上传稳定。",
            "panel_evaluation": "专家组同意通过验收。",
        },
    )
    slot_row = (
        Reading.objects.filter(item__enterprise=application.enterprise, valid=True)
        .order_by("-slot")
        .first()
    )
    if slot_row is not None:
        onsite.add_comparison(
            visit,
            reviewer,
            item_id=slot_row.item_id,
            meter="1# 总进线电能表",
            read_at=slot_row.slot + timedelta(minutes=5),
            site_value=slot_row.value * Decimal("1.004"),
        )
    else:
        item = DataItem.objects.filter(enterprise=application.enterprise).first()
        onsite.add_comparison(
            visit,
            reviewer,
            item_id=item.pk,
            meter="1# 总进线电能表",
            read_at=timezone.now() - timedelta(days=1),
            site_value=Decimal("1"),
        )
    return onsite.finish_record(visit, reviewer)


def _report(visit, reviewer, member, *, result: str, sign_all: bool):
    draft = report.draft_report(visit, reviewer)
    written = {
        "materials_result": ItemResult.PASS,
        "consistency_result": ItemResult.PASS,
        "data_result": ItemResult.PASS,
        "om_result": ItemResult.PASS if result == ItemResult.PASS else ItemResult.FAIL,
        "overall_opinion": "系统按设计方案建成，数据连续稳定上传，同意通过验收。"
        if result == ItemResult.PASS
        else "运维合同已到期且无后续运维方案，关键设备合格证缺失，不同意通过验收。",
        "result": result,
        "fail_conditions": {}
        if result == ItemResult.PASS
        else {"4": "端设备合格证缺失，运维合同已到期。"},
    }
    draft = report.update_report(draft, reviewer, written)
    draft = report.put_for_signature(draft, reviewer)
    seats = {s.role: s.user for s in visit.seats.select_related("user")}
    report.sign_report(draft, seats[PanelRole.INSTITUTE], SignatureRole.INSTITUTE, DEMO_PASSWORD)
    report.sign_report(draft, member, SignatureRole.ENTERPRISE, DEMO_PASSWORD)
    if not sign_all:
        return draft
    report.sign_report(draft, seats[PanelRole.NDRC], SignatureRole.NDRC, DEMO_PASSWORD)
    report.sign_report(draft, seats[PanelRole.SAMR], SignatureRole.SAMR, DEMO_PASSWORD)
    token = report.issue_contractor_link(draft)
    report.sign_by_link(token, visit.contractor_representative or "承建方代表")
    draft.refresh_from_db()
    return outcome.issue_result(draft, reviewer)


def plan(ready) -> list[tuple]:
    """(enterprise, stage) for the eligible enterprises: the stages that need a panel go to
    enterprises whose region has its two local bodies among the demo users, the others to
    the rest (then to whoever is left)."""
    local = [e for e in ready if e.region in LOCAL_BODIES]
    others = [e for e in ready if e.region not in LOCAL_BODIES]
    planned = list(zip(local, PANEL_STAGES, strict=False))
    left = local[len(PANEL_STAGES) :] + others
    planned += list(zip(left, OFFICE_STAGES, strict=False))
    return planned


def _returned(application, reviewer, member):
    """Materials review found two lines to correct: returned with the composed reason."""
    application = review.start_review(application, reviewer)
    for material in Material:
        verdict, note = Verdict.ACCEPTABLE, ""
        if material == Material.SERVICE_CONTRACT:
            verdict, note = Verdict.NEEDS_CORRECTION, "实施服务合同缺少双方盖章页。"
        elif material == Material.DEVICE_PHOTOS:
            verdict, note = Verdict.NEEDS_CORRECTION, "设备铭牌照片不清晰，无法辨认序列号。"
        review.record_verdict(application, reviewer, material, verdict, note)
    return review.return_application(application, reviewer)


def _in_review(application, reviewer):
    """Materials review under way: the first lines have their verdicts, the rest wait."""
    application = review.start_review(application, reviewer)
    for material in list(Material)[:5]:
        review.record_verdict(application, reviewer, material, Verdict.ACCEPTABLE)
    return application


def seed(context, log=print):
    if AcceptanceApplication.objects.exists():
        log("acceptance demo: already seeded")
        return
    reviewer = User.objects.get(username="reviewer")
    ready = [e for e in context.get("connected", []) if valid_conformance_report(e) is not None]
    counts = {}
    for enterprise, stage in plan(ready):
        member = _member(enterprise)
        application = _application(enterprise, member)
        if stage == "draft":
            counts[stage] = counts.get(stage, 0) + 1
            continue
        _upload_materials(application, member)
        if not materials.checklist(application).complete:
            log(f"acceptance demo: {enterprise.name} lacks materials, left as a draft")
            continue
        application = review.submit_application(application, member)
        if stage in ("submitted", "review", "returned"):
            if stage == "review":
                _in_review(application, reviewer)
            elif stage == "returned":
                _returned(application, reviewer, member)
            counts[stage] = counts.get(stage, 0) + 1
            continue
        application = review.start_review(application, reviewer)
        for material in Material:
            review.record_verdict(application, reviewer, material, Verdict.ACCEPTABLE)
        application = review.accept_application(
            application, reviewer, "材料齐全，同意组织现场验收。"
        )
        seats = _panel(enterprise)
        if seats is None:
            log(f"acceptance demo: no local panel members for {enterprise.get_region_display()}")
            continue
        visit = _on_site(application, member, seats, reviewer, record=stage != "scheduled")
        if stage in ("passed", "failed", "signing"):
            result = ItemResult.FAIL if stage == "failed" else ItemResult.PASS
            _report(visit, reviewer, member, result=result, sign_all=stage != "signing")
        if stage == "failed":
            # After the rectification the enterprise files a new 附表2, linked to the failed
            # one: the application being filled in.
            _application(enterprise, member)
            counts["draft"] = counts.get("draft", 0) + 1
        counts[stage] = counts.get(stage, 0) + 1
    log(f"acceptance demo: {counts}")
