from .application import REQUIRED_MATERIALS, AccessApplication, ApplicationState, Material
from .credentials import (
    CANotReady,
    CertificateOrigin,
    CertificateStatus,
    DeviceCertificate,
    DocumentSigningCertificate,
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
    "DesignScheme",
    "DeviceCertificate",
    "DocumentSigningCertificate",
    "Material",
    "Party",
    "RevocationReason",
    "RootCertificate",
    "SchemeConfirmation",
    "SchemeFeedback",
    "SchemeState",
    "VpnAccount",
    "party_of",
]
