"""Unnumbered, unsigned PDFs of forms an enterprise prints, stamps and uploads: the filled
7.1 feedback form, 附表1 (the access application) and a design-scheme change record.

Rendered on request through the engine (reports.rendering), from the records as they are;
each is fetched through its owner's scoper, so an outsider gets 404.
"""

from django.http import HttpResponse
from django.shortcuts import get_object_or_404

from applications.models import PRINTED_MATERIALS, SchemeFeedback
from applications.permissions import (
    access_applications_visible_to,
    change_records_visible_to,
    design_schemes_visible_to,
)
from portal.access import enterprise_user, grant_access, reviewer
from portal.attachments import attachments_of

from ..rendering import render_pdf


def _pdf(template: str, context: dict, filename: str) -> HttpResponse:
    response = HttpResponse(render_pdf(template, context), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@grant_access(enterprise_user, reviewer)
def feedback_pdf(request, pk):
    feedback = get_object_or_404(
        SchemeFeedback.objects.select_related("scheme__enterprise", "submitted_by"),
        pk=pk,
        scheme__in=design_schemes_visible_to(request.user),
    )
    return _pdf(
        "reports/pdf/feedback.html",
        # The version the stamp will be tied to (SchemeFeedback.version_hash), printed.
        {"feedback": feedback, "scheme": feedback.scheme, "version": feedback.version_hash()},
        f"feedback-{feedback.scheme.number}-v{feedback.revision}.pdf",
    )


@grant_access(enterprise_user, reviewer)
def application_pdf(request, pk):
    application = get_object_or_404(
        access_applications_visible_to(request.user).select_related("design_scheme"), pk=pk
    )
    present = set(attachments_of(application).values_list("kind", flat=True))
    return _pdf(
        "reports/pdf/application.html",
        {
            "application": application,
            "materials": [(kind, kind.value in present) for kind in PRINTED_MATERIALS],
        },
        f"application-{application.pk}.pdf",
    )


@grant_access(enterprise_user, reviewer)
def change_pdf(request, pk):
    record = get_object_or_404(
        change_records_visible_to(request.user).select_related("scheme__enterprise", "decided_by"),
        pk=pk,
    )
    return _pdf(
        "reports/pdf/change_record.html",
        {"record": record, "version": record.version_hash()},
        f"change-{record.pk}.pdf",
    )
