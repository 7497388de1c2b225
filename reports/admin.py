"""Issued documents in the operator's admin: read-only; revocation through the service.

An issued document never changes (the model refuses it as well): corrections are
revoke-and-reissue. The approver permission (portal.approve_documents, "批准出具编号文书")
is granted to reviewers on the user page.
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from portal.admin import CommentActionForm, EnterpriseRecordAdmin, apply_service

from .models import IssuedDocument
from .services.documents import revoke_document


@admin.register(IssuedDocument)
class IssuedDocumentAdmin(EnterpriseRecordAdmin):
    list_display = ("number", "kind", "enterprise", "state", "approved_at", "render_status")
    list_filter = ("kind", "state", "render_status")
    search_fields = ("number",)
    date_hierarchy = "created_at"
    exclude = ("content",)
    action_form = CommentActionForm
    actions = ["revoke"]

    @admin.action(description=_("撤销所选文书（说明栏填写撤销原因）"))
    def revoke(self, request, queryset):
        reason = request.POST.get("comment", "")
        apply_service(
            self,
            request,
            queryset,
            lambda document: revoke_document(document, request.user, reason),
            _("已撤销"),
        )
