"""档案 pages: ask for an enterprise's dossier, watch it being built (HTMX polling, as the
report rendering does), download the ZIP."""

from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal.access import enterprise_user, government, grant_access, reviewer
from portal.permissions import enterprises_visible_to, own_enterprise
from portal.views.outcomes import attempt

from ..models import DossierStatus
from ..permissions import dossiers_visible_to
from ..services.dossiers import request_dossier

READERS = (enterprise_user, reviewer, government)
PICKER_LIMIT = 500


@grant_access(*READERS)
def dossier_list(request):
    dossiers = dossiers_visible_to(request.user).select_related("requested_by")[:100]
    own = own_enterprise(request.user)
    choices = (
        []
        if own is not None
        else enterprises_visible_to(request.user).order_by("name").only("pk", "name")[:PICKER_LIMIT]
    )
    return render(
        request,
        "acceptance/dossier_list.html",
        {"dossiers": dossiers, "own": own, "choices": choices},
    )


@require_POST
@grant_access(*READERS)
def dossier_request(request):
    pk = request.POST.get("enterprise", "")
    if not pk.isdigit():
        raise Http404
    enterprise = get_object_or_404(enterprises_visible_to(request.user), pk=int(pk))
    dossier = attempt(
        request, lambda: request_dossier(request.user, enterprise), _("已开始生成企业档案。")
    )
    if dossier is None:
        return redirect("acceptance:dossier_list")
    return redirect("acceptance:dossier_detail", pk=dossier.pk)


@grant_access(*READERS)
def dossier_detail(request, pk):
    dossier = get_object_or_404(dossiers_visible_to(request.user), pk=pk)
    return render(request, "acceptance/dossier_detail.html", {"dossier": dossier})


@grant_access(*READERS)
def dossier_progress(request, pk):
    """The fragment the detail page polls while the ZIP is built."""
    dossier = get_object_or_404(dossiers_visible_to(request.user), pk=pk)
    return render(request, "acceptance/_dossier_status.html", {"dossier": dossier})


@grant_access(*READERS)
def dossier_download(request, pk):
    dossier = get_object_or_404(dossiers_visible_to(request.user), pk=pk)
    if dossier.status != DossierStatus.DONE or not dossier.file:
        raise Http404(_("档案尚未生成。"))
    stamp = dossier.finished_at.strftime("%Y%m%d") if dossier.finished_at else ""
    return FileResponse(
        dossier.file.open("rb"),
        as_attachment=True,
        filename=f"dossier-{dossier.enterprise.uscc or dossier.enterprise_id}-{stamp}.zip",
        content_type="application/zip",
    )
