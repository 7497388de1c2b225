"""A file sent with a form that failed on another field, kept so it is not asked for again.

The file is stored (default storage, under ``kept-uploads/``) and its key is kept in the
visitor's session under the form's name, so only the same browser can use it; it is
handed back as an upload when the form is sent again without a new file, and dropped once
the form succeeds or a new file replaces it. Files left behind by abandoned forms are
removed by ``drop_stale`` (run by the daily housekeeping, or by hand).
"""

import os
import uuid
from datetime import timedelta

from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

FOLDER = "kept-uploads"


def _session_key(form_name: str) -> str:
    return f"kept_upload:{form_name}"


def keep(request, form_name: str, upload) -> None:
    """Store `upload` for this visitor's next try of `form_name`."""
    discard(request, form_name)
    upload.seek(0)
    name = os.path.basename(upload.name) or "upload"
    path = default_storage.save(f"{FOLDER}/{uuid.uuid4().hex}/{name}", upload)
    request.session[_session_key(form_name)] = {
        "path": path,
        "name": name,
        "type": getattr(upload, "content_type", "") or "application/octet-stream",
    }


def kept(request, form_name: str):
    """The kept file as a fresh upload, or None."""
    entry = request.session.get(_session_key(form_name))
    if not entry or not default_storage.exists(entry["path"]):
        return None
    with default_storage.open(entry["path"], "rb") as stored:
        return SimpleUploadedFile(entry["name"], stored.read(), entry["type"])


def kept_name(request, form_name: str) -> str:
    entry = request.session.get(_session_key(form_name))
    return entry["name"] if entry else ""


def discard(request, form_name: str) -> None:
    entry = request.session.pop(_session_key(form_name), None)
    if entry and default_storage.exists(entry["path"]):
        default_storage.delete(entry["path"])


def drop_stale(older_than=timedelta(days=1)) -> int:
    """Delete kept files older than `older_than`; returns how many."""
    cutoff = timezone.now() - older_than
    dropped = 0
    try:
        folders, _ = default_storage.listdir(FOLDER)
    except FileNotFoundError:
        return 0
    for folder in folders:
        _, files = default_storage.listdir(f"{FOLDER}/{folder}")
        for name in files:
            path = f"{FOLDER}/{folder}/{name}"
            if default_storage.get_modified_time(path) < cutoff:
                default_storage.delete(path)
                dropped += 1
    return dropped
