"""The history of a data item's slot-relevant fields, and the changes asked for in a trial.

``DataItemRevision``: one row per item and Beijing day from which a set of slot-relevant
values (statType, interval, band, active) holds, so "the item as registered on day D" is
the revision with the greatest ``valid_from`` on or before D (``telemetry.item_history``).
``DataItem.save`` writes it; a change approved during a trial writes it through
``ItemChangeRequest.apply`` with the stated day.

``ItemChangeRequest``: while the enterprise's stable-upload trial runs, adding, activating,
deactivating or changing an item's statType, interval or band waits for a reviewer. States:
pending → approved (takes effect on ``effective_on``) → applied, or pending → rejected.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from portal.roles import staff_reviewer_permission
from portal.workflow import condition

from .item import SLOT_FIELDS, IntervalChoice, StatTypeChoice


class SlotValues(models.Model):
    """The slot-relevant values of an item (SLOT_FIELDS), as registered or as proposed."""

    stat_type = models.PositiveSmallIntegerField(_("统计类型（statType）"), choices=StatTypeChoice)
    interval_minutes = models.PositiveSmallIntegerField(_("实时采集间隔"), choices=IntervalChoice)
    value_min = models.DecimalField(
        _("合理值下限"), max_digits=20, decimal_places=4, null=True, blank=True
    )
    value_max = models.DecimalField(
        _("合理值上限"), max_digits=20, decimal_places=4, null=True, blank=True
    )
    is_active = models.BooleanField(_("启用"))

    class Meta:
        abstract = True

    def slot_values(self) -> dict:
        return {name: getattr(self, name) for name in SLOT_FIELDS}


class DataItemRevision(SlotValues):
    item = models.ForeignKey(
        "telemetry.DataItem", on_delete=models.CASCADE, related_name="revisions"
    )
    valid_from = models.DateField(_("生效日期"))
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField(_("原因"), blank=True)
    change_request = models.ForeignKey(
        "telemetry.ItemChangeRequest",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="revisions",
    )
    recorded_at = models.DateTimeField(_("记录时间"), auto_now=True)

    class Meta:
        verbose_name = _("数据采集项登记记录")
        verbose_name_plural = _("数据采集项登记记录")
        ordering = ["item", "valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["item", "valid_from"], name="unique_item_revision_day")
        ]

    def __str__(self):
        return f"{self.item_id} @ {self.valid_from}"

    @classmethod
    def record(cls, item, valid_from, *, made_by=None, approved_by=None, reason="", request=None):
        """Write (or, for the same day, overwrite) the revision of ``item`` from ``valid_from``.

        Two changes on one day leave one revision: the day counts as registered last.
        """
        values = {name: getattr(item, name) for name in SLOT_FIELDS}
        values.update(
            made_by=made_by, approved_by=approved_by, reason=reason, change_request=request
        )
        revision, _created = cls.objects.update_or_create(
            item=item, valid_from=valid_from, defaults=values
        )
        return revision


class ChangeKind(models.TextChoices):
    ADD = "add", _("新增采集项")
    ACTIVATE = "activate", _("启用采集项")
    DEACTIVATE = "deactivate", _("停用采集项")
    CHANGE = "change", _("修改统计类型、间隔或合理值范围")


class ChangeStatus(models.TextChoices):
    PENDING = "pending", _("待审核")
    APPROVED = "approved", _("已批准，待生效")
    APPLIED = "applied", _("已生效")
    REJECTED = "rejected", _("未批准")


OPEN_STATUSES_VALUES = [ChangeStatus.PENDING.value, ChangeStatus.APPROVED.value]


class ItemChangeRequest(FSMModelMixin, SlotValues):
    enterprise = models.ForeignKey(
        "portal.Enterprise", on_delete=models.CASCADE, related_name="item_change_requests"
    )
    item = models.ForeignKey(
        "telemetry.DataItem", on_delete=models.CASCADE, related_name="change_requests"
    )
    kind = models.CharField(_("变更类型"), max_length=12, choices=ChangeKind)
    status = FSMField(
        _("状态"), max_length=12, choices=ChangeStatus, default=ChangeStatus.PENDING, protected=True
    )
    # The slot-relevant values before (as registered when asked) and as proposed.
    before = models.JSONField(_("变更前"), default=dict, blank=True)
    requested_on = models.DateField(_("申请生效日期"))
    effective_on = models.DateField(_("生效日期"))
    reason = models.TextField(_("变更原因"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(_("申请时间"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    decision_comment = models.TextField(_("审核意见"), blank=True)
    applied_at = models.DateTimeField(_("生效时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("数据采集项变更申请")
        verbose_name_plural = _("数据采集项变更申请")
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["item"],
                condition=models.Q(status__in=["pending", "approved"]),
                name="one_open_item_change",
            )
        ]
        indexes = [models.Index(fields=["status", "effective_on"], name="item_change_due_idx")]

    def __str__(self):
        return f"{self.item} · {self.get_kind_display()} · {self.get_status_display()}"

    def proposed(self) -> dict:
        return self.slot_values()

    @condition(_("生效日期未到"))
    def is_due(self) -> bool:
        return self.effective_on <= timezone.localdate()

    @transition(
        status,
        source=ChangeStatus.PENDING,
        target=ChangeStatus.APPROVED,
        permission=staff_reviewer_permission,
    )
    def approve(self, actor=None, note=""):
        """A reviewer agrees; the change takes effect from the stated day, or from the day of
        approval when that day has passed (a change never reaches back before its approval).
        Side effect (service): applied at once when due, else by the periodic task."""
        self.effective_on = max(self.effective_on, timezone.localdate())
        self.decided_by, self.decided_at, self.decision_comment = actor, timezone.now(), note

    @transition(
        status,
        source=ChangeStatus.PENDING,
        target=ChangeStatus.REJECTED,
        permission=staff_reviewer_permission,
    )
    def reject(self, actor=None, note=""):
        """A reviewer refuses, with a reason; the item stays as registered."""
        self.decided_by, self.decided_at, self.decision_comment = actor, timezone.now(), note

    @transition(
        status, source=ChangeStatus.APPROVED, target=ChangeStatus.APPLIED, conditions=[is_due]
    )
    def apply(self, actor=None):
        """The stated day has come. Side effect (service): the item takes the proposed values
        and a revision from ``effective_on`` is written."""
        self.applied_at = timezone.now()
