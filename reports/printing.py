"""The PDF of an issued document, as issued or as a draft preview."""

from dataclasses import replace

from .kinds import spec_of
from .rendering import frame_for, render_pdf


def document_pdf(document, *, preview: bool = False) -> bytes:
    """The PDF of ``document``: the issued frame (number, check code, QR) or, for a
    preview, the draft frame (草稿, no number, no QR)."""
    spec = spec_of(document.kind)
    frame = replace(frame_for(document, preview=preview), number_label=spec.number_label)
    return render_pdf(spec.template, {"document": document, **spec.context(document)}, frame)
