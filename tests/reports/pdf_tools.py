"""poppler's pdftotext and pdffonts, skipping the test cleanly when they are not installed."""

import re
import shutil
import subprocess

import pytest


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} (poppler-utils) is not installed")
    return path


def pdf_text(pdf: bytes, *args: str) -> str:
    return subprocess.run(
        [tool("pdftotext"), *args, "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()


def pages(pdf: bytes) -> list[str]:
    return pdf_text(pdf, "-layout").split("\f")[:-1]


def pdf_fonts(pdf: bytes, tmp_path) -> list[dict]:
    """pdffonts' table as dicts (pdffonts reads a file, not stdin)."""
    path = tmp_path / "fonts.pdf"
    path.write_bytes(pdf)
    lines = subprocess.run(
        [tool("pdffonts"), str(path)], capture_output=True, check=True, text=True
    ).stdout.splitlines()[2:]
    fonts = []
    for line in lines:
        fields = line.split()
        # name type... encoding emb sub uni object ID
        fonts.append({"name": fields[0], "emb": fields[-5], "sub": fields[-4]})
    return fonts


def flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def require_cjk_font():
    from reports.rendering import cjk_font_available

    if not cjk_font_available():
        pytest.skip("no CJK font installed (apt-get install fonts-noto-cjk)")
