import uuid

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _


def attachment_path(instance, filename):
    # The stored name is random: the original name is kept in a column, never trusted as a
    # path, so no upload can overwrite another or escape the attachments folder.
    return f"attachments/{instance.enterprise_id or 'common'}/{uuid.uuid4().hex}"


class Attachment(models.Model):
    """A file someone uploaded to a record: type checked by content, hash kept."""

    enterprise = models.ForeignKey(
        "portal.Enterprise",
        verbose_name=_("所属企业"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="attachments",
    )
    content_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.CASCADE)
    object_id = models.PositiveBigIntegerField(null=True, blank=True)
    owner = GenericForeignKey("content_type", "object_id")
    kind = models.CharField(_("材料类型"), max_length=60, blank=True)
    file = models.FileField(_("文件"), upload_to=attachment_path, max_length=200)
    original_name = models.CharField(_("文件名"), max_length=255)
    mime_type = models.CharField(_("文件类型"), max_length=100)
    size = models.PositiveBigIntegerField(_("大小（字节）"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("附件")
        verbose_name_plural = _("附件")
        ordering = ["-uploaded_at"]
        indexes = [models.Index(fields=["content_type", "object_id", "kind"])]

    def __str__(self):
        return self.original_name
