"""The acceptance application (附表2): pre-filling, filing, materials and the review.

Each operation is one transaction; transitions go through portal.workflow.run_transition.
"""

from decimal import Decimal, InvalidOperation
from functools import partial

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from applications.models import AccessApplication, DesignScheme, SchemeState
from portal.attachments import DOCUMENTS, IMAGES, save_attachment
from portal.catalogue import CollectionMethod, EnergyCode, energy_label
from portal.models import AuditEvent, Enterprise
from portal.permissions import can_file_for
from portal.workflow import RefusalReason, TransitionRefused
from telemetry.models import DataItem, EndDevice

from ..models import (
    AcceptanceApplication,
    AcceptanceState,
    CommissioningDocument,
    CoverageEnergy,
    DeviceDocument,
    DevicePhoto,
    Material,
    MaterialFile,
    MeteringLevel,
)
from ..models.application import FORM_FIELDS

FIELDS = (*FORM_FIELDS, "no_change_declared")
# The fields pre-filled from other records: a reviewer sees where the enterprise differs.
PREFILLED = tuple(f for f in FIELDS if f not in ("summary", "energy_other", "no_change_declared"))

# 附表2 覆盖能源品种 from the national energy codes (docs/acceptance.md): 电 = 3300;
# 天然气 = 1500 / 1600 / 1700; 煤 = 0100-1000; 油 = 1800-3100; everything else 其他.
GAS_CODES = {"1500", "1600", "1700"}


def coverage_of(code: str) -> CoverageEnergy:
    if code == EnergyCode.ELECTRICITY:
        return CoverageEnergy.ELECTRICITY
    if code in GAS_CODES:
        return CoverageEnergy.NATURAL_GAS
    if code.isdigit() and 100 <= int(code) <= 1000:
        return CoverageEnergy.COAL
    if code.isdigit() and 1800 <= int(code) <= 3100:
        return CoverageEnergy.OIL
    return CoverageEnergy.OTHER


def application_link(application) -> str:
    return reverse("acceptance:application_detail", args=[application.pk])


def refused(detail, field="state") -> TransitionRefused:
    return TransitionRefused(RefusalReason.CONDITION_UNMET, field=field, detail=detail)


# --- pre-filling --------------------------------------------------------------------------


def prefill(enterprise: Enterprise) -> dict:
    """附表2 as the portal's records fill it: the enterprise, 附表1, the scheme, the items."""
    access = AccessApplication.objects.approved_for(enterprise)
    scheme = (
        DesignScheme.objects.filter(enterprise=enterprise, state=SchemeState.FINALISED)
        .order_by("-finalised_at")
        .first()
    )
    items = DataItem.objects.filter(enterprise=enterprise, is_active=True)
    item_codes = set(items.exclude(energy_type=None).values_list("energy_type__code", flat=True))
    codes = item_codes or set(access.energy_types if access else [])
    rows = sorted(
        {
            (code, method)
            for code, method in items.exclude(energy_type=None).values_list(
                "energy_type__code", "collection_method"
            )
        }
    ) or [
        (row.get("energy_type"), row.get("collection_method"))
        for row in (scheme.energy_types if scheme else [])
    ]
    data = {
        "project_location": enterprise.address,
        "investment": scheme_budget(scheme),
        "owner_name": enterprise.name,
        "owner_contact": access.contact_person if access else enterprise.contact_person,
        "owner_phone": access.contact_phone if access else enterprise.contact_phone,
        "builder_name": access.builder_name if access else "",
        "builder_contact": access.builder_manager if access else "",
        "builder_phone": access.builder_phone if access else "",
        "energy_coverage": sorted(
            {coverage_of(code).value for code in codes},
            key=[c.value for c in CoverageEnergy].index,
        ),
        # 其他 names what it covers (the form asks for it whenever 其他 is ticked).
        "energy_other": "、".join(
            sorted({energy_label(c) for c in codes if coverage_of(c) == CoverageEnergy.OTHER})
        ),
        "metering_levels": sorted(
            {str(level) for level in items.values_list("metering_level", flat=True)}
        ),
        "started_on": access.project_start if access else None,
        "completed_on": access.project_end if access else None,
        "collection_rows": [
            {"energy_type": code, "method": method}
            for code, method in rows
            if code in EnergyCode.values and method in CollectionMethod.values
        ],
    }
    return data


def scheme_budget(scheme) -> Decimal | None:
    if scheme is None or not scheme.budget_items:
        return None
    try:
        return sum(
            (Decimal(str(row.get("amount") or 0)) for row in scheme.budget_items), Decimal(0)
        )
    except InvalidOperation:
        return None


def as_json(value):
    """A field value as stored in ``sources`` (JSON)."""
    if value is None or isinstance(value, (str, bool, int, list, dict)):
        return value
    return str(value)


def differences(application) -> list[dict]:
    """The pre-filled fields the enterprise changed: [{field, label, source, value}]."""
    changed = []
    for name in PREFILLED:
        if name not in application.sources:
            continue
        value = as_json(getattr(application, name))
        if value != application.sources[name]:
            changed.append(
                {
                    "field": name,
                    "label": AcceptanceApplication._meta.get_field(name).verbose_name,
                    "source": application.sources[name],
                    "value": value,
                }
            )
    return changed


# --- filing -------------------------------------------------------------------------------


def check_data(data: dict) -> None:
    """Rules of 附表2 that one field cannot check alone."""
    errors = {}
    started, completed = data.get("started_on"), data.get("completed_on")
    if started and completed and completed < started:
        errors["completed_on"] = _("完工日期不能早于开工日期。")
    if completed and completed > timezone.localdate():
        errors["completed_on"] = _("完工日期不能晚于今天：验收申请须在系统建成后提交。")
    coverage = data.get("energy_coverage")
    if coverage is not None:
        if not coverage:
            errors["energy_coverage"] = _("请至少选择一种覆盖能源品种。")
        elif not set(coverage) <= set(CoverageEnergy.values):
            errors["energy_coverage"] = _("未知的能源品种。")
        elif CoverageEnergy.OTHER in coverage and not (data.get("energy_other") or "").strip():
            errors["energy_other"] = _("选择“其他”时请写明能源品种。")
    levels = data.get("metering_levels")
    if levels is not None:
        if not levels:
            errors["metering_levels"] = _("请至少选择一个能源计量等级。")
        elif not set(levels) <= set(MeteringLevel.values):
            errors["metering_levels"] = _("未知的能源计量等级。")
    rows = data.get("collection_rows")
    if rows is not None:
        if not rows:
            errors["collection_rows"] = _("请至少填写一行数据采集方式。")
        for row in rows:
            if (
                row.get("energy_type") not in EnergyCode.values
                or row.get("method") not in CollectionMethod.values
            ):
                errors["collection_rows"] = _("数据采集方式每行须选择能源品种和对接方式。")
                break
        pairs = [(r.get("energy_type"), r.get("method")) for r in rows]
        if len(pairs) != len(set(pairs)):
            errors["collection_rows"] = _("数据采集方式有重复的行。")
    if errors:
        raise ValidationError(errors)


CLOSED = (AcceptanceState.PASSED, AcceptanceState.FAILED)


def open_application(enterprise):
    """The application still in progress (at most one at a time)."""
    return (
        AcceptanceApplication.objects.filter(enterprise=enterprise)
        .exclude(state__in=CLOSED)
        .first()
    )


def create_application(actor, enterprise, data: dict) -> AcceptanceApplication:
    if not can_file_for(actor, enterprise):
        raise PermissionDenied(_("只有已审核通过企业的成员可以提交验收申请。"))
    check_data(data)
    with transaction.atomic():
        # Lock the enterprise: with no application yet there is no row of ours to lock.
        Enterprise.objects.select_for_update().filter(pk=enterprise.pk).first()
        existing = open_application(enterprise)
        if existing is not None:
            raise refused(
                _("本企业已有未完成的验收申请（状态：%(s)s），不能重复创建。")
                % {"s": existing.get_state_display()}
            )
        latest = AcceptanceApplication.objects.filter(enterprise=enterprise, state__in=CLOSED)
        latest = latest.order_by("-submitted_at", "-pk").first()
        if latest is not None and latest.state == AcceptanceState.PASSED:
            raise refused(_("本企业已通过验收，无需再次申请。"))
        sources = {name: as_json(value) for name, value in prefill(enterprise).items()}
        application = AcceptanceApplication.objects.create(
            enterprise=enterprise,
            created_by=actor,
            previous=latest,  # a new 附表2 after a failed acceptance links to that one
            sources=sources,
            **{name: data[name] for name in FIELDS if name in data},
        )
        AuditEvent.record(application, actor, "acceptance_created", to_state=application.state)
    return application


def _locked_editable(application, actor) -> AcceptanceApplication:
    locked = AcceptanceApplication.objects.select_for_update().get(pk=application.pk)
    if not can_file_for(actor, locked.enterprise):
        raise TransitionRefused(RefusalReason.NOT_PERMITTED)
    if not locked.is_editable:
        raise TransitionRefused(RefusalReason.WRONG_STATE, state=locked.get_state_display())
    return locked


def update_application(application, actor, data: dict) -> AcceptanceApplication:
    with transaction.atomic():
        locked = _locked_editable(application, actor)
        kept = {name: getattr(locked, name) for name in FIELDS}
        check_data({**kept, **data})
        changed = [n for n in FIELDS if n in data and getattr(locked, n) != data[n]]
        for name in changed:
            setattr(locked, name, data[name])
        locked.save()
        AuditEvent.record(
            locked, actor, "acceptance_updated", to_state=locked.state, context={"fields": changed}
        )
    return locked


# --- materials ----------------------------------------------------------------------------

PARTS = {
    Material.STAMPED_FORM: {""},
    Material.SERVICE_CONTRACT: {""},
    Material.AUTHENTICITY_PLEDGE: {""},
    Material.OM_PLAN: {""},
    Material.ACCESS_APPLICATION: {"stamped"},
    Material.SCHEME_CONFIRMATION: {"stamped"},
    Material.DEVICE_QUALIFICATIONS: set(DeviceDocument.values),
    Material.COMMISSIONING: set(CommissioningDocument.values),
    Material.DEVICE_PHOTOS: set(DevicePhoto.values),
}
PER_DEVICE = {Material.DEVICE_QUALIFICATIONS, Material.DEVICE_PHOTOS}


def add_material_file(application, actor, material: str, part: str, upload, device_id=None):
    """Store one file for a 表1 line; refused with a reason for a line the portal fills."""
    if material not in PARTS:
        raise ValidationError({"material": _("该材料由省平台自动附上，无需上传。")})
    if part not in PARTS[material]:
        raise ValidationError({"part": _("该材料没有这一分项。")})
    with transaction.atomic():
        locked = _locked_editable(application, actor)
        device = None
        if material in PER_DEVICE:
            device = EndDevice.objects.filter(
                enterprise=locked.enterprise, is_active=True, pk=device_id
            ).first()
            if device is None:
                raise ValidationError({"device": _("请选择本企业已登记的端设备。")})
        allowed = IMAGES if material == Material.DEVICE_PHOTOS else DOCUMENTS
        attachment = save_attachment(
            upload,
            actor=actor,
            enterprise=locked.enterprise,
            owner=locked,
            kind=f"acceptance:{material}",
            allowed=allowed,
        )
        stamps = locked.form_sha256() if material == Material.STAMPED_FORM else ""
        return MaterialFile.objects.create(
            application=locked,
            material=material,
            part=part,
            device=device,
            attachment=attachment,
            stamps_sha256=stamps,
        )


def remove_material_file(application, actor, material_file) -> None:
    with transaction.atomic():
        locked = _locked_editable(application, actor)
        if material_file.application_id != locked.pk:
            raise PermissionDenied
        attachment = material_file.attachment
        AuditEvent.record(
            locked,
            actor,
            "acceptance_material_removed",
            comment=attachment.original_name,
            context={"material": material_file.material, "sha256": attachment.sha256},
        )
        attachment.delete()  # cascades to the MaterialFile row
        transaction.on_commit(partial(attachment.file.delete, save=False))
