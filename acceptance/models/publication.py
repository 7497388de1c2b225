"""The 公众子系统's acceptance results and rectification announcements (seed 5.5, 6.2).

A row is written when the result is decided and holds only what may be public: enterprise
name, region, project name, dates, result, document number, deadline; nothing else."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.models import Region

from ..choices import PublicationKind


class Publication(models.Model):
    kind = models.CharField(_("类别"), max_length=20, choices=PublicationKind)
    enterprise = models.ForeignKey(
        "portal.Enterprise", on_delete=models.PROTECT, related_name="publications"
    )
    enterprise_name = models.CharField(_("企业名称"), max_length=200)
    region = models.CharField(_("所在地区"), max_length=6, choices=Region)
    project_name = models.CharField(_("项目名称"), max_length=100)
    decided_on = models.DateField(_("验收或审核日期"))
    result = models.CharField(_("结果"), max_length=20)
    document_number = models.CharField(_("报告或通知编号"), max_length=40, blank=True)
    verify_url = models.CharField(_("真伪查验地址"), max_length=300, blank=True)
    deadline = models.DateField(_("整改期限"), null=True, blank=True)
    published_at = models.DateTimeField(_("公布日期"), auto_now_add=True)
    closed_on = models.DateField(_("整改完成日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("公布信息")
        verbose_name_plural = _("公布信息")
        ordering = ["-published_at", "-pk"]
        indexes = [models.Index(fields=["kind", "published_at"])]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.enterprise_name}"
