"""附表1 against what the portal holds, shown to the reviewer before approval.

采集能源品种 against the finalised scheme, 监测点数量 against the registered data items (once
registered), 端设备编号 against the registered devices and the certificates' subjects, and
项目起止时间 against 申请日期 (the build must be finished when the enterprise applies).

Devices and data items live in telemetry, a floor above: telemetry fills `REGISTERED` in
its AppConfig.ready() (ADR 0008), so this module never imports it.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from portal.catalogue import energy_labels

from .models import DeviceCertificate

# "data_items": enterprise -> number of active data items registered;
# "device_serials": enterprise -> the serials of its active registered devices.
REGISTERED: dict[str, Callable] = {}

OK = "ok"
MISMATCH = "mismatch"
NOT_YET = "not_yet"


@dataclass(frozen=True)
class Check:
    key: str
    label: str
    status: str  # OK, MISMATCH or NOT_YET (nothing registered to compare with yet)
    detail: str

    @property
    def ok(self) -> bool:
        return self.status == OK


def _join(values) -> str:
    return pgettext("list separator", "；").join(values)


def _energy_check(application) -> Check:
    label = _("采集能源品种与设计方案")
    applied = set(application.energy_types or [])
    planned = set(application.design_scheme.energy_codes)
    if applied == planned:
        return Check(
            "energy_types",
            label,
            OK,
            _("与设计方案一致：%(e)s") % {"e": energy_labels(sorted(planned))},
        )
    parts = []
    if planned - applied:
        parts.append(
            _("设计方案有而申请表未填：%(e)s") % {"e": energy_labels(sorted(planned - applied))}
        )
    if applied - planned:
        parts.append(
            _("申请表有而设计方案没有：%(e)s") % {"e": energy_labels(sorted(applied - planned))}
        )
    return Check("energy_types", label, MISMATCH, _join(parts))


def _points_check(application) -> Check:
    label = _("监测点数量与已登记的采集项")
    counter = REGISTERED.get("data_items")
    count = counter(application.enterprise) if counter else 0
    if not count:
        return Check(
            "monitoring_points", label, NOT_YET, _("企业尚未登记数据采集项，登记后再核对。")
        )
    if count == application.monitoring_points:
        return Check(
            "monitoring_points",
            label,
            OK,
            _("已登记 %(n)s 个采集项，与申请表一致。") % {"n": count},
        )
    return Check(
        "monitoring_points",
        label,
        MISMATCH,
        _("申请表填写 %(a)s 个监测点，已登记 %(n)s 个采集项。")
        % {"a": application.monitoring_points, "n": count},
    )


def _device_check(application) -> Check:
    label = _("端设备编号与已登记的端设备及证书主题")
    serial = application.device_serial
    lister = REGISTERED.get("device_serials")
    devices = list(lister(application.enterprise)) if lister else []
    # The serialNumber each valid certificate's subject binds (stored when it was issued
    # from the subject, applications.services.certificates).
    subjects = list(
        DeviceCertificate.objects.filter(
            enterprise=application.enterprise, revoked_at__isnull=True, not_after__gt=timezone.now()
        )
        .order_by("device_serial")
        .values_list("device_serial", flat=True)
        .distinct()
    )
    if not devices and not subjects:
        return Check(
            "device_serial", label, NOT_YET, _("尚未登记端设备，也未签发端设备证书，登记后再核对。")
        )
    problems = []
    if devices and serial not in devices:
        problems.append(
            _("申请表端设备编号 %(s)s 不在已登记的端设备中（%(d)s）。")
            % {"s": serial, "d": _join(devices)}
        )
    if subjects and serial not in subjects:
        problems.append(
            _("有效证书的主题中没有端设备编号 %(s)s（证书主题中的编号：%(c)s）。")
            % {"s": serial, "c": _join(subjects)}
        )
    if problems:
        return Check("device_serial", label, MISMATCH, " ".join(problems))
    return Check(
        "device_serial", label, OK, _("端设备 %(s)s 已登记，证书主题一致。") % {"s": serial}
    )


def _period_check(application) -> Check:
    label = _("项目起止时间与申请日期")
    start, end, applied = (
        application.project_start,
        application.project_end,
        application.application_date,
    )
    if start is None or end is None:
        return Check("project_period", label, MISMATCH, _("申请表未填写项目起止时间。"))
    if end > applied:
        return Check(
            "project_period",
            label,
            MISMATCH,
            _("项目结束日期 %(e)s 晚于申请日期 %(a)s：端系统须建成后才能申请对接。")
            % {"e": end.isoformat(), "a": applied.isoformat()},
        )
    return Check(
        "project_period",
        label,
        OK,
        _("项目 %(s)s 至 %(e)s，已于申请日期 %(a)s 前完成。")
        % {"s": start.isoformat(), "e": end.isoformat(), "a": applied.isoformat()},
    )


def consistency(application) -> list[Check]:
    return [
        _energy_check(application),
        _points_check(application),
        _device_check(application),
        _period_check(application),
    ]
