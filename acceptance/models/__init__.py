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

__all__ = [
    "PROJECT_NAME",
    "REQUIRED_COMMISSIONING",
    "AcceptanceApplication",
    "AcceptanceState",
    "CommissioningDocument",
    "ComparisonReading",
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
    "Verdict",
]
