"""An enterprise ready to apply for acceptance, and applications in each state."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from types import SimpleNamespace

import factory
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from factory.django import DjangoModelFactory

from acceptance.models import (
    AcceptanceApplication,
    AcceptanceState,
    CommissioningDocument,
    DeviceDocument,
    DevicePhoto,
    Material,
)
from acceptance.services.applications import add_material_file, prefill
from applications.models import SchemeFeedback
from telemetry.energy import load_energy_dictionary
from telemetry.models import EnergyType
from telemetry.services.energy_history import import_history

from ..applications.factories import AccessApplicationFactory, pdf, png
from ..portal.factories import EnterpriseFactory, member_of
from ..telemetry.factories import DataItemFactory, EndDeviceFactory, connection_for

CONNECTED_AT = datetime(2026, 6, 20, 9, 0, tzinfo=timezone.get_default_timezone())


def months(first: date, last: date):
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        yield f"{year}-{month:02d}"
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def history_upload(last=date(2026, 5, 1)):
    lines = ["月份,能源代码,实物量,计量单位"]
    lines += [f"{m},3300,2000000,kWh" for m in months(date(2016, 1, 1), last)]
    return SimpleUploadedFile("history.csv", ("\n".join(lines) + "\n").encode("utf-8-sig"))


@dataclass
class ReadyEnterprise:
    enterprise: object
    member: object
    access: object
    device: object


def ready_enterprise(**enterprise_kwargs) -> ReadyEnterprise:
    """Scheme finalised, 附表1 approved (serial HB-DEV-000123), one device registered with
    two items, connected on 2026-06-20, history 2016-01..2026-05 imported."""
    enterprise = EnterpriseFactory(**enterprise_kwargs)
    member = member_of(enterprise)
    access = AccessApplicationFactory(enterprise=enterprise, approved=True)
    device = EndDeviceFactory(enterprise=enterprise, serial=access.device_serial)
    if not EnergyType.objects.filter(dictionary__is_current=True, code="3300").exists():
        load_energy_dictionary()  # a transactional test's flush removed the migration's copy
    electricity = EnergyType.objects.get(dictionary__is_current=True, code="3300")
    DataItemFactory(enterprise=enterprise, device=device, energy_type=electricity)
    DataItemFactory(enterprise=enterprise, device=device, energy_type=electricity, metering_level=2)
    connection = connection_for(enterprise)
    connection.connected_at = CONNECTED_AT
    connection.save(update_fields=["connected_at"])
    import_history(member, enterprise, history_upload())
    SchemeFeedback.objects.create(
        scheme=access.design_scheme,
        revision=access.design_scheme.revision,
        can_finalise=True,
        energy_types_correct=True,
        collection_methods_correct=True,
        instruments_correct=True,
        construction_understood=True,
        budget_understood=True,
        planned_completion=date(2026, 4, 1),
        contact_person="李四",
        contact_phone="13800000000",
        contact_position="能源主管",
        contact_email="li@example.cn",
    )
    return ReadyEnterprise(enterprise, member, access, device)


def fake_report(number="HBJL-FH-2026-0001"):
    return SimpleNamespace(number=number, get_absolute_url=lambda: "/reports/1/")


def form_data(enterprise) -> dict:
    data = prefill(enterprise)
    data["summary"] = "完成端设备安装、数据采集与省平台对接。"
    data["investment"] = data["investment"] or "120000.00"
    return data


class AcceptanceApplicationFactory(DjangoModelFactory):
    class Meta:
        model = AcceptanceApplication

    enterprise = factory.SubFactory(EnterpriseFactory)
    project_location = "武汉市东湖新技术开发区"
    investment = "120000.00"
    owner_name = factory.LazyAttribute(lambda o: o.enterprise.name)
    owner_contact = "李四"
    owner_phone = "13800000000"
    builder_name = "武汉某某自动化有限公司"
    builder_contact = "王五"
    builder_phone = "13900000000"
    energy_coverage = factory.LazyFunction(lambda: ["electricity"])
    metering_levels = factory.LazyFunction(lambda: ["1", "2"])
    started_on = date(2026, 1, 10)
    completed_on = date(2026, 4, 30)
    summary = "完成端设备安装、数据采集与省平台对接。"
    collection_rows = factory.LazyFunction(lambda: [{"energy_type": "3300", "method": "meter"}])

    @classmethod
    def _create(cls, model_class, *args, state=AcceptanceState.DRAFT, **kwargs):
        application = super()._create(model_class, *args, **kwargs)
        if state != AcceptanceState.DRAFT:
            model_class.objects.filter(pk=application.pk).update(
                state=state, submitted_at=timezone.now()
            )
            application.refresh_from_db()
        return application


def upload_every_material(application, actor, device) -> None:
    """What the enterprise uploads itself: every part the portal does not hold."""
    add_material_file(application, actor, Material.STAMPED_FORM, "", pdf("form2.pdf"))
    add_material_file(application, actor, Material.OM_PLAN, "", pdf("om.pdf"))
    add_material_file(application, actor, Material.ACCESS_APPLICATION, "stamped", pdf("fb1.pdf"))
    add_material_file(application, actor, Material.SCHEME_CONFIRMATION, "stamped", pdf("71.pdf"))
    for document in DeviceDocument:
        add_material_file(
            application, actor, Material.DEVICE_QUALIFICATIONS, document, pdf(), device.pk
        )
    for document in (
        CommissioningDocument.DRAWINGS,
        CommissioningDocument.HANDOVER,
        CommissioningDocument.OPERATION_MANUAL,
    ):
        add_material_file(application, actor, Material.COMMISSIONING, document, pdf())
    for photo in DevicePhoto:
        add_material_file(application, actor, Material.DEVICE_PHOTOS, photo, png(), device.pk)


def proposal(**changes) -> dict:
    return {
        "scheduled_for": timezone.now() + timedelta(days=7),
        "place": "武汉市东湖新技术开发区 1 号楼会议室",
        "owner_representative": "李四",
        "owner_representative_title": "能源主管",
        "owner_representative_phone": "13800000000",
        "contractor_company": "武汉某某自动化有限公司",
        "contractor_representative": "王五",
        "contractor_phone": "13900000000",
        "contractor_email": "wang@example.cn",
        **changes,
    }
