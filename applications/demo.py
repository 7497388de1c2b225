"""Demo data for stages 1-3: enterprises at every state of the scheme and the application.

Everything goes through the services, so the demo has real numbers, audit history and
notifications. Idempotent: an enterprise that already has a design scheme is left alone.
"""

from datetime import date, timedelta

from django.core.management import call_command
from django.utils import timezone

from portal.attachments import as_bytes_upload
from portal.models import Role, User

from . import pki
from .models import SCHEME_PART_DOCUMENTS, DesignScheme, Material, Meter, Verdict
from .services.access import (
    add_material,
    approve_application,
    create_application,
    reject_application,
    return_application,
    start_review,
    submit_application,
)
from .services.certificates import issue_certificate
from .services.meters import create_meter
from .services.review import record_verdict, upload_stamped_scan
from .services.schemes import (
    answer_scheme,
    confirm_scheme,
    create_scheme,
    record_site_survey,
    send_scheme,
    upload_feedback_stamp,
)
from .services.vpn import set_vpn_password

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64

# The states enterprises are brought to, in the order of the approved enterprises.
APPROVED = 12
LADDER = [
    "under_review",
    "submitted",
    "returned",
    "rejected",
    "application_draft",
    "finalised",
    "enterprise_confirmed",
    "changes_requested",
    "sent",
    "draft",
]
STATE_LABELS = {
    "under_review": "对接申请审核中",
    "returned": "对接申请退回修改",
    "sent": "设计方案待企业反馈",
}
CONTENT = {
    "energy_types": [
        {"energy_type": "3300", "collection_method": "meter"},
        {"energy_type": "1500", "collection_method": "meter"},
        {"energy_type": "3200", "collection_method": "info_system"},
    ],
    "instruments": [
        {
            "energy_type": "3300",
            "instrument": "三相智能电能表",
            "model": "DTZ341",
            "accuracy_class": "0.5S",
            "location": "110kV 总降压站进线柜",
        },
        {
            "energy_type": "1500",
            "instrument": "气体涡轮流量计",
            "model": "TBQM-100",
            "accuracy_class": "1.0",
            "location": "天然气调压站总管",
        },
        {
            "energy_type": "3200",
            "instrument": "蒸汽涡街流量计",
            "model": "LUGB-150",
            "accuracy_class": "1.5",
            "location": "外购蒸汽入厂总管",
        },
    ],
    "budget_items": [
        {"item": "能耗在线监测端设备", "amount": "45000", "note": ""},
        {"item": "计量器具通讯改造", "amount": "38000", "note": ""},
        {"item": "安装调试", "amount": "12000", "note": "含第三方厂商服务费"},
    ],
    "project_plan": "现场调研后 1 个月内完成端设备采购；2 个月内完成计量器具通讯改造与安装；"
    "随后与省平台联调并稳定上传 15 天。",
    "construction_period": "自方案定稿起 3 个月",
}
# 计量器具台账 of every demo enterprise: (name, number, model, class, energy, level, location,
# interface, days of validity left). Level 3 of natural gas and levels 2-3 of steam are
# missing, so the GB 17167 check has shortfalls to show; one meter expires soon.
METERS = [
    (
        "三相智能电能表",
        "DB-001",
        "DTZ341",
        "0.5S",
        "3300",
        1,
        "110kV 总降压站进线柜",
        "RS-485 Modbus-RTU",
        300,
    ),
    (
        "三相智能电能表",
        "DB-101",
        "DTSD341",
        "1.0",
        "3300",
        2,
        "一车间配电室进线",
        "RS-485 DL/T 645",
        200,
    ),
    (
        "多功能电力仪表",
        "DB-201",
        "PD194E",
        "1.0",
        "3300",
        3,
        "空压机房 2# 空压机",
        "RS-485 Modbus-RTU",
        20,
    ),
    (
        "气体涡轮流量计",
        "QL-001",
        "TBQM-100",
        "1.0",
        "1500",
        1,
        "天然气调压站总管",
        "RS-485 Modbus-RTU",
        280,
    ),
    ("气体涡轮流量计", "QL-101", "TBQM-50", "1.5", "1500", 2, "锅炉房天然气支管", "4-20mA", 150),
    (
        "蒸汽涡街流量计",
        "ZQ-001",
        "LUGB-150",
        "1.5",
        "3200",
        1,
        "外购蒸汽入厂总管",
        "RS-485 Modbus-RTU",
        240,
    ),
]
SURVEY = {
    "surveyors": "省计量院 张工、王工",
    "findings": "总降压站进线电能表、天然气调压站流量计和外购蒸汽流量计均具备 RS-485 通信接口；"
    "二级计量点位需增加通讯改造。",
}
FEEDBACK = {
    "can_finalise": True,
    "energy_types_correct": True,
    "collection_methods_correct": True,
    "instruments_correct": True,
    "construction_understood": True,
    "budget_understood": True,
    "planned_completion": date(2026, 6, 1),
    "contact_position": "能源管理员",
    "feedback_text": "",
}


def _pdf(name):
    return as_bytes_upload(name, PDF)


def seed(context, log=print):
    call_command("init_ca", "--if-missing", stdout=open("/dev/null", "w"))
    reviewer = User.objects.get(username="reviewer")
    reviewer2 = User.objects.get(username="reviewer2")
    developer = User.objects.get(username="operator")
    approved = context["approved"]
    plan = ["approved"] * APPROVED + LADDER
    connected, counts = [], {}
    for enterprise, state in zip(approved, plan, strict=False):
        if state == "approved":
            connected.append(enterprise)
        if DesignScheme.objects.filter(enterprise=enterprise).exists():
            continue
        member = User.objects.filter(
            role=Role.ENTERPRISE, memberships__enterprise=enterprise
        ).first()
        _bring_to(state, enterprise, member, reviewer, reviewer2, developer)
        counts[state] = counts.get(state, 0) + 1
    context["connected"] = connected
    for enterprise, state in zip(approved, plan, strict=False):
        if state in ("under_review", "returned", "sent"):
            user = User.objects.filter(memberships__enterprise=enterprise).first()
            logins = context["logins"]
            label = f"{enterprise.name}（{STATE_LABELS[state]}）"
            if user and all(row[0] != user.username for row in logins):
                logins.append((user.username, Role.ENTERPRISE.label, label))
    if counts:
        log("设计方案与对接申请：" + "，".join(f"{k} {v}" for k, v in counts.items()))


def _ledger(enterprise, member):
    today = timezone.localdate()
    for name, number, model, klass, energy, level, location, interface, days in METERS:
        if Meter.objects.filter(enterprise=enterprise, management_number=number).exists():
            continue
        create_meter(
            member,
            enterprise,
            {
                "name": name,
                "management_number": number,
                "model": model,
                "accuracy_class": klass,
                "energy_type": energy,
                "metering_level": level,
                "location": location,
                "interface": interface,
                "certificate_number": f"HBJL{today.year}-{enterprise.pk:03d}-{number}",
                "valid_until": today + timedelta(days=days),
            },
        )


def _bring_to(state, enterprise, member, reviewer, reviewer2, developer):
    content = dict(CONTENT)
    _ledger(enterprise, member or reviewer)
    # A draft still lacks two of its part documents (its page shows what is missing).
    kinds = SCHEME_PART_DOCUMENTS[:2] if state == "draft" else SCHEME_PART_DOCUMENTS
    parts = {kind: _pdf(f"{label}.pdf") for kind, label in kinds}
    scheme = create_scheme(reviewer, enterprise, content, _pdf("设计方案.pdf"), parts)
    record_site_survey(
        scheme, reviewer, {"surveyed_on": timezone.localdate() - timedelta(days=40), **SURVEY}
    )
    if state == "draft":
        return
    scheme = send_scheme(scheme, reviewer)
    if state == "sent":
        return
    feedback = {
        **FEEDBACK,
        "contact_person": enterprise.contact_person,
        "contact_phone": enterprise.contact_phone,
        "contact_email": enterprise.contact_email,
    }
    if state == "changes_requested":
        answer_scheme(
            scheme,
            member,
            {
                **feedback,
                "can_finalise": False,
                "instruments_correct": False,
                "feedback_text": "二期车间的蒸汽计量点未列入一级计量器具，请补充。",
            },
        )
        return
    scheme = answer_scheme(scheme, member, feedback)
    upload_feedback_stamp(scheme.feedback.first(), member, _pdf("反馈意见确认表（盖章）.pdf"))
    if state == "enterprise_confirmed":
        return
    scheme = confirm_scheme(scheme, reviewer)
    scheme = confirm_scheme(scheme, developer)
    if state == "finalised":
        return
    data = {
        "applicant_name": enterprise.name,
        "uscc": enterprise.uscc,
        "application_date": date(2026, 5, 6),
        "contact_person": enterprise.contact_person,
        "contact_phone": enterprise.contact_phone,
        "contact_email": enterprise.contact_email,
        "design_scheme": scheme,
        "builder_name": "湖北能联自动化工程有限公司",
        "builder_manager": "陈工",
        "builder_phone": "027-87650000",
        "builder_email": "pm@nenglian-demo.cn",
        "project_start": date(2026, 1, 10),
        "project_end": date(2026, 4, 30),
        "device_manufacturer": "武汉智测仪表有限公司",
        "device_model": "EMD-3000",
        "device_serial": f"HB-{enterprise.uscc[-6:]}-01",
        "device_manufactured_on": date(2025, 12, 1),
        "energy_types": ["3300", "1500", "3200"],
        "monitoring_points": 36,
        "om_contract_end": date(2029, 4, 30),
    }
    application = create_application(member, enterprise, data)
    if state == "application_draft":
        add_material(application, member, Material.CONSTRUCTION_CONTRACT, _pdf("合同.pdf"))
        return
    for kind in Material:
        upload = (
            as_bytes_upload("现场照片.png", PNG)
            if kind == Material.SITE_PHOTOS
            else _pdf(f"{kind.label}.pdf")
        )
        add_material(application, member, kind, upload)
    application = submit_application(application, member)
    if state == "submitted":
        return
    application = start_review(application, reviewer2)
    if state == "under_review":
        return
    if state == "returned":
        # The reason is composed from the material marked 需补正 (the workbench's verdicts).
        record_verdict(
            application,
            reviewer2,
            Material.DEVICE_TEST_REPORT,
            Verdict.NEEDS_CORRECTION,
            "为复印件且未盖章，请补充盖章版。",
        )
        return_application(application, reviewer2)
        return
    if state == "rejected":
        reject_application(
            application, reviewer2, "端设备未通过湖北省能耗监测端设备测试，不符合接入条件。"
        )
        return
    for kind in Material:
        record_verdict(application, reviewer2, kind, Verdict.ACCEPTABLE)
    application = approve_application(application, reviewer2, "材料齐全，同意接入。")
    # The stamped, signed 附表1 (表1 item 4 of the acceptance application later).
    upload_stamped_scan(application, member, _pdf("对接申请表（盖章签字）.pdf"))
    key = pki.generate_device_key("ec")
    csr = pki.make_csr(
        key,
        uscc=enterprise.uscc,
        device_serial=application.device_serial,
        enterprise_name=enterprise.name,
    )
    issue_certificate(enterprise, member, csr, application.device_serial)
    set_vpn_password(enterprise.vpn_account, member)
