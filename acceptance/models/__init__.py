from ..choices import (
    REQUIRED_COMMISSIONING,
    AcceptanceState,
    CommissioningDocument,
    CoverageEnergy,
    DeviceDocument,
    DevicePhoto,
    Material,
    MeteringLevel,
    OnSiteState,
    PanelRole,
    ReportContent,
    Verdict,
)
from .application import PROJECT_NAME, AcceptanceApplication, MaterialFile, MaterialVerdict
from .onsite import ComparisonReading, OnSiteAcceptance, PanelSeat, ReportFile
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
    "OnSiteAcceptance",
    "OnSiteState",
    "PanelRole",
    "PanelSeat",
    "ReportContent",
    "ReportFile",
    "ReportSignature",
    "Verdict",
]
