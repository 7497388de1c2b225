"""The operator's admin: read-mostly, and every change goes through the services.

``ServiceMadeAdmin`` is the base for records that only services make: they are listed and
read here, never added, edited or deleted by hand (that would skip the guards and the audit
event, and FSM fields are protected). What the operator may do to them is an admin action
that calls the same service as the pages, through ``apply_service``.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext_lazy as _

from .models import Attachment, AuditEvent, Enterprise, Membership, Notification, User
from .services import approve_registration
from .workflow import TransitionRefused


def refusal_message(refusal: Exception) -> str:
    """What a refused service call says to the operator."""
    if isinstance(refusal, TransitionRefused):
        return refusal.message
    if isinstance(refusal, ValidationError):
        return "；".join(refusal.messages)
    return str(refusal) or str(_("无权访问"))


def apply_service(model_admin, request, queryset, operation, done) -> None:
    """Call ``operation(obj)`` (one service call) for each selected record.

    Each record is its own transaction in the service, so one refusal does not undo the
    others; refusals and successes are told per record.
    """
    for obj in queryset:
        try:
            operation(obj)
        except (TransitionRefused, ValidationError, PermissionDenied) as refusal:
            model_admin.message_user(
                request, f"{obj}: {refusal_message(refusal)}", messages.WARNING
            )
        else:
            model_admin.message_user(request, f"{obj}: {done}", messages.SUCCESS)


class CommentActionForm(ActionForm):
    """The action bar with a comment, recorded on the audit event of the action."""

    comment = forms.CharField(label=_("说明"), required=False)


class ServiceMadeAdmin(admin.ModelAdmin):
    """Read-only lists and pages of records that only services make."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class EnterpriseRecordAdmin(ServiceMadeAdmin):
    """Records of one enterprise: listed with it in one query, found by its name or USCC."""

    enterprise_path = "enterprise"

    def get_list_select_related(self, request):
        return (self.enterprise_path, *(self.list_select_related or ()))

    def get_search_fields(self, request):
        path = self.enterprise_path
        return (*self.search_fields, f"{path}__name", f"{path}__uscc")


@admin.register(User)
class PortalUserAdmin(UserAdmin):
    list_display = ("username", "full_name", "role", "region", "email", "is_active")
    list_filter = ("role", "region", "is_active")
    search_fields = ("username", "full_name", "email")
    fieldsets = (
        *UserAdmin.fieldsets,
        (_("门户"), {"fields": ("role", "full_name", "phone", "organisation", "region")}),
    )


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ("user",)


@admin.register(Enterprise)
class EnterpriseAdmin(admin.ModelAdmin):
    list_display = ("name", "uscc", "region", "industry", "stage", "registration_status")
    list_filter = ("region", "industry", "stage", "registration_status")
    search_fields = ("name", "uscc")
    readonly_fields = ("registration_status", "created_at")
    inlines = [MembershipInline]
    actions = ["approve"]

    @admin.action(description=_("审核通过所选企业的注册"))
    def approve(self, request, queryset):
        # The same service as the reviewer's page: guards, audit and notices included.
        comment = _("系统管理批量审核")
        apply_service(
            self,
            request,
            queryset,
            lambda enterprise: approve_registration(enterprise, request.user, comment),
            _("注册审核通过"),
        )


@admin.register(AuditEvent)
class AuditEventAdmin(ServiceMadeAdmin):
    list_display = ("created_at", "event", "actor", "content_type", "object_id", "to_state")
    list_filter = ("event", "content_type")
    list_select_related = ("actor", "content_type")  # one query per page, not one per row
    readonly_fields = [f.name for f in AuditEvent._meta.fields]


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    list_display = ("original_name", "enterprise", "kind", "mime_type", "size", "uploaded_at")
    list_filter = ("kind", "mime_type")
    list_select_related = ("enterprise",)
    readonly_fields = ("sha256", "size", "mime_type")


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("title", "recipient", "created_at", "read_at", "emailed_at")
    list_select_related = ("recipient",)
