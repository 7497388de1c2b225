"""The pre-checks of an acceptance application (issue 11), shown to the enterprise before it
submits and to the reviewer: the entry condition (an issued, unrevoked 附件1), the 表1
materials, the main energy types (the history's energy structure against the items; the
share threshold is a reference value, not a verdict), relay flags (open ones, or a confirmed
one: the seed's fail condition 3) and the device serials against 附表1.

Each check is ``ok`` (True / False) or a reference (``ok`` None: shown, never blocking).
Only the conformance report and the materials block submission (the FSM's conditions); the
others are facts the reviewer weighs. A fixed handful of queries, whatever the enterprise.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from applications.models import AccessApplication
from telemetry.models import EndDevice, RelayFlag, RelayFlagStatus
from telemetry.services.energy_history import current_import, missing_main_types

from . import materials


@dataclass
class Check:
    code: str
    label: str
    ok: bool | None  # None: a reference value, not a verdict
    detail: str = ""
    items: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        return {True: "ok", False: "problem", None: "reference"}[self.ok]


def _report_check(enterprise) -> Check:
    report = materials.conformance_report_for(enterprise)
    if report is None:
        return Check(
            "conformance_report",
            _("符合性测试报告已出具且未撤销"),
            False,
            _("没有有效的数据接入符合性测试报告（附件1）。"),
        )
    return Check(
        "conformance_report",
        _("符合性测试报告已出具且未撤销"),
        True,
        _("报告编号 %(n)s") % {"n": report.number},
    )


def _materials_check(application, items) -> Check:
    missing = items.missing
    return Check(
        "materials",
        _("表1 材料齐全"),
        not missing,
        _("已齐 %(d)s/%(t)s 项") % {"d": items.done, "t": len(items.lines)},
        [str(line.label) for line in missing],
    )


def _energy_check(enterprise) -> Check:
    label = _("主要能源品种均已采集")
    source = current_import(enterprise)
    threshold = Decimal(settings.TELEMETRY_MAIN_ENERGY_SHARE)
    reference = _("参考值：占综合能耗 %(p)s%% 及以上的品种为主要能源品种。") % {
        "p": (threshold * 100).quantize(Decimal("1"))
    }
    if source is None or getattr(source, "structure", None) is None:
        return Check("main_energy", label, None, _("尚无历史能耗数据，无法比对。") + reference)
    missing = missing_main_types(enterprise, source.structure.shares, threshold)
    shares = [
        f"{entry['name']} {entry['share']}%"
        for entry in source.structure.shares
        if Decimal(entry["fraction"]) >= threshold
    ]
    if missing:
        detail = _("历史数据中的主要能源品种未被数据采集项覆盖：%(m)s。") % {
            "m": pgettext("list separator", "；").join(
                f"{m['name']}（{m['code']}，{m['share']}%）" for m in missing
            )
        }
    else:
        detail = _("历史数据中的主要能源品种均有数据采集项。")
    return Check("main_energy", label, None, detail + reference, shares)


def _relay_check(enterprise) -> Check:
    label = _("无待处理或已认定的第三方中转")
    flags = list(
        RelayFlag.objects.filter(
            enterprise=enterprise, status__in=[RelayFlagStatus.OPEN, RelayFlagStatus.CONFIRMED]
        ).order_by("pk")
    )
    confirmed = [f for f in flags if f.status == RelayFlagStatus.CONFIRMED]
    opened = [f for f in flags if f.status == RelayFlagStatus.OPEN]
    if confirmed:
        return Check(
            "relay",
            label,
            False,
            _("已认定经第三方中转上传（验收不合格情形 3）：%(a)s")
            % {"a": "、".join(f.source_ip or "—" for f in confirmed)},
        )
    if opened:
        return Check(
            "relay",
            label,
            False,
            _("有 %(n)s 个疑似第三方中转的来源地址尚待审核人员处理。") % {"n": len(opened)},
        )
    return Check("relay", label, True, _("无。"))


def _serial_check(enterprise) -> Check:
    label = _("端设备序列号与登记及附表1一致")
    serials = sorted(
        EndDevice.objects.filter(enterprise=enterprise, is_active=True).values_list(
            "serial", flat=True
        )
    )
    access = AccessApplication.objects.approved_for(enterprise)
    if not serials:
        return Check("serials", label, False, _("尚未登记端设备。"))
    if access is not None and access.device_serial not in serials:
        return Check(
            "serials",
            label,
            False,
            _("附表1 中的端设备编号 %(a)s 与已登记的序列号（%(s)s）不一致。")
            % {"a": access.device_serial, "s": "、".join(serials)},
        )
    return Check("serials", label, True, "、".join(serials))


def prechecks(application, items=None) -> list[Check]:
    """The five pre-checks; ``items`` is the application's checklist when already built."""
    enterprise = application.enterprise
    items = items if items is not None else materials.checklist(application)
    return [
        _report_check(enterprise),
        _materials_check(application, items),
        _energy_check(enterprise),
        _relay_check(enterprise),
        _serial_check(enterprise),
    ]
