"""Factories for design schemes and access applications, with traits for their states.

Protected FSM fields are written with a queryset update, as a finished workflow would have
left them; tests of the transitions themselves go through the services.
"""

from datetime import date, timedelta

import factory
from django.core.management import call_command
from django.utils import timezone
from factory.django import DjangoModelFactory

from applications.models import (
    SCHEME_PART_DOCUMENTS,
    AccessApplication,
    ApplicationState,
    DesignScheme,
    DeviceCertificate,
    Material,
    Meter,
    MeterLevel,
    Party,
    RootCertificate,
    SchemeConfirmation,
    SchemeState,
    SiteSurvey,
)
from portal.attachments import as_bytes_upload, save_attachment
from tests.portal.factories import EnterpriseFactory

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64

ENERGY = [
    {"energy_type": "3300", "collection_method": "meter"},
    {"energy_type": "1500", "collection_method": "info_system"},
]
INSTRUMENTS = [
    {
        "energy_type": "3300",
        "instrument": "三相智能电能表",
        "model": "DTZ341",
        "accuracy_class": "0.5S",
        "location": "110kV 总降压站进线",
    }
]
BUDGET = [{"item": "端设备及安装", "amount": "68000.00", "note": ""}]


def pdf(name="doc.pdf"):
    return as_bytes_upload(name, PDF_BYTES)


def png(name="photo.png"):
    return as_bytes_upload(name, PNG_BYTES)


def set_state(obj, state):
    type(obj).objects.filter(pk=obj.pk).update(state=state)
    return type(obj).objects.get(pk=obj.pk)


def make_root() -> RootCertificate:
    call_command("init_ca", "--if-missing", stdout=open("/dev/null", "w"))
    return RootCertificate.current()


class MeterFactory(DjangoModelFactory):
    """A 计量器具台账 row, valid for a year."""

    class Meta:
        model = Meter

    enterprise = factory.SubFactory(EnterpriseFactory)
    name = "三相智能电能表"
    management_number = factory.Sequence(lambda n: f"JL-{n + 1:04d}")
    model = "DTZ341"
    accuracy_class = "0.5S"
    energy_type = "3300"
    metering_level = MeterLevel.LEVEL1
    location = "110kV 总降压站进线"
    interface = "RS-485 Modbus-RTU"
    certificate_number = factory.Sequence(lambda n: f"JD2026-{n + 1:05d}")
    valid_until = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=365))


def complete_parts(scheme, actor=None):
    """The parts seed 4.1(2) asks of a scheme besides its lists: 现场调研, the four part
    documents, 建设周期, and a level-1 meter in the ledger for each energy type."""
    SiteSurvey.objects.get_or_create(
        scheme=scheme,
        defaults={
            "surveyed_on": date(2026, 1, 10),
            "surveyors": "张工、王工",
            "findings": "总降压站进线电能表和天然气流量计已具备通信接口。",
        },
    )
    for kind, _label in SCHEME_PART_DOCUMENTS:
        save_attachment(
            pdf(f"{kind}.pdf"), actor=actor, enterprise=scheme.enterprise, owner=scheme, kind=kind
        )
    held = set(
        Meter.objects.filter(enterprise=scheme.enterprise).values_list("energy_type", flat=True)
    )
    for code in scheme.energy_codes:
        if code not in held:
            MeterFactory(enterprise=scheme.enterprise, energy_type=code)
    if not scheme.construction_period:
        DesignScheme.objects.filter(pk=scheme.pk).update(construction_period="自方案定稿起 3 个月")
        scheme.construction_period = "自方案定稿起 3 个月"
    return scheme


class DesignSchemeFactory(DjangoModelFactory):
    class Meta:
        model = DesignScheme
        skip_postgeneration_save = True

    enterprise = factory.SubFactory(EnterpriseFactory)
    number = factory.Sequence(lambda n: f"NY2099-{n + 1:04d}")
    energy_types = factory.LazyFunction(lambda: [dict(r) for r in ENERGY])
    instruments = factory.LazyFunction(lambda: [dict(r) for r in INSTRUMENTS])
    budget_items = factory.LazyFunction(lambda: [dict(r) for r in BUDGET])
    project_plan = "2026 年 3 月完成端设备安装，4 月联调。"
    construction_period = "自方案定稿起 3 个月"
    # Not a model field: popped in _create, set by the traits.
    target_state = SchemeState.DRAFT

    class Params:
        sent = factory.Trait(target_state=SchemeState.SENT)
        finalised = factory.Trait(target_state=SchemeState.FINALISED)

    @factory.post_generation
    def document(obj, create, extracted, **kwargs):
        if create and extracted is not False:
            save_attachment(
                pdf("scheme.pdf"),
                actor=None,
                enterprise=obj.enterprise,
                owner=obj,
                kind="scheme_document",
            )

    @factory.post_generation
    def parts(obj, create, extracted, **kwargs):
        """The other parts (survey, part documents, ledger); parts=False leaves them out."""
        if create and extracted is not False:
            complete_parts(obj)

    @classmethod
    def _create(cls, model_class, *args, target_state=SchemeState.DRAFT, **kwargs):
        scheme = super()._create(model_class, *args, **kwargs)
        if target_state == SchemeState.FINALISED:
            for party in Party:
                SchemeConfirmation.objects.create(scheme=scheme, revision=1, party=party)
        if target_state != SchemeState.DRAFT:
            scheme = set_state(scheme, target_state)
        return scheme


def application_data(enterprise, scheme) -> dict:
    return {
        "applicant_name": enterprise.name,
        "uscc": enterprise.uscc,
        "application_date": date(2026, 5, 6),
        "contact_person": "李四",
        "contact_phone": "13800000000",
        "contact_email": "li@example.cn",
        "design_scheme": scheme,
        "builder_name": "武汉某某自动化有限公司",
        "builder_manager": "王五",
        "builder_phone": "13900000000",
        "builder_email": "wang@example.cn",
        "project_start": date(2026, 1, 10),
        "project_end": date(2026, 4, 30),
        "device_manufacturer": "湖北某某仪表有限公司",
        "device_model": "EMD-3000",
        "device_serial": "HB-DEV-000123",
        "device_manufactured_on": date(2025, 12, 1),
        "energy_types": ["3300", "1500"],
        "monitoring_points": 36,
        "om_contract_end": date(2029, 4, 30),
    }


def section_form(data: dict, section) -> dict:
    """The POST body of one section page of 附表1 (applications/sections.py)."""
    form = {}
    for name in section.fields:
        value = data[name]
        if name == "design_scheme":
            value = value.pk
        elif hasattr(value, "isoformat"):
            value = value.isoformat()
        form[name] = value
    return form


def add_all_materials(application, actor=None):
    for kind in Material:
        upload = png() if kind == Material.SITE_PHOTOS else pdf(f"{kind.value}.pdf")
        save_attachment(
            upload, actor=actor, enterprise=application.enterprise, owner=application, kind=kind
        )


class AccessApplicationFactory(DjangoModelFactory):
    class Meta:
        model = AccessApplication
        skip_postgeneration_save = True

    enterprise = factory.SubFactory(EnterpriseFactory)
    # Not model fields: popped in _create, set by the traits.
    target_state = ApplicationState.DRAFT
    with_materials = False

    class Params:
        submitted = factory.Trait(target_state=ApplicationState.SUBMITTED, with_materials=True)
        under_review = factory.Trait(
            target_state=ApplicationState.UNDER_REVIEW, with_materials=True
        )
        returned = factory.Trait(target_state=ApplicationState.RETURNED, with_materials=True)
        approved = factory.Trait(target_state=ApplicationState.APPROVED, with_materials=True)

    @classmethod
    def _create(
        cls,
        model_class,
        *args,
        target_state=ApplicationState.DRAFT,
        with_materials=False,
        **kwargs,
    ):
        enterprise = kwargs.pop("enterprise")
        scheme = kwargs.pop("design_scheme", None) or DesignSchemeFactory(
            enterprise=enterprise, finalised=True
        )
        data = {**application_data(enterprise, scheme), **kwargs}
        application = model_class.objects.create(enterprise=enterprise, **data)
        if with_materials:
            add_all_materials(application)
        if target_state != ApplicationState.DRAFT:
            AccessApplication.objects.filter(pk=application.pk).update(
                state=target_state, submitted_at=timezone.now()
            )
            application = AccessApplication.objects.get(pk=application.pk)
        return application


def stored_certificate(application, serial_hex: str, **kwargs) -> DeviceCertificate:
    """A certificate row without signing one (for list and scoping tests)."""
    return DeviceCertificate.objects.create(
        enterprise=application.enterprise,
        application=application,
        device_serial=application.device_serial,
        serial_hex=serial_hex,
        certificate_pem="-",
        fingerprint="-",
        not_before=timezone.now(),
        not_after=timezone.now() + timedelta(days=365),
        origin="csr",
        **kwargs,
    )
