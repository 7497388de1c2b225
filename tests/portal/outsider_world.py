"""Records of another enterprise (Yichang) for the outsider walk (test_outsider_walk.py): one
of every model that has a scoper (a `*_visible_to` function in some app's permissions.py),
plus the few others an object URL names, each made by the factories.

To register a new model: add a builder to BUILDERS (a function of the world built so far,
returning a saved record of the other enterprise); builders run in order, so a record can
use the ones above it."""

from datetime import date, timedelta

from axes.models import AccessAttempt
from django.utils import timezone

from acceptance.models import (
    AcceptanceApplication,
    AcceptanceReport,
    AnnualAudit,
    AuditAnswer,
    AuditPlan,
    ChecklistItem,
    Dossier,
    MaterialFile,
    OnSiteAcceptance,
    RectificationNotice,
    RectificationReport,
)
from applications.models import (
    AccessApplication,
    ChangeRecord,
    DesignScheme,
    DeviceCertificate,
    Meter,
    SchemeFeedback,
    VpnAccount,
)
from applications.services.schemes import add_change_record
from portal.attachments import attachments_of
from portal.models import (
    Attachment,
    AuditEvent,
    Enterprise,
    Membership,
    Notification,
    Region,
)
from reports.models import DocumentKind, IssuedDocument
from telemetry.models import (
    Connection,
    DataItem,
    EndDevice,
    HistoricalEnergyImport,
    ItemChangeRequest,
    OutageNotice,
    RelayFlag,
    TrialRun,
    UploadBatch,
)
from telemetry.models.trial import TrialStatus
from tests.acceptance.factories import AcceptanceApplicationFactory
from tests.applications.factories import (
    AccessApplicationFactory,
    MeterFactory,
    pdf,
    stored_certificate,
)
from tests.portal.factories import EnterpriseFactory, member_of
from tests.telemetry.factories import (
    EndDeviceFactory,
    realtime_item,
    trial_connection,
    vpn_account_for,
)

START = date(2026, 3, 1)
# Unique text of the other enterprise: no page or API answer to an outsider may contain it.
MARKER = "外域企业-OUTSIDER-MARKER"


def _enterprise(w):
    return EnterpriseFactory(region=Region.YICHANG, name=MARKER, registration_status="approved")


def _membership(w):
    w["member"] = member_of(w[Enterprise])
    return Membership.objects.get(user=w["member"])


def _application(w):
    return AccessApplicationFactory(enterprise=w[Enterprise], submitted=True)


def _scheme(w):
    return w[AccessApplication].design_scheme


def _change_record(w):
    return add_change_record(
        w[DesignScheme],
        w["member"],
        {"changed_on": START, "content": "更换表计", "reason": "损坏", "unit": "施工单位"},
        pdf("签章.pdf"),
    )


def _meter(w):
    return MeterFactory(enterprise=w[Enterprise], name=MARKER)


def _attachment(w):
    return attachments_of(w[AccessApplication]).filter(mime_type="application/pdf").first()


def _audit_event(w):
    from django.contrib.contenttypes.models import ContentType

    return AuditEvent.objects.filter(enterprise=w[Enterprise]).first() or AuditEvent.objects.create(
        enterprise=w[Enterprise],
        event="test",
        actor=w["member"],
        content_type=ContentType.objects.get_for_model(Enterprise),
        object_id=w[Enterprise].pk,
    )


def _notification(w):
    return Notification.objects.create(
        recipient=w["member"], title=MARKER, link=f"/enterprises/{w[Enterprise].pk}/"
    )


def _certificate(w):
    return stored_certificate(w[AccessApplication], "0a1b2c3d")


def _vpn(w):
    return vpn_account_for(w[Enterprise])


def _connection(w):
    return trial_connection(w[Enterprise], START)


def _trial_run(w):
    return TrialRun.objects.create(
        connection=w[Connection],
        number=1,
        started_on=START,
        ends_on=START + timedelta(days=14),
        status=TrialStatus.RUNNING,
    )


def _device(w):
    return EndDeviceFactory(enterprise=w[Enterprise])


def _item(w):
    return realtime_item(w[Enterprise], device=w[EndDevice])


def _item_change(w):
    return ItemChangeRequest.objects.create(
        enterprise=w[Enterprise],
        item=w[DataItem],
        kind="deactivate",
        stat_type=0,
        interval_minutes=15,
        is_active=False,
        requested_on=START,
        effective_on=START,
        reason="测试停用",
    )


def _upload_batch(w):
    now = timezone.now()
    return UploadBatch.objects.create(
        enterprise=w[Enterprise],
        device=w[EndDevice],
        message_id="outsider-msg-1",
        body_sha256="0" * 64,
        raw_body=b'{"records": []}',
        cert_serial="0a1b",
        sent_at=now,
        received_at=now,
    )


def _outage(w):
    now = timezone.now()
    return OutageNotice.objects.create(
        enterprise=w[Enterprise],
        device=w[EndDevice],
        starts_at=now,
        expected_end=now + timedelta(hours=8),
        reason="计划检修",
        filed_by=w["member"],
    )


def _energy_import(w):
    from telemetry.models.energy_history import EnergyStructure

    imported = HistoricalEnergyImport.objects.create(
        enterprise=w[Enterprise], original_name="历史能耗.xlsx", uploaded_by=w["member"]
    )
    EnergyStructure.objects.create(
        enterprise=w[Enterprise],
        source=imported,
        first_month=date(2025, 1, 1),
        last_month=date(2025, 12, 1),
        total_tce=100,
    )
    return imported


def _relay_flag(w):
    now = timezone.now()
    return RelayFlag.objects.create(
        enterprise=w[Enterprise], source_ip="203.0.113.9", first_seen=now, last_seen=now
    )


def _lockout(w):
    return AccessAttempt.objects.create(
        username=w["member"].username,
        ip_address="203.0.113.10",
        user_agent="test",
        failures_since_start=9,
    )


def _feedback(w):
    return SchemeFeedback.objects.create(
        scheme=w[DesignScheme],
        revision=1,
        can_finalise=True,
        energy_types_correct=True,
        collection_methods_correct=True,
        instruments_correct=True,
        construction_understood=True,
        budget_understood=True,
        planned_completion=START,
        contact_person="李四",
        contact_phone="13800000000",
        contact_position="主管",
        contact_email="li@example.cn",
    )


def _document(w):
    document = IssuedDocument.objects.create(
        kind=DocumentKind.CONFORMANCE,
        enterprise=w[Enterprise],
        connection=w[Connection],
        trial_run=w[TrialRun],
        title=MARKER,
        content={"enterprise": {"name": MARKER}},
    )
    # Issued (its state is protected): the public verification page has a number to find.
    IssuedDocument.objects.filter(pk=document.pk).update(state="issued", number="HBJL-FH-2099-0999")
    return IssuedDocument.objects.get(pk=document.pk)


def _acceptance(w):
    return AcceptanceApplicationFactory(enterprise=w[Enterprise], state="submitted")


def _material_file(w):
    from portal.attachments import save_attachment

    application = w[AcceptanceApplication]
    attachment = save_attachment(
        pdf("om.pdf"), actor=None, enterprise=w[Enterprise], owner=application, kind="acceptance"
    )
    return MaterialFile.objects.create(
        application=application, material="12_om_plan", attachment=attachment
    )


def _onsite(w):
    return OnSiteAcceptance.objects.create(
        application=w[AcceptanceApplication],
        scheduled_for=timezone.now() + timedelta(days=3),
        place=MARKER,
        owner_representative="李四",
        owner_representative_title="主管",
        owner_representative_phone="13800000000",
        contractor_company="承建公司",
        contractor_representative="王五",
        contractor_phone="13900000000",
        contractor_email="wang@example.cn",
    )


def _acceptance_report(w):
    return AcceptanceReport.objects.create(
        onsite=w[OnSiteAcceptance],
        project_name="能耗在线监测企业接入端系统",
        owner_name=MARKER,
        contractor_name="承建公司",
        place=MARKER,
        held_on=START,
    )


def _notice(w):
    return RectificationNotice.objects.create(
        enterprise=w[Enterprise],
        occasion="acceptance",
        application=w[AcceptanceApplication],
        occasion_date=START,
        situations={"4": MARKER},
        consequence="验收申请驳回",
        deadline=START + timedelta(days=90),
    )


def _audit_plan(w):
    return AuditPlan.objects.create(year=2099, deadline=date(2099, 3, 1))


def _audit(w):
    return AnnualAudit.objects.create(plan=w[AuditPlan], enterprise=w[Enterprise])


def _audit_answer(w):
    item = ChecklistItem.objects.create(plan=w[AuditPlan], text=MARKER, version=99)
    return AuditAnswer.objects.create(audit=w[AnnualAudit], item=item, answer=MARKER)


def _rectification_report(w):
    return RectificationReport.objects.create(
        notice=w[RectificationNotice], round=1, description=MARKER
    )


def _dossier(w):
    from django.core.files.base import ContentFile

    dossier = Dossier(enterprise=w[Enterprise], status="done", progress=100, entries=1)
    dossier.file.save("other.zip", ContentFile(MARKER.encode()), save=False)
    dossier.save()
    return dossier


BUILDERS = {
    Enterprise: _enterprise,
    Membership: _membership,
    AccessApplication: _application,
    DesignScheme: _scheme,
    ChangeRecord: _change_record,
    Meter: _meter,
    Attachment: _attachment,
    AuditEvent: _audit_event,
    Notification: _notification,
    DeviceCertificate: _certificate,
    VpnAccount: _vpn,
    Connection: _connection,
    TrialRun: _trial_run,
    EndDevice: _device,
    DataItem: _item,
    ItemChangeRequest: _item_change,
    UploadBatch: _upload_batch,
    OutageNotice: _outage,
    HistoricalEnergyImport: _energy_import,
    RelayFlag: _relay_flag,
    AccessAttempt: _lockout,
    SchemeFeedback: _feedback,
    IssuedDocument: _document,
    AcceptanceApplication: _acceptance,
    MaterialFile: _material_file,
    OnSiteAcceptance: _onsite,
    AcceptanceReport: _acceptance_report,
    RectificationNotice: _notice,
    AuditPlan: _audit_plan,
    AnnualAudit: _audit,
    AuditAnswer: _audit_answer,
    RectificationReport: _rectification_report,
    Dossier: _dossier,
}


def build_other_world() -> dict:
    world: dict = {}
    for model, build in BUILDERS.items():
        record = build(world)
        assert isinstance(record, model) and record.pk, f"builder of {model.__name__}"
        world[model] = record
    return world
