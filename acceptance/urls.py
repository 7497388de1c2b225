from django.urls import path

from .views import applications

app_name = "acceptance"

urlpatterns = [
    path("applications/", applications.application_list, name="application_list"),
    path("applications/new/", applications.application_create, name="application_create"),
    path("applications/<int:pk>/", applications.application_detail, name="application_detail"),
    path("applications/<int:pk>/edit/", applications.application_edit, name="application_edit"),
    path(
        "applications/<int:pk>/materials/",
        applications.material_upload,
        name="material_upload",
    ),
    path(
        "applications/<int:pk>/materials/<int:file_pk>/delete/",
        applications.material_delete,
        name="material_delete",
    ),
    path(
        "applications/<int:pk>/verdicts/",
        applications.material_verdict,
        name="material_verdict",
    ),
    *[
        path(
            f"applications/<int:pk>/{action}/",
            applications.application_action,
            {"action": action},
            name=f"application_{action}",
        )
        for action in applications.ACTIONS
    ],
]
