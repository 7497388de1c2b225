from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from .models import Attachment, AuditEvent, Enterprise, Membership, Notification, User
from .services import approve_registration
from .workflow import TransitionRefused


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
        for enterprise in queryset:
            try:
                approve_registration(enterprise, request.user, _("系统管理批量审核"))
            except TransitionRefused as refusal:
                self.message_user(request, f"{enterprise}: {refusal.message}", messages.WARNING)


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("created_at", "event", "actor", "content_type", "object_id", "to_state")
    list_filter = ("event", "content_type")
    list_select_related = ("actor", "content_type")  # one query per page, not one per row
    readonly_fields = [f.name for f in AuditEvent._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


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
