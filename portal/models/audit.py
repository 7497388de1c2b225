from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField

# Known event names and their labels; each app registers its own. Recording an unknown
# name is a programming error, caught at once rather than shown as a raw identifier.
EVENT_LABELS: dict[str, str] = {}


def register_events(labels: dict) -> None:
    EVENT_LABELS.update(labels)


register_events(
    {
        "enterprise_registered": _("企业注册"),
        "registration_approved": _("注册审核通过"),
        "registration_rejected": _("注册审核未通过"),
        "registration_rejection_overturned": _("撤销注册退回决定并通过"),
        "enterprise_updated": _("企业信息修改"),
        "login_lockout_lifted": _("解除登录锁定"),
        "member_added": _("添加企业成员"),
        "attachment_uploaded": _("上传附件"),
    }
)


class AuditEventQuerySet(models.QuerySet):
    def for_object(self, obj):
        return self.filter(
            content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk
        ).select_related("actor")


class AuditEvent(models.Model):
    """Who did what to which record, when, from which state to which, and why."""

    created_at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    event = models.CharField(_("事件"), max_length=60)
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.PositiveBigIntegerField()
    target = GenericForeignKey("content_type", "object_id")
    # Kept on every event so an enterprise's whole history is one indexed query.
    enterprise = models.ForeignKey(
        "portal.Enterprise", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    from_state = models.CharField(_("原状态"), max_length=40, blank=True)
    to_state = models.CharField(_("新状态"), max_length=40, blank=True)
    comment = models.TextField(_("说明"), blank=True)
    context = models.JSONField(_("附加信息"), default=dict, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("审计事件")
        verbose_name_plural = _("审计事件")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["content_type", "object_id", "-created_at"])]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.event_label}"

    @property
    def event_label(self) -> str:
        return str(EVENT_LABELS.get(self.event, self.event))

    @classmethod
    def record(cls, target, actor, event, *, from_state="", to_state="", comment="", context=None):
        if event not in EVENT_LABELS:
            raise ValueError(f"Unknown audit event {event!r}; register it with register_events")
        enterprise_id = target.pk if target._meta.label == "portal.Enterprise" else None
        if enterprise_id is None:
            enterprise_id = getattr(target, "enterprise_id", None)
        return cls.objects.create(
            target=target,
            actor=actor if actor is not None and actor.is_authenticated else None,
            event=event,
            enterprise_id=enterprise_id,
            from_state=from_state or "",
            to_state=to_state or "",
            comment=comment or "",
            context=context or {},
        )

    def state_label(self, value: str) -> str:
        """The translated label of a state value of the target's FSM field, if known."""
        # get_for_id is cached, so a timeline of many events costs no query per event.
        model = ContentType.objects.get_for_id(self.content_type_id).model_class()
        for field in model._meta.fields if model else []:
            if isinstance(field, FSMField):
                return str(dict(field.flatchoices).get(value, value))
        return value

    @property
    def from_label(self) -> str:
        return self.state_label(self.from_state) if self.from_state else ""

    @property
    def to_label(self) -> str:
        return self.state_label(self.to_state) if self.to_state else ""
