"""HTML templates to PDF with WeasyPrint, in Chinese whatever the reader's language.

``render_pdf(template, context)`` is the one way the portal prints a PDF: the template
extends ``reports/pdf/_document.html`` (A4, Noto CJK fonts embedded, number in the header,
"第 x 页 共 y 页", check code and QR code of the verification page on numbered documents,
the 草稿 watermark on previews). Static files are read from disk and nothing is fetched
from the network.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import segno
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

# Where Debian's fonts-noto-cjk puts the fonts (the system check looks here without fc-list).
DEBIAN_CJK_FONTS = (
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"),
)


@dataclass(frozen=True)
class PdfFrame:
    """What the base template prints around the body."""

    number: str = ""
    number_label: str = "报告编号"
    draft: bool = False
    check_code: str = ""
    verify_url: str = ""
    qr: str = ""


def verify_url(number: str, check_code: str) -> str:
    path = reverse("verify", args=[number])
    return f"{settings.SITE_URL}{path}?{urlencode({'code': check_code})}"


def qr_data_uri(url: str) -> str:
    """The QR code of ``url`` as an SVG data URI about 16 mm wide."""
    return segno.make(url, error="m").svg_data_uri(scale=0.45, unit="mm", border=2)


def frame_for(document, *, preview: bool = False) -> PdfFrame:
    """The header and footer of an issued document, or of a draft preview (no number, no
    QR code, the 草稿 watermark)."""
    if preview or not document.number:
        return PdfFrame(draft=True)
    url = verify_url(document.number, document.check_code)
    return PdfFrame(
        number=document.number, check_code=document.check_code, verify_url=url, qr=qr_data_uri(url)
    )


def render_html(template: str, context: dict, frame: PdfFrame | None = None) -> str:
    with translation.override("zh-hans"):
        return render_to_string(template, {**context, "pdf": frame or PdfFrame()})


def render_pdf(template: str, context: dict, frame: PdfFrame | None = None) -> bytes:
    """The PDF of ``template`` (which extends ``reports/pdf/_document.html``)."""
    import weasyprint  # heavy (Pango); loaded by the worker or the page that prints
    from weasyprint.urls import URLFetcher

    html = render_html(template, context, frame)
    base_url = str(settings.STATIC_ROOT if settings.STATIC_ROOT.exists() else settings.BASE_DIR)
    # Data URIs (the QR code) and local files only: nothing is fetched from the network.
    fetcher = URLFetcher(allowed_protocols=("data", "file"))
    return weasyprint.HTML(string=html, base_url=base_url, url_fetcher=fetcher).write_pdf()


def cjk_font_available() -> bool:
    """True when fontconfig knows a CJK font, or Debian's Noto CJK files are present."""
    fc_list = shutil.which("fc-list")
    if fc_list:
        try:
            found = subprocess.run(
                [fc_list, ":lang=zh", "family"], capture_output=True, text=True, timeout=10
            ).stdout
        except (OSError, subprocess.SubprocessError):
            found = ""
        if found.strip():
            return True
    return any(path.exists() for path in DEBIAN_CJK_FONTS)
