"""Registry services: end devices and data items of an enterprise.

Plain functions that take the actor (never the request), write, and record an audit event.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from portal.attachments import save_attachment
from portal.models import AuditEvent

from ..models import EndDevice
from ..permissions import can_edit_registry, can_import_files


def require_editor(actor, enterprise) -> None:
    if not can_edit_registry(actor, enterprise):
        raise PermissionDenied(_("只有本企业的用户可以登记端设备和数据采集项。"))


def require_importer(actor, enterprise) -> None:
    """Imports (items, energy history): members of an approved enterprise only."""
    require_editor(actor, enterprise)
    if not can_import_files(actor, enterprise):
        raise PermissionDenied(_("企业注册通过审核后才能导入文件。"))


def save_device(actor, enterprise, form, test_report=None) -> EndDevice:
    """Create or update a device from a valid EndDeviceForm; ``test_report`` is an upload."""
    require_editor(actor, enterprise)
    creating = form.instance.pk is None
    with transaction.atomic():
        device = form.save(commit=False)
        device.enterprise = enterprise
        device.save()
        if test_report is not None:
            device.test_report = save_attachment(
                test_report, actor=actor, enterprise=enterprise, owner=device, kind="test_report"
            )
            device.save(update_fields=["test_report"])
        AuditEvent.record(
            device,
            actor,
            "device_registered" if creating else "device_updated",
            context={"serial": device.serial, "fields": form.changed_data},
        )
    return device


def certificates_by_serial(enterprise) -> dict[str, list]:
    """The enterprise's device certificates per device serial, newest first (one query)."""
    from applications.models import DeviceCertificate

    found: dict[str, list] = {}
    for cert in DeviceCertificate.objects.filter(enterprise=enterprise).order_by("-not_before"):
        found.setdefault(cert.device_serial, []).append(cert)
    return found
