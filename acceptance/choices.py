"""The vocabulary of 附表2 and 表1 (seed 4.2, 5.3)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AcceptanceState(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("已提交")
    MATERIALS_REVIEW = "materials_review", _("材料审查中")
    RETURNED = "returned", _("退回补正")
    ACCEPTED = "accepted", _("已受理，待现场验收")
    PASSED = "passed", _("验收合格")
    FAILED = "failed", _("验收不合格")


class Material(models.TextChoices):
    """表1 验收申请材料: the eleven lines of the seed, plus the stamped 附表2 (说明 1) and the
    O&M plan that 验收 item 4 needs."""

    # 附表2 itself, stamped by both parties (说明 1); first, since everything else follows it.
    STAMPED_FORM = "00_stamped_form", _("加盖公章的验收申请表（附表2）")
    SCHEME = "01_scheme", _("系统设计方案")
    CHANGE_RECORDS = "02_change_records", _("变更记录文件")
    SERVICE_CONTRACT = "03_service_contract", _("实施服务合同")
    ACCESS_APPLICATION = "04_access_application", _("企业端数据省平台对接测试申请表")
    SCHEME_CONFIRMATION = "05_scheme_confirmation", _("设计方案确认单")
    AUTHENTICITY_PLEDGE = "06_authenticity_pledge", _("企业数据真实性承诺书")
    DEVICE_QUALIFICATIONS = "07_device_qualifications", _("端设备产品资质材料")
    COMMISSIONING = "08_commissioning", _("现场调试凭证")
    DEVICE_PHOTOS = "09_device_photos", _("端设备安装照片、设备铭牌及序列号")
    ENERGY_HISTORY = "10_energy_history", _("2016年1月至正式接入省平台前1个月的历史能耗数据月报表")
    CONFORMANCE_REPORT = "11_conformance_report", _("数据接入符合性测试报告")
    OM_PLAN = "12_om_plan", _("后续运维方案或运维合同")


class DeviceDocument(models.TextChoices):
    """表1 item 7: five documents for every end-device model."""

    MANUAL = "manual", _("产品说明书")
    CERTIFICATE = "certificate", _("合格证")
    EMC_REPORT = "emc_report", _("电磁兼容性检测报告")
    ISOLATION_REPORT = (
        "isolation_report",
        _("信息安全技术网络和终端设备隔离部件安全技术要求检测报告"),
    )
    SALES_LICENCE = "sales_licence", _("公安部信息安全产品销售许可证")


class CommissioningDocument(models.TextChoices):
    """表1 item 8: three named documents, "等" allowing others."""

    DRAWINGS = "drawings", _("施工图")
    HANDOVER = "handover", _("设备交接清单")
    OPERATION_MANUAL = "operation_manual", _("操作手册")
    OTHER = "other", _("其他调试凭证")


REQUIRED_COMMISSIONING = (
    CommissioningDocument.DRAWINGS,
    CommissioningDocument.HANDOVER,
    CommissioningDocument.OPERATION_MANUAL,
)


class DevicePhoto(models.TextChoices):
    """表1 item 9, per end device (the serial is checked against the registered device)."""

    INSTALLATION = "installation", _("安装照片")
    NAMEPLATE = "nameplate", _("设备铭牌照片")


class CoverageEnergy(models.TextChoices):
    """附表2 覆盖能源品种."""

    ELECTRICITY = "electricity", _("电")
    NATURAL_GAS = "natural_gas", _("天然气")
    COAL = "coal", _("煤")
    OIL = "oil", _("油")
    OTHER = "other", _("其他")


class MeteringLevel(models.TextChoices):
    """附表2 能源计量等级 (several may apply)."""

    LEVEL1 = "1", _("一级")
    LEVEL2 = "2", _("二级")
    LEVEL3 = "3", _("三级")


class Verdict(models.TextChoices):
    """A reviewer's finding on one material line (DESIGN §2 item 5)."""

    ACCEPTABLE = "acceptable", _("合格")
    NEEDS_CORRECTION = "needs_correction", _("需补正")


class OnSiteState(models.TextChoices):
    PROPOSED = "proposed", _("企业已提议，待确认")
    SCHEDULED = "scheduled", _("已确认，待现场验收")
    RECORDED = "recorded", _("现场验收已记录")


class PanelRole(models.TextChoices):
    """现场验收小组 (seed 5.4): the institute, the region's two bodies, and experts ("等")."""

    INSTITUTE = "institute", _("省计量院代表")
    NDRC = "ndrc", _("当地发改委代表")
    SAMR = "samr", _("当地市场监管部门代表")
    EXPERT = "expert", _("专家")


REQUIRED_PANEL_ROLES = (PanelRole.INSTITUTE, PanelRole.NDRC, PanelRole.SAMR)


class ReportContent(models.TextChoices):
    """企业汇报 (seed 5.4(1)): the nine contents of the enterprise's presentation."""

    BASIC_INFO = "basic_info", _("企业的基本情况")
    ENERGY_STRUCTURE = "energy_structure", _("企业能源结构组成")
    ENERGY_FLOW = "energy_flow", _("能源流向图")
    METERING_LEVELS = "metering_levels", _("能源计量等级")
    METERING_NETWORK = "metering_network", _("能源计量网络图")
    POINT_MAP = "point_map", _("计量点位分布图")
    METER_LEDGER = "meter_ledger", _("计量器具台账")
    COLLECTION = "collection", _("数据采集方式")
    OPERATION = "operation", _("运行情况")


# Contents the portal already holds (shown pre-filled, an upload optional); the meter
# ledger is the enterprise's 计量器具台账 (applications.Meter).
HELD_REPORT_CONTENTS = (
    ReportContent.ENERGY_STRUCTURE,
    ReportContent.METERING_LEVELS,
    ReportContent.METER_LEDGER,
    ReportContent.COLLECTION,
)


class ReportState(models.TextChoices):
    DRAFT = "draft", _("起草中")
    SIGNING = "signing", _("签字中")
    SIGNED = "signed", _("五方已签字，待出具")
    ISSUED = "issued", _("已出具")


class ItemResult(models.TextChoices):
    PASS = "pass", _("合格")
    FAIL = "fail", _("不合格")


class FailureCondition(models.TextChoices):
    """Seed 5.5: the four situations that make an acceptance 不合格."""

    NOT_TO_STANDARD = "1", _("没有按照国家标准技术规范建设实施")
    ENERGY_INCOMPLETE = (
        "2",
        _(
            "能源采集品种不完整，缺少一项或多项主要用能品种且缺少的能源种类在综合能耗中占比较大，"
            "不能满足“双控”分析要求"
        ),
    )
    NOT_DIRECT = "3", _("未通过端设备直接上传数据或经过第三方服务器中转")
    MATERIALS_INCOMPLETE = "4", _("未按要求提供关键设备相关资料或材料不完整")


class SignatureRole(models.TextChoices):
    """附件2's five signatures."""

    INSTITUTE = "institute", _("省计量院代表")
    NDRC = "ndrc", _("当地发改委代表")
    SAMR = "samr", _("当地市场监管部门代表")
    ENTERPRISE = "enterprise", _("用能单位代表")
    CONTRACTOR = "contractor", _("项目承建方代表")


# The four items of 附件2 (field prefix, label).
REPORT_ITEMS = (
    ("materials", _("验收材料完整度")),
    ("consistency", _("项目实施效果与设计方案一致性")),
    ("data", _("上传数据与现场计量器具一致性")),
    ("om", _("后续运维规划完整性")),
)


class PublicationKind(models.TextChoices):
    """What the 公众子系统 shows (seed 5.5, 6.2)."""

    ACCEPTANCE_RESULT = "acceptance_result", _("验收结果")
    RECTIFICATION = "rectification", _("整改公告")


class NoticeState(models.TextChoices):
    """整改通知 to closure: issued -> acknowledged -> reported -> closed (or back to
    acknowledged with the reviewer's reason); escalated once the deadline passes unreported."""

    ISSUED = "issued", _("已下达")
    ACKNOWLEDGED = "acknowledged", _("企业已签收")
    REPORTED = "reported", _("整改报告已提交，待复查")
    ESCALATED = "escalated", _("逾期未整改")
    CLOSED = "closed", _("整改完成，已关闭")


OPEN_NOTICE_STATES = (
    NoticeState.ISSUED,
    NoticeState.ACKNOWLEDGED,
    NoticeState.REPORTED,
    NoticeState.ESCALATED,
)


class Occasion(models.TextChoices):
    ACCEPTANCE = "acceptance", _("验收申请")
    ANNUAL_AUDIT = "annual_audit", _("年度审核")


class AuditState(models.TextChoices):
    PLANNED = "planned", _("待企业提交书面材料")
    SUBMITTED = "submitted", _("书面审核中")
    PASSED = "passed", _("通过")
    FAILED = "failed", _("不通过")


class AuditSituation(models.TextChoices):
    """Seed 6.2: the situations that make an audit 不通过."""

    NOT_AS_DESIGNED = (
        "1",
        _("未按设计方案执行且未申请变更设计方案，或在验收申请材料中存在弄虚作假行为"),
    )
    NOT_STABLE = "2", _("能耗在线监测数据不能持续稳定上传省（市）级平台")
    NOT_DIRECT = (
        "3",
        _(
            "能耗在线监测数据未经能耗在线监测端设备直接报送省（市）级平台，"
            "或通过第三方服务机构的平台进行数据处理后转发"
        ),
    )


# The checklist every year's plan starts from; the institute adds items during the year.
DEFAULT_AUDIT_CHECKLIST = (
    _("企业接入端系统按确认的设计方案运行，变更均已申请并经确认"),
    _("能耗在线监测数据持续稳定上传，未出现长时间中断"),
    _("数据经端设备直接报送省平台，未经第三方平台转发"),
    _("计量器具在检定/校准有效期内"),
    _("运维合同或运维方案有效，运维记录完整"),
)
