"""The institute's seal image (印章图片) shown in the visible signature of issued PDFs."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class InstitutionSeal(models.Model):
    """One uploaded seal image, kept as a normalised PNG. Every upload is kept (history);
    the latest is the one in use. Without any, signing draws a plain seal."""

    image_png = models.BinaryField(_("印章图片 (PNG)"))
    original_name = models.CharField(_("原文件名"), max_length=200, blank=True)
    original_format = models.CharField(_("原格式"), max_length=10)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    width = models.PositiveIntegerField(_("宽度（像素）"))
    height = models.PositiveIntegerField(_("高度（像素）"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("上传人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("印章图片")
        verbose_name_plural = _("印章图片")
        ordering = ["-uploaded_at", "-pk"]

    def __str__(self):
        return f"{self.original_name or self.sha256[:12]} ({self.uploaded_at:%Y-%m-%d})"

    @classmethod
    def current(cls) -> "InstitutionSeal | None":
        return cls.objects.order_by("-uploaded_at", "-pk").first()
