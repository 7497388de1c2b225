from ..choices import (
    REQUIRED_COMMISSIONING,
    AcceptanceState,
    CommissioningDocument,
    CoverageEnergy,
    DeviceDocument,
    DevicePhoto,
    Material,
    MeteringLevel,
    Verdict,
)
from .application import PROJECT_NAME, AcceptanceApplication, MaterialFile, MaterialVerdict

__all__ = [
    "PROJECT_NAME",
    "REQUIRED_COMMISSIONING",
    "AcceptanceApplication",
    "AcceptanceState",
    "CommissioningDocument",
    "CoverageEnergy",
    "DeviceDocument",
    "DevicePhoto",
    "Material",
    "MaterialFile",
    "MaterialVerdict",
    "MeteringLevel",
    "Verdict",
]
