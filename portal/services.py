"""Operations on enterprises and their people that touch several records."""

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from .attachments import LICENCE_TYPES, save_attachment
from .models import AuditEvent, Enterprise, Membership, Role, User
from .notifications import enterprise_users, notify, reviewers, tell
from .sentences import Sentence
from .workflow import run_transition


@transaction.atomic
def register_enterprise(*, data: dict, licence) -> tuple[Enterprise, User]:
    """Create a pending enterprise, its first (admin) user and its licence attachment."""
    enterprise = Enterprise.objects.create(
        **{
            field: data[field]
            for field in (
                "name",
                "uscc",
                "region",
                "industry",
                "address",
                "legal_representative",
                "contact_person",
                "contact_phone",
                "contact_email",
            )
        }
    )
    user = User.objects.create_user(
        username=data["username"],
        email=data["email"],
        password=data["password1"],
        full_name=data["full_name"],
        role=Role.ENTERPRISE,
    )
    Membership.objects.create(user=user, enterprise=enterprise, is_admin=True)
    save_attachment(
        licence,
        actor=user,
        enterprise=enterprise,
        owner=enterprise,
        kind="business_licence",
        allowed=LICENCE_TYPES,
    )
    event = AuditEvent.record(enterprise, user, "enterprise_registered")
    notify(
        reviewers(),
        Sentence(gettext_noop("新企业注册待审核：%(name)s"), name=enterprise.name),
        link=reverse("enterprise_detail", args=[enterprise.pk]),
        event=event,
    )
    return enterprise, user


def _tell_enterprise(title):
    return tell(enterprise_users, title, lambda enterprise: reverse("dashboard"))


def approve_registration(enterprise, actor, comment=""):
    return run_transition(
        enterprise,
        "approve_registration",
        actor,
        event="registration_approved",
        comment=comment,
        notify=_tell_enterprise(_("企业注册已审核通过")),
    ).obj


def overturn_rejection(enterprise, actor, comment):
    """Approve a registration that was refused: its own step, with the reason required."""
    return run_transition(
        enterprise,
        "overturn_rejection",
        actor,
        event="registration_rejection_overturned",
        comment=comment,
        require_comment=True,
        notify=_tell_enterprise(_("企业注册经复核已审核通过")),
    ).obj


def reject_registration(enterprise, actor, comment):
    return run_transition(
        enterprise,
        "reject_registration",
        actor,
        event="registration_rejected",
        comment=comment,
        require_comment=True,
        notify=_tell_enterprise(_("企业注册未通过审核")),
    ).obj
