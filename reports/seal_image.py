"""Pictures for the visible signature: the institute's seal and the stamp around it.

Drawn with Pillow. The stamp (seal, signer, time) is one image placed in the signature
field, so that no font has to be embedded by pyHanko; the text is drawn with Noto CJK when
it is installed (fonts-noto-cjk), and without it the stamp falls back to plain ASCII text
and a seal without lettering.
"""

import math
from datetime import datetime
from functools import cache
from io import BytesIO
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

INSTITUTE = "湖北省计量测试技术研究院"
SEAL_RED = (204, 0, 0, 255)
PX_PER_MM = 12  # about 300 dpi

# Where Debian's fonts-noto-cjk (and a few other distributions) put Noto CJK.
FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
)


@cache
def cjk_font_file() -> tuple[str, int] | None:
    """(path, index) of a Noto CJK face for simplified Chinese, or None when none is found."""
    for candidate in FONT_CANDIDATES:
        if not Path(candidate).exists():
            continue
        fallback = None
        for index in range(10):  # a .ttc holds the JP, KR, SC, TC, HK faces
            try:
                family = ImageFont.truetype(candidate, 12, index=index).getname()[0]
            except OSError:
                break
            if family.endswith(" SC"):
                return candidate, index
            fallback = fallback if fallback is not None else index
        if fallback is not None:
            return candidate, fallback
    return None


def cjk_font(size: int) -> ImageFont.FreeTypeFont | None:
    found = cjk_font_file()
    if found is None:
        return None
    return ImageFont.truetype(found[0], size, index=found[1])


def _star(draw: ImageDraw.ImageDraw, cx: float, cy: float, radius: float) -> None:
    points = []
    for i in range(10):
        r = radius if i % 2 == 0 else radius * 0.382
        angle = -math.pi / 2 + i * math.pi / 5
        points.append((cx + r * math.cos(angle), cy + r * math.sin(angle)))
    draw.polygon(points, fill=SEAL_RED)


def _arc_text(image: Image.Image, text: str, font, cx: float, cy: float, radius: float) -> None:
    """Write ``text`` clockwise along the upper arc, each character upright to the centre."""
    span = math.radians(240)
    step = span / max(len(text) - 1, 1)
    start = -math.pi / 2 - span / 2
    size = font.size
    for i, char in enumerate(text):
        angle = start + i * step
        glyph = Image.new("RGBA", (size * 2, size * 2), (0, 0, 0, 0))
        ImageDraw.Draw(glyph).text((size, size), char, font=font, fill=SEAL_RED, anchor="mm")
        glyph = glyph.rotate(-math.degrees(angle + math.pi / 2), resample=Image.BICUBIC)
        x = cx + radius * math.cos(angle) - size
        y = cy + radius * math.sin(angle) - size
        image.alpha_composite(glyph, (round(x), round(y)))


def default_seal(diameter_px: int = 480) -> Image.Image:
    """The plain drawn seal used until the operator uploads the institute's real one:
    a red ring, a star, and the institute's name around the top when a CJK font exists."""
    image = Image.new("RGBA", (diameter_px, diameter_px), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    c = diameter_px / 2
    ring = diameter_px * 0.035
    draw.ellipse(
        (ring / 2, ring / 2, diameter_px - ring / 2, diameter_px - ring / 2),
        outline=SEAL_RED,
        width=round(ring),
    )
    _star(draw, c, c, diameter_px * 0.16)
    font = cjk_font(round(diameter_px * 0.105))
    if font is not None:
        _arc_text(image, INSTITUTE, font, c, c, diameter_px * 0.36)
        small = cjk_font(round(diameter_px * 0.075))
        draw.text((c, c + diameter_px * 0.26), "文件签章", font=small, fill=SEAL_RED, anchor="mm")
    return image


def stamp_image(
    seal: Image.Image, *, signer: str, signed_at: datetime, width_mm: float, height_mm: float
) -> Image.Image:
    """The signature field's picture: signer and time on the left, the seal over them."""
    width, height = round(width_mm * PX_PER_MM), round(height_mm * PX_PER_MM)
    image = Image.new("RGBA", (width, height), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    font = cjk_font(round(3.2 * PX_PER_MM))
    margin = round(1.5 * PX_PER_MM)
    if font is not None:
        when = f"{signed_at.year}年{signed_at.month}月{signed_at.day}日 {signed_at:%H:%M}"
        lines = ["数字签名：", signer, f"时间：{when}"]
    else:
        font = ImageFont.load_default(size=round(3 * PX_PER_MM))
        lines = [
            "Digitally signed",
            signer.encode("ascii", "replace").decode(),
            f"{signed_at:%Y-%m-%d %H:%M %z}",
        ]
    line_height = font.size * 1.45
    top = height - margin - line_height * len(lines)
    for i, line in enumerate(lines):
        draw.text((margin, top + i * line_height), line, font=font, fill=(0, 0, 0, 255))
    # The seal overlaps the text like a stamp pressed over a signature line.
    side = min(height, width) - 2 * margin
    seal = seal.convert("RGBA")
    seal.thumbnail((side, side), Image.LANCZOS)
    image.alpha_composite(seal, (width - seal.width - margin, (height - seal.height) // 2))
    return image


def png_bytes(image: Image.Image) -> bytes:
    out = BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
