from .document import (
    ACTIVE_STATES,
    SIGNED_KINDS,
    DocumentImmutable,
    DocumentKind,
    DocumentState,
    IssuedDocument,
    RenderStatus,
)
from .seal import InstitutionSeal

__all__ = [
    "ACTIVE_STATES",
    "SIGNED_KINDS",
    "DocumentImmutable",
    "DocumentKind",
    "DocumentState",
    "InstitutionSeal",
    "IssuedDocument",
    "RenderStatus",
]
