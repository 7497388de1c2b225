"""The reviewer's workbench on 附表1, and the stamped scan the enterprise uploads after
approval."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal.access import enterprise_user, grant_access, reviewer
from portal.attachments import AttachmentRejected, attachments_of
from portal.forms import DecisionForm
from portal.views.outcomes import attempt
from portal.workflow import available_transitions

from ..consistency import consistency
from ..forms import StampedScanForm, VerdictForm
from ..models import ApplicationState, Material
from ..permissions import access_applications_visible_to
from ..services.review import (
    changes_since_last,
    composed_reason,
    current_verdicts,
    record_verdict,
    upload_stamped_scan,
)


def _application_or_404(request, pk):
    return get_object_or_404(access_applications_visible_to(request.user), pk=pk)


@grant_access(reviewer)
def application_review(request, pk):
    """Each material beside its verdict, what changed since the last submission, and the
    consistency checks, with the decision at the foot."""
    application = _application_or_404(request, pk)
    attachments = list(attachments_of(application).order_by("kind", "uploaded_at"))
    verdicts = current_verdicts(application)
    under_review = application.state == ApplicationState.UNDER_REVIEW
    rows = [
        {
            "material": kind,
            "files": [a for a in attachments if a.kind == kind.value],
            "verdict": verdicts.get(kind.value),
            "form": VerdictForm(
                prefix=kind.value,
                initial={
                    "verdict": verdicts[kind.value].verdict if kind.value in verdicts else "",
                    "note": verdicts[kind.value].note if kind.value in verdicts else "",
                },
            ),
        }
        for kind in Material
    ]
    return render(
        request,
        "applications/application_review.html",
        {
            "application": application,
            "rows": rows,
            "under_review": under_review,
            "decided": len(verdicts),
            "changes": changes_since_last(application),
            "checks": consistency(application) if application.submitted_at else [],
            "reason": composed_reason(application),
            "transitions": available_transitions(application, request.user, "state"),
            "decision_form": DecisionForm(),
        },
    )


@require_POST
@grant_access(reviewer)
def material_verdict(request, pk, material):
    application = _application_or_404(request, pk)
    if material not in Material.values:
        raise Http404
    form = VerdictForm(request.POST, prefix=material)
    if not form.is_valid():
        messages.error(request, "；".join(e for errs in form.errors.values() for e in errs))
    else:
        attempt(
            request,
            lambda: record_verdict(
                application,
                request.user,
                material,
                form.cleaned_data["verdict"],
                form.cleaned_data["note"],
            ),
            _("已记录“%(m)s”的审核结论。") % {"m": Material(material).label},
        )
    return redirect(
        reverse("applications:application_review", args=[application.pk]) + f"#material-{material}"
    )


@require_POST
@grant_access(enterprise_user)
def stamped_scan_upload(request, pk):
    application = _application_or_404(request, pk)
    form = StampedScanForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "；".join(e for errs in form.errors.values() for e in errs))
    else:
        try:
            attempt(
                request,
                lambda: upload_stamped_scan(application, request.user, form.cleaned_data["file"]),
                _("盖章的对接申请表已上传。"),
            )
        except AttachmentRejected as rejection:
            messages.error(request, rejection.reason)
    return redirect("applications:application_detail", pk=application.pk)
