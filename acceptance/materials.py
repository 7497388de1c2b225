"""表1: what each material line of an acceptance application holds, and what is missing.

What the portal already holds (the finalised scheme, confirmed change records, the approved
附表1 and its materials, the 7.1 sheet, the history import, the conformance report) is
attached with its provenance and never asked for again; the enterprise uploads the rest.
Read-only: the checklist is computed, never stored, so it always says what holds now.
"""

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Count
from django.db.models.functions import TruncMonth
from django.urls import reverse
from django.utils.translation import gettext as _

from applications.models import (
    AccessApplication,
    ChangeRecord,
    ChangeState,
    DesignScheme,
    SchemeFeedback,
    SchemeState,
)
from applications.models import Material as AccessMaterial
from telemetry.models import EndDevice, HistoricalEnergyRecord
from telemetry.services.energy_history import current_import, history_cutoff

from .choices import (
    REQUIRED_COMMISSIONING,
    CommissioningDocument,
    DeviceDocument,
    DevicePhoto,
    Material,
)

HISTORY_FROM = date(2016, 1, 1)  # 表1 item 10: from January 2016
# Files of 附表1 that stand for a 表1 line (the same paper, never uploaded twice).
FROM_ACCESS_APPLICATION = {
    Material.SERVICE_CONTRACT: AccessMaterial.CONSTRUCTION_CONTRACT,
    Material.AUTHENTICITY_PLEDGE: AccessMaterial.AUTHENTICITY_PLEDGE,
}
# Stamped scans other records may carry (kinds of portal.Attachment).
STAMPED_APPLICATION_KINDS = ("stamped_application", "stamped_access_application")
STAMPED_FEEDBACK_KINDS = ("stamped_feedback", "stamped_scheme_feedback")
STAMPED = "stamped"  # the part name of an uploaded stamped scan


@dataclass
class Held:
    """Something the portal holds that stands for (part of) a line."""

    label: str
    url: str = ""


@dataclass
class Part:
    """One document a line needs: held by the portal, uploaded, or still missing."""

    key: str  # the MaterialFile.part value ("" for a single-file line)
    label: str
    required: bool = True
    device_id: int | None = None
    held: list[Held] = field(default_factory=list)
    files: list = field(default_factory=list)  # MaterialFile rows
    images_only: bool = False

    @property
    def satisfied(self) -> bool:
        return bool(self.held or self.files) or not self.required


@dataclass
class Line:
    material: Material
    parts: list[Part]
    problems: list[str] = field(default_factory=list)
    uploads: bool = True  # False: only the portal can fill it

    @property
    def code(self) -> str:
        return self.material.value

    @property
    def label(self) -> str:
        return self.material.label

    @property
    def complete(self) -> bool:
        return not self.problems and all(part.satisfied for part in self.parts)

    @property
    def missing(self) -> list[Part]:
        return [part for part in self.parts if not part.satisfied]


@dataclass
class Checklist:
    lines: list[Line]

    @property
    def complete(self) -> bool:
        return all(line.complete for line in self.lines)

    @property
    def done(self) -> int:
        return sum(line.complete for line in self.lines)

    @property
    def missing(self) -> list[Line]:
        return [line for line in self.lines if not line.complete]

    def line(self, code: str) -> Line | None:
        return next((line for line in self.lines if line.code == code), None)


def conformance_report_for(enterprise):
    """The enterprise's issued, unrevoked 附件1, or None (the entry condition, seed 5.3)."""
    from reports.services.documents import valid_conformance_report

    return valid_conformance_report(enterprise)


def current_verdicts(application) -> dict[str, str]:
    """The reviewer's verdict per material for the application's latest submission."""
    if application.submitted_at is None:
        return {}
    return dict(
        application.verdicts.filter(submitted_at=application.submitted_at).values_list(
            "material", "verdict"
        )
    )


def checklist(application) -> Checklist:
    """Every 表1 line with what stands for it now (a handful of queries, none per line)."""
    enterprise = application.enterprise
    files = list(application.material_files.select_related("attachment", "device"))
    access = AccessApplication.objects.approved_for(enterprise)
    access_files = {a.kind: a for a in access.attachments.all()} if access is not None else {}
    scheme = (
        DesignScheme.objects.filter(enterprise=enterprise, state=SchemeState.FINALISED)
        .order_by("-finalised_at")
        .first()
    )
    devices = list(
        EndDevice.objects.filter(enterprise=enterprise, is_active=True).order_by("serial")
    )
    lines = [
        _stamped_form_line(application, files),
        _scheme_line(scheme),
        _change_line(application, scheme),
        _single_line(Material.SERVICE_CONTRACT, files, access, access_files),
        _access_line(access, access_files, files),
        _confirmation_line(scheme, files),
        _single_line(Material.AUTHENTICITY_PLEDGE, files, access, access_files),
        _qualification_line(devices, files),
        _commissioning_line(files),
        _photo_line(devices, files, access),
        _history_line(enterprise),
        _report_line(enterprise),
        _single_line(Material.OM_PLAN, files, None, {}),
    ]
    return Checklist(lines)


def _files(files, material, part="", device_id=None) -> list:
    return [
        f
        for f in files
        if f.material == material
        and f.part == part
        and (device_id is None or f.device_id == device_id)
    ]


def _stamped_form_line(application, files) -> Line:
    """附表2 printed, stamped by both parties and uploaded; a scan of an older version of the
    form (the form changed since) no longer counts."""
    part = Part("", _("双方盖章的附表2扫描件"))
    current = application.form_sha256()
    part.files = [f for f in _files(files, Material.STAMPED_FORM) if f.stamps_sha256 == current]
    line = Line(Material.STAMPED_FORM, [part])
    if not part.files and _files(files, Material.STAMPED_FORM):
        line.problems.append(_("申请表在盖章后有修改，请重新打印盖章后上传。"))
    return line


def _scheme_line(scheme) -> Line:
    part = Part("", _("定稿的系统设计方案"))
    if scheme is not None:
        url = reverse("applications:scheme_detail", args=[scheme.pk])
        part.held.append(
            Held(
                _("设计方案 %(n)s（第 %(r)s 版，已定稿）")
                % {"n": scheme.number, "r": scheme.revision},
                url,
            )
        )
    return Line(Material.SCHEME, [part], uploads=False)


def _change_line(application, scheme) -> Line:
    part = Part("", _("已确认的变更记录，或无变更声明"))
    line = Line(Material.CHANGE_RECORDS, [part], uploads=False)
    if scheme is None:
        return line
    counts = dict(
        ChangeRecord.objects.filter(scheme__enterprise=scheme.enterprise)
        .values_list("state")
        .annotate(n=Count("pk"))
    )
    url = reverse("applications:scheme_detail", args=[scheme.pk])
    if counts.get(ChangeState.CONFIRMED):
        part.held.append(
            Held(_("已确认的变更记录 %(n)s 条") % {"n": counts[ChangeState.CONFIRMED]}, url)
        )
    elif application.no_change_declared:
        part.held.append(Held(_("企业声明：实施过程中无方案变更")))
    if counts.get(ChangeState.PROPOSED):
        line.problems.append(
            _("有 %(n)s 条变更记录尚待省计量院确认。") % {"n": counts[ChangeState.PROPOSED]}
        )
    return line


def _single_line(material, files, access, access_files) -> Line:
    part = Part("", material.label)
    part.files = _files(files, material)
    source = FROM_ACCESS_APPLICATION.get(material)
    if source and source in access_files and not part.files:
        url = reverse("applications:application_detail", args=[access.pk])
        part.held.append(
            Held(
                _("对接申请表（附表1）材料：%(f)s") % {"f": access_files[source].original_name}, url
            )
        )
    return Line(material, [part])


def _access_line(access, access_files, files) -> Line:
    form = Part("form", _("审核通过的对接申请表（附表1）"))
    stamped = Part(STAMPED, _("加盖公章的附表1扫描件"))
    stamped.files = _files(files, Material.ACCESS_APPLICATION, STAMPED)
    if access is not None:
        url = reverse("applications:application_detail", args=[access.pk])
        form.held.append(
            Held(
                _("对接申请表（%(d)s 审核通过）")
                % {"d": access.reviewed_at.date() if access.reviewed_at else ""},
                url,
            )
        )
        scans = [access_files[kind] for kind in STAMPED_APPLICATION_KINDS if kind in access_files]
        if scans and not stamped.files:
            # The scan the enterprise uploaded after approval counts only while it stamps
            # the approved version of the form (its SHA-256).
            if access.stamped_scan_is_current():
                stamped.held.append(Held(scans[0].original_name, url))
            else:
                line = Line(Material.ACCESS_APPLICATION, [form, stamped])
                line.problems.append(_("附表1盖章扫描件与审核通过的版本不一致，请重新上传。"))
                return line
    return Line(Material.ACCESS_APPLICATION, [form, stamped])


def _confirmation_line(scheme, files) -> Line:
    form = Part("form", _("定稿版本的反馈意见确认表（7.1）"))
    stamped = Part(STAMPED, _("加盖公章的确认表扫描件"))
    stamped.files = _files(files, Material.SCHEME_CONFIRMATION, STAMPED)
    if scheme is not None:
        feedback = (
            SchemeFeedback.objects.filter(scheme=scheme, revision=scheme.revision)
            .order_by("-submitted_at")
            .first()
        )
        if feedback is not None:
            url = reverse("applications:scheme_detail", args=[scheme.pk])
            form.held.append(
                Held(
                    _("第 %(r)s 版确认表，%(d)s 提交")
                    % {"r": feedback.revision, "d": feedback.submitted_at.date()},
                    url,
                )
            )
            held_scans = [a for a in scheme.attachments.all() if a.kind in STAMPED_FEEDBACK_KINDS]
            if held_scans and not stamped.files:
                stamped.held.append(Held(held_scans[0].original_name, url))
    return Line(Material.SCHEME_CONFIRMATION, [form, stamped])


def device_models(devices) -> list:
    """One representative device per (manufacturer, model): item 7 is per model."""
    seen = {}
    for device in devices:
        seen.setdefault((device.manufacturer, device.model), device)
    return list(seen.values())


def _qualification_line(devices, files) -> Line:
    parts = []
    for device in device_models(devices):
        for document in DeviceDocument:
            part = Part(
                document.value,
                f"{device.manufacturer} {device.model}：{document.label}",
                device_id=device.pk,
            )
            part.files = [
                f
                for f in _files(files, Material.DEVICE_QUALIFICATIONS, document.value)
                if f.device is not None
                and (f.device.manufacturer, f.device.model) == (device.manufacturer, device.model)
            ]
            parts.append(part)
    line = Line(Material.DEVICE_QUALIFICATIONS, parts)
    if not devices:
        line.problems.append(_("尚未登记端设备，无法按型号提交资质材料。"))
    return line


def _commissioning_line(files) -> Line:
    parts = []
    for document in CommissioningDocument:
        part = Part(document.value, document.label, required=document in REQUIRED_COMMISSIONING)
        part.files = _files(files, Material.COMMISSIONING, document.value)
        parts.append(part)
    return Line(Material.COMMISSIONING, parts)


def _photo_line(devices, files, access) -> Line:
    parts = []
    for device in devices:
        for photo in DevicePhoto:
            part = Part(
                photo.value,
                _("端设备 %(s)s：%(p)s") % {"s": device.serial, "p": photo.label},
                device_id=device.pk,
                images_only=True,
            )
            part.files = _files(files, Material.DEVICE_PHOTOS, photo.value, device.pk)
            parts.append(part)
    line = Line(Material.DEVICE_PHOTOS, parts)
    if not devices:
        line.problems.append(_("尚未登记端设备。"))
    elif access is not None and access.device_serial not in {d.serial for d in devices}:
        line.problems.append(
            _("对接申请表（附表1）中的端设备编号 %(s)s 与已登记的端设备序列号均不一致。")
            % {"s": access.device_serial}
        )
    return line


def _history_line(enterprise) -> Line:
    part = Part("", _("历史能耗数据月报表（省平台导入）"))
    line = Line(Material.ENERGY_HISTORY, [part], uploads=False)
    source = current_import(enterprise)
    cutoff, connected = history_cutoff(enterprise)
    if source is None:
        return line
    url = reverse("telemetry:history", args=[enterprise.pk])
    part.held.append(
        Held(
            _("%(f)s 至 %(t)s，%(n)s 行，合计 %(tce)s tce")
            % {
                "f": source.first_month and source.first_month.strftime("%Y-%m"),
                "t": source.last_month and source.last_month.strftime("%Y-%m"),
                "n": source.row_count,
                "tce": source.total_tce,
            },
            url,
        )
    )
    covered = (
        HistoricalEnergyRecord.objects.filter(
            source=source, month__gte=HISTORY_FROM, month__lte=cutoff
        )
        .annotate(m=TruncMonth("month"))
        .values("m")
        .distinct()
        .count()
    )
    wanted = (cutoff.year - HISTORY_FROM.year) * 12 + cutoff.month - HISTORY_FROM.month + 1
    if covered < wanted:
        line.problems.append(
            _("月报表应覆盖 2016-01 至 %(c)s 共 %(w)s 个月，现有 %(n)s 个月。")
            % {"c": cutoff.strftime("%Y-%m"), "w": wanted, "n": covered}
        )
    if not connected:
        line.problems.append(_("尚未正式接入省平台，截止月份暂按证书下发时间计算。"))
    return line


def _report_line(enterprise) -> Line:
    part = Part("", _("已出具的数据接入符合性测试报告（附件1）"))
    report = conformance_report_for(enterprise)
    if report is not None:
        part.held.append(Held(_("报告编号 %(n)s") % {"n": report.number}, report_url(report)))
    return Line(Material.CONFORMANCE_REPORT, [part], uploads=False)


def report_url(report) -> str:
    return report.get_absolute_url() if hasattr(report, "get_absolute_url") else ""
