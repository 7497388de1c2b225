"""档案: one ZIP per request of everything the portal holds for an enterprise, in stage
order, with its index (档案目录) as PDF and CSV; built by a Celery task that writes its
progress here. The ZIP is stored in the private media storage (no public URL) and served
only through the permission-checked download view."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


def dossier_path(instance, filename):
    return f"dossiers/{instance.enterprise_id}/{uuid.uuid4().hex}.zip"


class DossierStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("生成中")
    DONE = "done", _("已生成")
    FAILED = "failed", _("生成失败")


class Dossier(models.Model):
    enterprise = models.ForeignKey(
        "portal.Enterprise", on_delete=models.CASCADE, related_name="dossiers"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=DossierStatus, default=DossierStatus.QUEUED
    )
    progress = models.PositiveSmallIntegerField(_("进度（%）"), default=0)
    error = models.TextField(_("失败原因"), blank=True)
    file = models.FileField(_("档案文件"), upload_to=dossier_path, max_length=200, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    entries = models.PositiveIntegerField(_("文件数"), default=0)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("企业档案")
        verbose_name_plural = _("企业档案")
        ordering = ["-requested_at", "-pk"]

    def __str__(self):
        return f"{self.enterprise} · {self.requested_at:%Y-%m-%d %H:%M}"

    @property
    def working(self) -> bool:
        return self.status in (DossierStatus.QUEUED, DossierStatus.RUNNING)
