from django.contrib import messages
from django.contrib.auth import login
from django.db.models import Count
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from .. import kept_uploads
from ..access import grant_access, public
from ..forms import RegistrationForm
from ..models import Enterprise, RegistrationStatus, Stage
from ..ratelimit import rate_limit
from ..services import register_enterprise


@grant_access(public)
def home(request):
    """The public face of the platform: what it is, and where things stand province-wide."""
    approved = Enterprise.objects.filter(registration_status=RegistrationStatus.APPROVED)
    by_stage = dict(approved.values_list("stage").annotate(n=Count("pk")))
    stages = [(stage.label, by_stage.get(stage.value, 0)) for stage in Stage]
    chart = {"labels": [str(label) for label, _n in stages], "values": [n for _l, n in stages]}
    return render(
        request,
        "portal/home.html",
        {"stages": stages, "chart": chart, "enterprise_count": sum(by_stage.values())},
    )


LICENCE_KEPT = "registration_licence"


@grant_access(public)
@rate_limit("register", methods=("POST",))
def register(request):
    if request.user.is_authenticated:
        return redirect("dashboard")
    form = RegistrationForm(
        request.POST or None,
        request.FILES or None,
        kept_licence=kept_uploads.kept(request, LICENCE_KEPT) if request.method == "POST" else None,
    )
    if request.method == "GET":
        kept_uploads.discard(request, LICENCE_KEPT)
    if request.method == "POST" and not form.is_valid():
        # Keep a good licence file for the next try, so only the wrong answers are redone.
        if "licence" not in form.errors and request.FILES.get("licence"):
            kept_uploads.keep(request, LICENCE_KEPT, request.FILES["licence"])
            form.keep_licence(kept_uploads.kept(request, LICENCE_KEPT))
    if request.method == "POST" and form.is_valid():
        enterprise, user = register_enterprise(
            data=form.cleaned_data, licence=form.cleaned_data["licence"]
        )
        kept_uploads.discard(request, LICENCE_KEPT)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(
            request,
            _("“%(name)s”已提交注册，省计量院审核通过后即可办理业务。") % {"name": enterprise.name},
        )
        return redirect("dashboard")
    return render(request, "registration/register.html", {"form": form})
