from django.urls import path

from .views import access, credentials, meters, queues, review, schemes, tasks

app_name = "applications"

urlpatterns = [
    path("schemes/", schemes.scheme_list, name="scheme_list"),
    path("schemes/awaiting/", queues.scheme_queue, name="scheme_queue"),
    path("schemes/new/", schemes.scheme_create, name="scheme_create"),
    path("schemes/<int:pk>/", schemes.scheme_detail, name="scheme_detail"),
    path("schemes/<int:pk>/edit/", schemes.scheme_edit, name="scheme_edit"),
    path("schemes/<int:pk>/send/", schemes.scheme_send, name="scheme_send"),
    path("schemes/<int:pk>/feedback/", schemes.scheme_feedback, name="scheme_feedback"),
    path("schemes/<int:pk>/confirm/", schemes.scheme_confirm, name="scheme_confirm"),
    path("schemes/<int:pk>/survey/", schemes.site_survey, name="site_survey"),
    path("feedback/<int:pk>/stamp/", schemes.feedback_stamp, name="feedback_stamp"),
    path("schemes/<int:pk>/changes/new/", schemes.change_create, name="change_create"),
    path("meters/", meters.ledger_index, name="meter_index"),
    path("meters/enterprise/<int:enterprise_pk>/", meters.meter_list, name="meter_list"),
    path("meters/enterprise/<int:enterprise_pk>/new/", meters.meter_create, name="meter_create"),
    *[
        path(
            f"meters/enterprise/<int:enterprise_pk>/ledger.{fmt}",
            meters.meter_export,
            {"fmt": fmt},
            name=f"meter_export_{fmt}",
        )
        for fmt in ("csv", "xlsx")
    ],
    path("meters/<int:pk>/edit/", meters.meter_edit, name="meter_edit"),
    path("meters/<int:pk>/delete/", meters.meter_delete, name="meter_delete"),
    path(
        "changes/<int:pk>/confirm/",
        schemes.change_decide,
        {"decision": "confirm"},
        name="change_confirm",
    ),
    path(
        "changes/<int:pk>/reject/",
        schemes.change_decide,
        {"decision": "reject"},
        name="change_reject",
    ),
    path("access/", access.application_list, name="application_list"),
    path("access/new/", tasks.application_create, name="application_create"),
    path("access/<int:pk>/", access.application_detail, name="application_detail"),
    path("access/<int:pk>/edit/", tasks.application_edit, name="application_edit"),
    path(
        "access/<int:pk>/edit/<slug:section>/",
        tasks.application_section,
        name="application_section",
    ),
    path("access/<int:pk>/check/", tasks.application_check, name="application_check"),
    path("access/<int:pk>/review/", review.application_review, name="application_review"),
    path(
        "access/<int:pk>/review/<slug:material>/",
        review.material_verdict,
        name="material_verdict",
    ),
    path("access/<int:pk>/stamped/", review.stamped_scan_upload, name="stamped_scan_upload"),
    path("access/<int:pk>/print/", access.application_print, name="application_print"),
    path("access/<int:pk>/materials/", access.material_upload, name="material_upload"),
    path(
        "access/<int:pk>/materials/<int:attachment_pk>/",
        access.material_preview,
        name="material_preview",
    ),
    path(
        "access/<int:pk>/materials/<int:attachment_pk>/delete/",
        access.material_delete,
        name="material_delete",
    ),
    *[
        path(
            f"access/<int:pk>/{action.replace('_', '-')}/",
            access.application_action,
            {"action": action},
            name=f"application_{action}",
        )
        for action in access.ACTIONS
    ],
    path("credentials/", credentials.my_credentials, name="my_credentials"),
    path("credentials/<int:pk>/", credentials.credentials, name="credentials"),
    path("credentials/<int:pk>/csr/", credentials.certificate_request, name="certificate_request"),
    path(
        "credentials/<int:pk>/generate/",
        credentials.certificate_generate,
        name="certificate_generate",
    ),
    path("certificates/", credentials.certificate_list, name="certificate_list"),
    path(
        "certificates/<int:pk>/download/",
        credentials.certificate_download,
        name="certificate_download",
    ),
    path(
        "certificates/<int:pk>/revoke/", credentials.certificate_revoke, name="certificate_revoke"
    ),
    path("vpn/<int:pk>/password/", credentials.vpn_password, name="vpn_password"),
    path("vpn/<int:pk>/disable/", credentials.vpn_toggle, {"active": False}, name="vpn_disable"),
    path("vpn/<int:pk>/enable/", credentials.vpn_toggle, {"active": True}, name="vpn_enable"),
    path("pki/ca.pem", credentials.ca_certificate, name="ca_certificate"),
    path("pki/crl.der", credentials.crl, name="crl"),
    path("pki/crl.pem", credentials.crl_pem, name="crl_pem"),
]
