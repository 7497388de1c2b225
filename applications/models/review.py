"""The reviewer's workbench on 附表1: a verdict per material and what each submission held."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .application import AccessApplication


class Verdict(models.TextChoices):
    ACCEPTABLE = "acceptable", _("合格")
    NEEDS_CORRECTION = "needs_correction", _("需补正")


class ApplicationVerdict(models.Model):
    """A reviewer's 合格 / 需补正 on one material of 附表1, for one submission."""

    application = models.ForeignKey(
        AccessApplication, on_delete=models.CASCADE, related_name="verdicts"
    )
    material = models.CharField(_("材料"), max_length=40)
    verdict = models.CharField(_("审核结论"), max_length=20, choices=Verdict)
    note = models.TextField(_("补正说明"), blank=True)
    # Which submission the verdict was given on: a resubmission starts a fresh set.
    submitted_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("对接申请材料审核结论")
        verbose_name_plural = _("对接申请材料审核结论")
        constraints = [
            models.UniqueConstraint(
                fields=["application", "material", "submitted_at"],
                name="one_access_verdict_per_material_per_submission",
            ),
            models.CheckConstraint(
                condition=~models.Q(verdict="needs_correction") | ~models.Q(note=""),
                name="access_correction_needs_a_note",
            ),
        ]

    def __str__(self):
        return f"{self.material}: {self.get_verdict_display()}"


class ApplicationSubmission(models.Model):
    """What one submission of 附表1 held: each answer as shown and each file's SHA-256, so
    the reviewer of a resubmission sees what changed since the last one."""

    application = models.ForeignKey(
        AccessApplication, on_delete=models.CASCADE, related_name="submissions"
    )
    number = models.PositiveSmallIntegerField(_("第几次提交"))
    submitted_at = models.DateTimeField(_("提交时间"))
    # {"field name": "answer as displayed"}
    answers = models.JSONField(default=dict)
    # {"material kind": [{"name": ..., "sha256": ...}, ...]}
    files = models.JSONField(default=dict)

    class Meta:
        verbose_name = _("对接申请提交记录")
        verbose_name_plural = _("对接申请提交记录")
        ordering = ["application", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "number"], name="one_snapshot_per_submission"
            )
        ]

    def __str__(self):
        return f"{self.application_id} #{self.number}"
