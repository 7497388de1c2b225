from django.urls import path

from .views import conformance, documents, exports, printables, seal

app_name = "reports"

urlpatterns = [
    path("", documents.document_list, name="document_list"),
    path("documents.<str:fmt>", exports.documents_export, name="documents_export"),
    path("<int:pk>/", documents.document_detail, name="document_detail"),
    path("<int:pk>/progress/", documents.document_progress, name="document_progress"),
    path("<int:pk>/download/", documents.document_download, name="document_download"),
    path("<int:pk>/preview/", documents.document_preview, name="document_preview"),
    path("<int:pk>/rerender/", documents.document_rerender, name="document_rerender"),
    *[
        path(
            f"<int:pk>/{step.replace('_', '-')}/",
            documents.document_step,
            {"step": step},
            name=f"document_{step}",
        )
        for step in documents.STEP_MESSAGES
    ],
    path("conformance/", conformance.conformance_queue, name="conformance_queue"),
    path(
        "conformance/<int:connection_pk>/draft/",
        conformance.conformance_draft,
        name="conformance_draft",
    ),
    path("print/feedback/<int:pk>.pdf", printables.feedback_pdf, name="print_feedback"),
    path("print/application/<int:pk>.pdf", printables.application_pdf, name="print_application"),
    path("print/change/<int:pk>.pdf", printables.change_pdf, name="print_change"),
    path("seal/", seal.seal_page, name="seal"),
    path("seal/<int:pk>/image.png", seal.seal_png, name="seal_png"),
    path("seal/preview.png", seal.stamp_preview, name="stamp_preview"),
]
