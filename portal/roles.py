"""Who a user is: each role predicate defined once, asked by every app.

The access rules of views (`portal.access`), the scopers of every `<app>/permissions.py`,
the services and the FSM `permission=` adapters of every model all ask these, so a role
means the same everywhere (an operator counts as staff; anonymous users are nobody).

They sit apart from `portal.permissions` because models ask them too (their FSM
`permission=` adapters), and `portal.permissions` imports the models for its scopers.
"""

from .models.user import Role


def is_operator(user) -> bool:
    """Platform operators (and superusers): staff, and the platform developer's party."""
    return user.is_authenticated and (user.role == Role.OPERATOR or user.is_superuser)


def is_institute_reviewer(user) -> bool:
    """The institute's reviewers only: they draft schemes and confirm for the institute."""
    return user.is_authenticated and user.role == Role.REVIEWER


def is_staff_reviewer(user) -> bool:
    """Institute reviewers and platform operators: they see and review the whole province."""
    return is_institute_reviewer(user) or is_operator(user)


def is_enterprise_user(user) -> bool:
    return user.is_authenticated and user.role == Role.ENTERPRISE


def is_government_viewer(user) -> bool:
    """A government viewer reads the enterprises of one region (``user.region``)."""
    return user.is_authenticated and user.role == Role.GOVERNMENT


def is_panel_member(user) -> bool:
    return user.is_authenticated and user.role == Role.PANEL


APPROVER_PERMISSION = "portal.approve_documents"


def is_document_approver(user) -> bool:
    """An institute reviewer the admin granted 批准 of numbered documents (reports)."""
    return is_institute_reviewer(user) and user.has_perm(APPROVER_PERMISSION)


def is_member(user, enterprise) -> bool:
    """An enterprise user who belongs to `enterprise` (an instance or its id)."""
    enterprise_id = getattr(enterprise, "pk", enterprise)
    return (
        is_enterprise_user(user) and user.memberships.filter(enterprise_id=enterprise_id).exists()
    )


# FSM `permission=` arguments: django-fsm calls them with (instance, user).


def staff_reviewer_permission(instance, user) -> bool:
    return user is not None and is_staff_reviewer(user)


def institute_reviewer_permission(instance, user) -> bool:
    return user is not None and is_institute_reviewer(user)


def member_permission(instance, user) -> bool:
    """The instance's enterprise's members (the instance has an ``enterprise``)."""
    return user is not None and is_member(user, instance.enterprise_id)
