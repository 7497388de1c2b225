from .application import REQUIRED_MATERIALS, AccessApplication, ApplicationState, Material
from .choices import CollectionMethod, EnergyType, energy_label, energy_labels
from .credentials import (
    CANotReady,
    CertificateOrigin,
    CertificateStatus,
    DeviceCertificate,
    RevocationReason,
    RootCertificate,
    VpnAccount,
)
from .scheme import (
    ChangeRecord,
    ChangeState,
    DesignScheme,
    Party,
    SchemeConfirmation,
    SchemeCounter,
    SchemeFeedback,
    SchemeState,
    party_of,
)

__all__ = [
    "REQUIRED_MATERIALS",
    "AccessApplication",
    "ApplicationState",
    "CANotReady",
    "CertificateOrigin",
    "CertificateStatus",
    "ChangeRecord",
    "ChangeState",
    "CollectionMethod",
    "DesignScheme",
    "DeviceCertificate",
    "EnergyType",
    "Material",
    "Party",
    "RevocationReason",
    "RootCertificate",
    "SchemeConfirmation",
    "SchemeCounter",
    "SchemeFeedback",
    "SchemeState",
    "VpnAccount",
    "energy_label",
    "energy_labels",
    "party_of",
]
