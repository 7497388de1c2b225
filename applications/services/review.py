"""The reviewer's workbench on 附表1: a verdict per material, the return reason composed from
them, a snapshot of each submission and what changed since the last one, and the stamped
scan the enterprise uploads after approval."""

from dataclasses import dataclass, field
from functools import partial

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from portal.attachments import IMAGES, PDF, save_attachment
from portal.models import AuditEvent
from portal.permissions import can_file_for
from portal.roles import is_staff_reviewer
from portal.workflow import RefusalReason, TransitionRefused

from ..models import (
    STAMPED_SCAN,
    AccessApplication,
    ApplicationState,
    ApplicationSubmission,
    ApplicationVerdict,
    Material,
    Verdict,
)
from ..models.application import ANSWERS

STAMPED_TYPES = IMAGES | {PDF}


# --- verdicts ------------------------------------------------------------------------------


def current_verdicts(application) -> dict[str, ApplicationVerdict]:
    """The verdict per material on the application's latest submission."""
    if application.submitted_at is None:
        return {}
    return {
        row.material: row
        for row in ApplicationVerdict.objects.filter(
            application=application, submitted_at=application.submitted_at
        ).select_related("decided_by")
    }


def record_verdict(application, actor, material: str, verdict: str, note: str = ""):
    """The reviewer's 合格 / 需补正 on one material of the submission under review."""
    if not is_staff_reviewer(actor):
        raise PermissionDenied
    if material not in Material.values:
        raise ValidationError({"material": _("未知的材料。")})
    if verdict not in Verdict.values:
        raise ValidationError({"verdict": _("请选择“合格”或“需补正”。")})
    note = note.strip()
    if verdict == Verdict.NEEDS_CORRECTION and not note:
        raise ValidationError({"note": _("需补正时请写明补正要求。")})
    with transaction.atomic():
        locked = AccessApplication.objects.select_for_update().get(pk=application.pk)
        if locked.state != ApplicationState.UNDER_REVIEW:
            raise TransitionRefused(RefusalReason.WRONG_STATE, state=locked.get_state_display())
        row, _created = ApplicationVerdict.objects.update_or_create(
            application=locked,
            material=material,
            submitted_at=locked.submitted_at,
            defaults={"verdict": verdict, "note": note, "decided_by": actor},
        )
        AuditEvent.record(
            locked,
            actor,
            "application_material_verdict",
            comment=note,
            context={"material": material, "verdict": verdict},
        )
    return row


def composed_reason(application) -> str:
    """The return reason written from the materials marked 需补正, in 附表1 order."""
    notes = {
        material: row.note
        for material, row in current_verdicts(application).items()
        if row.verdict == Verdict.NEEDS_CORRECTION
    }
    return "\n".join(
        f"{material.label}：{notes[material.value]}" for material in Material if material in notes
    )


def corrections_pending(application) -> list[Material]:
    """Materials the reviewer marked 需补正 on this submission (approval must wait)."""
    verdicts = current_verdicts(application)
    return [
        m
        for m in Material
        if m.value in verdicts and verdicts[m.value].verdict == Verdict.NEEDS_CORRECTION
    ]


# --- submissions and what changed ----------------------------------------------------------


def record_submission(application) -> ApplicationSubmission:
    """Keep what this submission holds (called inside the submitting transaction)."""
    last = application.submissions.order_by("-number").first()
    return ApplicationSubmission.objects.create(
        application=application,
        number=(last.number + 1) if last else 1,
        submitted_at=application.submitted_at,
        answers={name: application.answer_display(name) for name in ANSWERS},
        files=application.material_files(),
    )


@dataclass
class FieldChange:
    name: str
    label: str
    before: str
    after: str


@dataclass
class FileChange:
    material: Material
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


@dataclass
class Changes:
    previous: ApplicationSubmission
    latest: ApplicationSubmission
    fields: list[FieldChange]
    files: list[FileChange]

    @property
    def none(self) -> bool:
        return not self.fields and not self.files


def _label(name):
    return AccessApplication._meta.get_field(name).verbose_name


def changes_since_last(application) -> Changes | None:
    """What the latest submission changed against the one before, per field and per file
    (a file counts as changed when its SHA-256 differs, whatever its name); None on a first
    submission."""
    last_two = list(application.submissions.order_by("-number")[:2])
    if len(last_two) < 2:
        return None
    latest, previous = last_two
    fields = [
        FieldChange(name, str(_label(name)), previous.answers.get(name, ""), value)
        for name, value in ((n, latest.answers.get(n, "")) for n in ANSWERS)
        if previous.answers.get(name, "") != value
    ]
    files = []
    for material in Material:
        before = {f["sha256"]: f["name"] for f in previous.files.get(material.value, [])}
        after = {f["sha256"]: f["name"] for f in latest.files.get(material.value, [])}
        change = FileChange(
            material,
            added=[after[h] for h in after if h not in before],
            removed=[before[h] for h in before if h not in after],
        )
        if change.added or change.removed:
            files.append(change)
    return Changes(previous, latest, fields, files)


# --- the stamped 附表1 -----------------------------------------------------------------------


def upload_stamped_scan(application, actor, upload):
    """The enterprise's stamped, signed 附表1 after approval, tied to the approved version it
    stamps; it replaces an earlier scan."""
    with transaction.atomic():
        locked = AccessApplication.objects.select_for_update().get(pk=application.pk)
        if not can_file_for(actor, locked.enterprise):
            raise TransitionRefused(RefusalReason.NOT_PERMITTED)
        if locked.state != ApplicationState.APPROVED:
            raise TransitionRefused(RefusalReason.WRONG_STATE, state=locked.get_state_display())
        earlier = locked.stamped_scans()
        attachment = save_attachment(
            upload,
            actor=actor,
            enterprise=locked.enterprise,
            owner=locked,
            kind=STAMPED_SCAN,
            allowed=STAMPED_TYPES,
        )
        for old in earlier:
            old.delete()
            transaction.on_commit(partial(old.file.delete, save=False))
        # The attachments were read before the new one: read them again for the hash.
        locked = AccessApplication.objects.select_for_update().get(pk=application.pk)
        locked.stamps_sha256 = locked.content_sha256()
        locked.save(update_fields=["stamps_sha256", "updated_at"])
        AuditEvent.record(
            locked,
            actor,
            "application_stamped_scan",
            comment=attachment.original_name,
            context={"sha256": attachment.sha256, "stamps": locked.stamps_sha256},
        )
    return attachment
