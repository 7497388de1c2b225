"""The institute's seal image: checked by content, normalised to PNG, kept with history."""

import hashlib
from io import BytesIO

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from PIL import Image, ImageChops, UnidentifiedImageError

from portal import roles
from portal.models import AuditEvent

from ..models import InstitutionSeal

SEAL_MAX_BYTES = 2 * 1024 * 1024
SEAL_MIN_SIDE = 100
SEAL_MAX_SIDE = 4000
SEAL_FORMATS = {"PNG", "JPEG"}
# JPEG has no transparency: paper-white pixels are made transparent so the seal lies
# over the signature text like ink rather than as a white square.
WHITE_THRESHOLD = 235


def read_seal_image(data: bytes) -> tuple[Image.Image, str]:
    """The image (RGBA) and its format, or ValidationError naming what is wrong."""
    if len(data) > SEAL_MAX_BYTES:
        raise ValidationError(
            _("印章图片不能超过 %(mb)s MB。") % {"mb": SEAL_MAX_BYTES // (1024 * 1024)},
            code="too_large",
        )
    try:
        with Image.open(BytesIO(data)) as probe:
            image_format = probe.format
            probe.verify()
        image = Image.open(BytesIO(data))
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ValidationError(_("该文件不是有效的 PNG 或 JPEG 图片。"), code="not_image") from exc
    if image_format not in SEAL_FORMATS:
        raise ValidationError(
            _("印章图片只接受 PNG 或 JPEG 格式，该文件是 %(format)s。") % {"format": image_format},
            code="format",
        )
    width, height = image.size  # read from the header, before decoding any pixel
    if min(width, height) < SEAL_MIN_SIDE or max(width, height) > SEAL_MAX_SIDE:
        raise ValidationError(
            _("印章图片的边长须在 %(min)s 到 %(max)s 像素之间，该图片为 %(w)s×%(h)s。")
            % {"min": SEAL_MIN_SIDE, "max": SEAL_MAX_SIDE, "w": width, "h": height},
            code="size",
        )
    try:
        image.load()
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise ValidationError(_("该文件不是有效的 PNG 或 JPEG 图片。"), code="not_image") from exc
    rgba = image.convert("RGBA")
    if image_format == "JPEG":
        red, green, blue, alpha = rgba.split()
        lightest = ImageChops.darker(red, ImageChops.darker(green, blue))
        ink = lightest.point(lambda value: 0 if value >= WHITE_THRESHOLD else 255)
        rgba.putalpha(ImageChops.multiply(alpha, ink))
    return rgba, image_format


def upload_seal(actor, upload) -> InstitutionSeal:
    """Store an uploaded seal image; the newest is the one used from now on."""
    if not roles.is_operator(actor):
        raise PermissionDenied
    data = upload.read(SEAL_MAX_BYTES + 1)
    image, image_format = read_seal_image(data)
    out = BytesIO()
    image.save(out, format="PNG", optimize=True)
    png = out.getvalue()
    with transaction.atomic():
        seal = InstitutionSeal.objects.create(
            image_png=png,
            original_name=(getattr(upload, "name", "") or "")[:200],
            original_format=image_format,
            sha256=hashlib.sha256(data).hexdigest(),
            width=image.width,
            height=image.height,
            uploaded_by=actor,
        )
        AuditEvent.record(
            seal, actor, "seal_uploaded", context={"sha256": seal.sha256, "format": image_format}
        )
    return seal
