"""The operator's page for the institute's seal image used in signed PDFs."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from applications.pki_docsign import SIGNER_NAME
from portal.access import grant_access, operator

from .. import seal_image
from ..forms import SealUploadForm
from ..models import InstitutionSeal
from ..services.seal import upload_seal
from ..signing import stamp_picture

HISTORY = 20


@require_http_methods(["GET", "POST"])
@grant_access(operator)
def seal_page(request):
    form = SealUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload_seal(request.user, form.cleaned_data["image"])
        messages.success(request, _("印章图片已上传，此后签发的文件使用新印章。"))
        return redirect("reports:seal")
    history = list(
        InstitutionSeal.objects.select_related("uploaded_by").defer("image_png")[:HISTORY]
    )
    return render(
        request,
        "reports/seal.html",
        {"form": form, "history": history, "current": history[0] if history else None},
    )


def _png(data: bytes) -> HttpResponse:
    response = HttpResponse(data, content_type="image/png")
    response["X-Content-Type-Options"] = "nosniff"
    return response


@never_cache
@grant_access(operator)
def seal_png(request, pk):
    seal = get_object_or_404(InstitutionSeal, pk=pk)
    return _png(bytes(seal.image_png))


@never_cache
@grant_access(operator)
def stamp_preview(request):
    """The visible signature as the next signed PDF will show it."""
    picture = stamp_picture(SIGNER_NAME, timezone.localtime())
    return _png(seal_image.png_bytes(picture))
