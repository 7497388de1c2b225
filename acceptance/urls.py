from django.urls import path

from .views import (
    applications,
    audits,
    documents,
    dossiers,
    exports,
    notices,
    onsite,
    public,
    report,
)

app_name = "acceptance"

urlpatterns = [
    path("applications/", applications.application_list, name="application_list"),
    path("applications/new/", applications.application_create, name="application_create"),
    path("applications/<int:pk>/", applications.application_detail, name="application_detail"),
    path("applications/<int:pk>/edit/", applications.application_edit, name="application_edit"),
    path("applications/<int:pk>/form.pdf", applications.application_pdf, name="application_pdf"),
    path("applications/<int:pk>/pledge.pdf", applications.pledge_pdf, name="pledge_pdf"),
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

urlpatterns += [
    path("onsite/", onsite.onsite_list, name="onsite_list"),
    path(
        "applications/<int:application_pk>/onsite/new/",
        onsite.onsite_propose,
        name="onsite_propose",
    ),
    path("onsite/<int:pk>/", onsite.onsite_detail, name="onsite_detail"),
    path("onsite/<int:pk>/edit/", onsite.onsite_edit, name="onsite_edit"),
    path("onsite/<int:pk>/panel/", onsite.onsite_panel, name="onsite_panel"),
    path("onsite/<int:pk>/declare/", onsite.onsite_declare, name="onsite_declare"),
    path("onsite/<int:pk>/steps/", onsite.onsite_steps, name="onsite_steps"),
    path("onsite/<int:pk>/comparisons/", onsite.onsite_comparison, name="onsite_comparison"),
    path("onsite/<int:pk>/files/", onsite.onsite_report_file, name="onsite_report_file"),
    path("onsite/<int:pk>/photos/", onsite.onsite_photo, name="onsite_photo"),
    path("onsite/<int:pk>/calendar.ics", onsite.onsite_calendar, name="onsite_calendar"),
    *[
        path(
            f"onsite/<int:pk>/{action}/",
            onsite.onsite_action,
            {"action": action},
            name=f"onsite_{action}",
        )
        for action in onsite.ACTIONS
    ],
]

urlpatterns += [
    path("onsite/<int:onsite_pk>/report/", report.report_draft, name="report_draft"),
    path("reports/<int:pk>/", report.report_detail, name="report_detail"),
    path("reports/<int:pk>/edit/", report.report_edit, name="report_edit"),
    path("reports/<int:pk>/put/", report.report_put, name="report_put"),
    path("reports/<int:pk>/sign/", report.report_sign, name="report_sign"),
    path("reports/<int:pk>/issue/", report.report_issue, name="report_issue"),
    path("reports/<int:pk>/sign/code/", report.report_sign_code, name="report_sign_code"),
    path("sign/<str:token>/", report.report_sign_link, name="report_sign_link"),
]

urlpatterns += [
    path("results/", public.results, name="results"),
    path("results.json", public.results_json, name="results_json"),
    path("results.atom", public.results_atom, name="results_atom"),
]

urlpatterns += [
    path("notices/", notices.notice_list, name="notice_list"),
    path("notices/<int:pk>/", notices.notice_detail, name="notice_detail"),
    path("notices/<int:pk>/acknowledge/", notices.notice_acknowledge, name="notice_acknowledge"),
]

# Supervision: rectification to closure, the dossier, the documents page and the FAQ.
urlpatterns += [
    path("notices/queue/", notices.notice_queue, name="notice_queue"),
    path("notices/<int:pk>/report/", notices.notice_report, name="notice_report"),
    path("notices/<int:pk>/recheck/", notices.notice_recheck, name="notice_recheck"),
    path("dossiers/", dossiers.dossier_list, name="dossier_list"),
    path("dossiers/new/", dossiers.dossier_request, name="dossier_request"),
    path("dossiers/<int:pk>/", dossiers.dossier_detail, name="dossier_detail"),
    path("dossiers/<int:pk>/progress/", dossiers.dossier_progress, name="dossier_progress"),
    path("dossiers/<int:pk>/download/", dossiers.dossier_download, name="dossier_download"),
    path("documents/", documents.documents, name="documents"),
    path("documents/<str:slug>.pdf", documents.blank_form, name="blank_form"),
    path("faq/", documents.faq, name="faq"),
]

urlpatterns += [
    path("audits/", audits.audit_list, name="audit_list"),
    path("audits/plans/new/", audits.plan_create, name="plan_create"),
    path("audits/plans/<int:pk>/", audits.plan_detail, name="plan_detail"),
    path("audits/plans/<int:pk>/items/", audits.plan_add_item, name="plan_add_item"),
    path("audits/plans/<int:pk>/sample/", audits.plan_sample, name="plan_sample"),
    path("audits/<int:pk>/", audits.audit_detail, name="audit_detail"),
    path("audits/<int:pk>/answers/", audits.audit_answer, name="audit_answer"),
    path(
        "audits/<int:pk>/evidence/<int:file_pk>/remove/",
        audits.audit_evidence_remove,
        name="audit_evidence_remove",
    ),
    path("audits/<int:pk>/grades/", audits.audit_grade_line, name="audit_grade_line"),
    path("audits/<int:pk>/grade/", audits.audit_grade, name="audit_grade"),
    path("audits/<int:pk>/spot/", audits.audit_spot, name="audit_spot"),
    path(
        "audits/<int:pk>/spot/comparisons/",
        audits.audit_spot_comparison,
        name="audit_spot_comparison",
    ),
    path("audits/<int:pk>/evidence.xlsx", audits.audit_evidence_xlsx, name="audit_evidence_xlsx"),
]

urlpatterns += [
    path("applications.<str:fmt>", exports.applications_export, name="applications_export"),
    path("results-export.<str:fmt>", exports.results_export, name="results_export"),
    path("onsite.<str:fmt>", exports.onsite_export, name="onsite_export"),
    path("audits.<str:fmt>", exports.audits_export, name="audits_export"),
    path("notices.<str:fmt>", exports.notices_export, name="notices_export"),
]
