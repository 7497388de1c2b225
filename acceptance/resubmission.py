"""What changed since the last submission (issue 11: returned -> resubmitted "with what
changed since the last submission shown"). Each submission freezes a snapshot of the 附表2
fields and the uploaded files (``AcceptanceApplication.submitted_snapshot``; the one before
it is kept in ``previous_snapshot``); the detail page shows the difference to the reviewer
and the enterprise."""

from django.utils import timezone

from .choices import AcceptanceState, Material
from .models import AcceptanceApplication


def snapshot(application) -> dict:
    from .services.applications import FIELDS, as_json

    files: dict[str, list[str]] = {}
    for row in application.material_files.select_related("attachment").order_by("pk"):
        files.setdefault(row.material, []).append(
            f"{row.attachment.original_name}#{row.attachment.sha256[:8]}"
        )
    return {
        "at": timezone.localtime().strftime("%Y-%m-%d %H:%M"),
        "fields": {name: as_json(getattr(application, name)) for name in FIELDS},
        "files": files,
    }


def record_submission(application) -> None:
    """Inside the submit transition's transaction (its notify step): the new snapshot, the
    one it replaces kept as the previous submission."""
    now = snapshot(application)
    previous = application.submitted_snapshot or {}
    AcceptanceApplication.objects.filter(pk=application.pk).update(
        previous_snapshot=previous, submitted_snapshot=now
    )
    application.previous_snapshot, application.submitted_snapshot = previous, now


def _shown(value) -> str:
    if isinstance(value, list):
        return "、".join(_shown(v) for v in value)
    if isinstance(value, dict):
        return "，".join(f"{k}：{_shown(v)}" for k, v in value.items())
    if value is None or value == "":
        return "—"
    return str(value)


def changes_since_last_submission(application) -> dict | None:
    """{previous_at, fields: [{label, old, new}], files: [{material, added, removed}]} for a
    resubmitted application (None when it has not been submitted twice). While the
    enterprise edits a returned application, its current state is compared instead."""
    if application.state == AcceptanceState.RETURNED:
        before = application.submitted_snapshot or {}
        after = snapshot(application) if before else {}
    else:
        before = application.previous_snapshot or {}
        after = application.submitted_snapshot or {}
    if not before or not after:
        return None
    labels = {f.name: f.verbose_name for f in AcceptanceApplication._meta.concrete_fields}
    fields = [
        {
            "label": labels.get(name, name),
            "old": _shown(old),
            "new": _shown(after["fields"].get(name)),
        }
        for name, old in before["fields"].items()
        if after["fields"].get(name) != old
    ]
    files = []
    for material in Material:
        old = set(before["files"].get(material.value, []))
        new = set(after["files"].get(material.value, []))
        if old != new:
            files.append(
                {
                    "material": material.label,
                    "added": sorted(n.split("#")[0] for n in new - old),
                    "removed": sorted(n.split("#")[0] for n in old - new),
                }
            )
    return {"previous_at": before.get("at", ""), "fields": fields, "files": files}
