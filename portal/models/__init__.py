from .attachment import Attachment
from .audit import AuditEvent, register_events
from .counter import DocumentCounter
from .enterprise import Enterprise, Industry, Membership, Region, RegistrationStatus, Stage
from .notification import Notification
from .user import Role, User

__all__ = [
    "Attachment",
    "AuditEvent",
    "DocumentCounter",
    "Enterprise",
    "Industry",
    "Membership",
    "Notification",
    "Region",
    "RegistrationStatus",
    "Role",
    "Stage",
    "User",
    "register_events",
]
