import base64

from cryptography import x509
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from portal.access import enterprise_user, grant_access, public, reviewer
from portal.forms import DecisionForm
from portal.permissions import own_enterprise
from portal.views.outcomes import attempt, form_errors_from
from portal.workflow import TransitionRefused

from .. import pki
from ..forms import CsrForm, GenerateKeyForm, RevokeForm
from ..integration import integration_pack
from ..models import AccessApplication, CANotReady, CertificateStatus, RootCertificate
from ..permissions import (
    can_manage_credentials,
    certificates_visible_to,
    credential_enterprise_or_404,
    vpn_accounts_visible_to,
)
from ..services.certificates import (
    current_crl_der,
    generate_certificate,
    issue_certificate,
    revoke_certificate,
)
from ..services.vpn import set_vpn_active, set_vpn_password


@grant_access(enterprise_user)
def my_credentials(request):
    enterprise = own_enterprise(request.user)
    if enterprise is None:
        raise Http404
    return redirect("applications:credentials", pk=enterprise.pk)


def _device_registry_url(enterprise) -> str:
    """Where the enterprise registers its end devices next (a higher floor's page, found by
    its URL name so this app does not import it); empty when that app is not installed."""
    try:
        return reverse("telemetry:enterprise_registry", args=[enterprise.pk])
    except NoReverseMatch:
        return ""


def _credentials_page(request, enterprise, csr_form=None, generate_form=None, status=200):
    application = AccessApplication.objects.approved_for(enterprise)
    device_serial = application.device_serial if application else ""
    csr_command = (
        pki.openssl_csr_command(
            uscc=enterprise.uscc, device_serial=device_serial, enterprise_name=enterprise.name
        )
        if device_serial
        else ""
    )
    try:
        pack = integration_pack(enterprise) if application else None
    except CANotReady:
        pack = None
    return render(
        request,
        "applications/credentials.html",
        {
            "enterprise": enterprise,
            "application": application,
            "certificates": certificates_visible_to(request.user).filter(enterprise=enterprise),
            "vpn": vpn_accounts_visible_to(request.user).filter(enterprise=enterprise).first(),
            "pack": pack,
            "csr_form": csr_form or CsrForm(initial={"device_serial": device_serial}),
            "generate_form": generate_form
            or GenerateKeyForm(initial={"device_serial": device_serial}),
            "revoke_form": RevokeForm(),
            "decision_form": DecisionForm(),
            "can_manage": can_manage_credentials(request.user, enterprise),
            "csr_command": csr_command,
            "device_registry_url": _device_registry_url(enterprise),
        },
        status=status,
    )


@grant_access(enterprise_user, reviewer)
def credentials(request, pk):
    return _credentials_page(request, credential_enterprise_or_404(request.user, pk))


@require_POST
@grant_access(enterprise_user, reviewer)
def certificate_request(request, pk):
    enterprise = credential_enterprise_or_404(request.user, pk)
    form = CsrForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            cert = issue_certificate(
                enterprise,
                request.user,
                form.cleaned_data["csr"],
                form.cleaned_data["device_serial"],
            )
        except ValidationError as error:
            form_errors_from(form, error)
        except TransitionRefused as refusal:
            form.add_error(None, refusal.message)
        else:
            messages.success(request, _("证书已签发，序列号 %(s)s。") % {"s": cert.serial_hex})
            return redirect("applications:credentials", pk=enterprise.pk)
    return _credentials_page(request, enterprise, csr_form=form, status=400)


@never_cache
@require_POST
@grant_access(enterprise_user, reviewer)
def certificate_generate(request, pk):
    """The fallback: the PKCS#12 and its password exist only in this one response."""
    enterprise = credential_enterprise_or_404(request.user, pk)
    form = GenerateKeyForm(request.POST)
    if form.is_valid():
        try:
            bundle = generate_certificate(
                enterprise,
                request.user,
                form.cleaned_data["device_serial"],
                form.cleaned_data["key_type"],
            )
        except ValidationError as error:
            form_errors_from(form, error)
        except TransitionRefused as refusal:
            form.add_error(None, refusal.message)
        else:
            return render(
                request,
                "applications/certificate_generated.html",
                {
                    "enterprise": enterprise,
                    "certificate": bundle.certificate,
                    "password": bundle.password,
                    "pkcs12_base64": base64.b64encode(bundle.pkcs12).decode(),
                },
            )
    return _credentials_page(request, enterprise, generate_form=form, status=400)


@grant_access(enterprise_user, reviewer)
def certificate_download(request, pk):
    cert = get_object_or_404(certificates_visible_to(request.user), pk=pk)
    response = HttpResponse(cert.certificate_pem, content_type="application/x-pem-file")
    response["Content-Disposition"] = f'attachment; filename="{cert.device_serial}.crt.pem"'
    return response


@require_POST
@grant_access(enterprise_user, reviewer)
def certificate_revoke(request, pk):
    cert = get_object_or_404(certificates_visible_to(request.user), pk=pk)
    form = RevokeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择吊销原因。"))
    else:
        attempt(
            request,
            lambda: revoke_certificate(
                cert, request.user, form.cleaned_data["reason"], form.cleaned_data["comment"]
            ),
            _("证书已吊销，证书吊销列表已更新。"),
        )
    return redirect("applications:credentials", pk=cert.enterprise_id)


@never_cache
@require_POST
@grant_access(enterprise_user, reviewer)
def vpn_password(request, pk):
    """A new VPN password, shown in this response only."""
    account = get_object_or_404(vpn_accounts_visible_to(request.user), pk=pk)
    if not can_manage_credentials(request.user, account.enterprise):
        raise PermissionDenied
    account, password = set_vpn_password(account, request.user)
    return render(
        request, "applications/vpn_password.html", {"account": account, "password": password}
    )


@require_POST
@grant_access(reviewer)
def vpn_toggle(request, pk, active):
    account = get_object_or_404(vpn_accounts_visible_to(request.user), pk=pk)
    form = DecisionForm(request.POST)
    form.is_valid()
    attempt(
        request,
        lambda: set_vpn_active(account, request.user, active, form.cleaned_data.get("comment", "")),
        _("VPN 账号已启用。") if active else _("VPN 账号已停用。"),
    )
    return redirect("applications:credentials", pk=account.enterprise_id)


@grant_access(reviewer)
def certificate_list(request):
    certs = certificates_visible_to(request.user).order_by("not_after")
    status = request.GET.get("status", "")
    now = timezone.now()
    if status == CertificateStatus.REVOKED:
        certs = certs.filter(revoked_at__isnull=False)
    elif status == CertificateStatus.EXPIRED:
        certs = certs.filter(revoked_at__isnull=True, not_after__lte=now)
    elif status == CertificateStatus.VALID:
        certs = certs.filter(revoked_at__isnull=True, not_after__gt=now)
    page = Paginator(certs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "applications/certificate_list.html",
        {"page": page, "statuses": CertificateStatus.choices, "status": status},
    )


# --- public PKI files ----------------------------------------------------------------------


def _root_or_404():
    try:
        return RootCertificate.current()
    except CANotReady:
        raise Http404 from None


@grant_access(public)
def ca_certificate(request):
    root = _root_or_404()
    response = HttpResponse(root.certificate_pem, content_type="application/x-pem-file")
    response["Content-Disposition"] = 'attachment; filename="hubei-energy-ca.pem"'
    return response


@grant_access(public)
def crl(request):
    _root_or_404()
    return HttpResponse(current_crl_der(), content_type="application/pkix-crl")


@grant_access(public)
def crl_pem(request):
    _root_or_404()
    parsed = x509.load_der_x509_crl(current_crl_der())
    return HttpResponse(pki.crl_pem(parsed), content_type="application/x-pem-file")
