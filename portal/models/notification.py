from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class NotificationQuerySet(models.QuerySet):
    def unread(self):
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """One message to one person: shown in the in-app inbox and sent by e-mail."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    link = models.CharField(_("链接"), max_length=300, blank=True)
    # The title and body as message ids and parameters (portal.sentences), shown in the
    # reader's language; title and body above keep the text as sent (the portal's
    # language). Rows written before this field show their stored text.
    texts = models.JSONField(_("文本参数"), default=dict, blank=True)
    event = models.ForeignKey(
        "portal.AuditEvent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("邮件发送时间"), null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self):
        return self.title

    @property
    def shown_title(self) -> str:
        from ..sentences import compose_data

        return compose_data(self.texts.get("title"), self.title)

    @property
    def shown_body(self) -> str:
        from ..sentences import compose_data

        return compose_data(self.texts.get("body"), self.body)
