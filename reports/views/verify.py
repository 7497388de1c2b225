"""Public verification of an issued document: by number and check code, or by its file.

No login; rate-limited per client address (RATE_LIMITS["verify"]). Shows the kind, number,
enterprise name, issue date, status (with the revocation's date and reason) and SHA-256;
nothing else of the enterprise.
"""

import hashlib
from urllib.parse import urlencode

from django.shortcuts import redirect, render
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from portal.access import grant_access, public
from portal.ratelimit import rate_limit

from ..forms import VerifyStartForm, VerifyUploadForm
from ..models import IssuedDocument
from ..permissions import PUBLISHED_STATES
from ..signing import validate_pdf

MAX_UPLOAD = 20 * 1024 * 1024


@rate_limit("verify")
@grant_access(public)
def verify_start(request):
    form = VerifyStartForm(request.GET or None)
    if request.GET and form.is_valid():
        response = redirect("verify", number=form.cleaned_data["number"].strip())
        response["Location"] += "?" + urlencode({"code": form.cleaned_data["code"].strip()})
        return response
    return render(request, "reports/verify_start.html", {"form": form})


def _published(number: str) -> IssuedDocument | None:
    return (
        IssuedDocument.objects.select_related("enterprise")
        .filter(number=number, state__in=PUBLISHED_STATES)
        .first()
    )


def check_upload(document: IssuedDocument, data: bytes) -> tuple[bool, str]:
    """Whether ``data`` is the unaltered issued file of ``document``, and what to say."""
    digest = hashlib.sha256(data).hexdigest()
    if document.sha256 and constant_time_compare(digest, document.sha256):
        check = validate_pdf(data) if document.is_signed_kind else None
        if check is not None and not check.ok:
            return False, _("文件与存档一致，但签名校验未通过：%(p)s") % {"p": check.problem}
        return True, _("该文件与编号 %(n)s 的存档文件完全一致，未被改动。") % {"n": document.number}
    other = (
        IssuedDocument.objects.filter(sha256=digest, state__in=PUBLISHED_STATES)
        .exclude(pk=document.pk)
        .values_list("number", flat=True)
        .first()
    )
    if other:
        return False, _("该文件是另一份文书（编号 %(o)s），不是编号 %(n)s 的文书。") % {
            "o": other,
            "n": document.number,
        }
    check = validate_pdf(data)
    if check.signed and not check.intact:
        detail = _("文件在签名后被改动。")
    elif check.signed:
        detail = _("文件带有签名，但不是本平台存档的这份文书。")
    else:
        detail = _("文件没有本平台的签名。")
    return False, _("该文件与编号 %(n)s 的存档文件不一致：%(d)s") % {
        "n": document.number,
        "d": detail,
    }


@rate_limit("verify")
@grant_access(public)
@require_http_methods(["GET", "POST"])
def verify(request, number):
    code = (request.POST.get("code") or request.GET.get("code") or "").strip().upper()
    document = _published(number)
    if document is None:
        return render(
            request,
            "reports/verify.html",
            {"refusal": _("没有编号为 %(n)s 的已出具文书。") % {"n": number}, "number": number},
            status=404,
        )
    if not constant_time_compare(code, document.check_code):
        return render(
            request,
            "reports/verify.html",
            {
                "refusal": _(
                    "校验码与报告编号 %(n)s 不符，请核对报告页脚的校验码，或扫描报告上的二维码。"
                )
                % {"n": number},
                "number": number,
            },
            status=404,
        )
    form = VerifyUploadForm(request.POST or None, request.FILES or None)
    verdict = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > MAX_UPLOAD:
            form.add_error("file", _("文件过大（超过 20 MB），不是本平台出具的文书。"))
        else:
            verdict = check_upload(document, upload.read())
    return render(
        request,
        "reports/verify.html",
        {"document": document, "code": code, "form": form, "verdict": verdict},
    )
