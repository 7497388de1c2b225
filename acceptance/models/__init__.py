from ..choices import (
    REQUIRED_COMMISSIONING,
    AcceptanceState,
    CommissioningDocument,
    CoverageEnergy,
    DeviceDocument,
    DevicePhoto,
    Material,
    MeteringLevel,
    NoticeState,
    Occasion,
    OnSiteState,
    PanelRole,
    PublicationKind,
    ReportContent,
    Verdict,
)
from .application import PROJECT_NAME, AcceptanceApplication, MaterialFile, MaterialVerdict
from .onsite import ComparisonReading, OnSiteAcceptance, PanelSeat, ReportFile
from .publication import Publication
from .rectification import RectificationNotice
from .report import AcceptanceReport, ContractorLink, ReportSignature

__all__ = [
    "PROJECT_NAME",
    "REQUIRED_COMMISSIONING",
    "AcceptanceApplication",
    "AcceptanceReport",
    "AcceptanceState",
    "CommissioningDocument",
    "ComparisonReading",
    "ContractorLink",
    "CoverageEnergy",
    "DeviceDocument",
    "DevicePhoto",
    "Material",
    "MaterialFile",
    "MaterialVerdict",
    "MeteringLevel",
    "NoticeState",
    "Occasion",
    "OnSiteAcceptance",
    "OnSiteState",
    "PanelRole",
    "PanelSeat",
    "Publication",
    "PublicationKind",
    "RectificationNotice",
    "ReportContent",
    "ReportFile",
    "ReportSignature",
    "Verdict",
]
