from django.db import models
from django.utils.translation import gettext_lazy as _


class DocumentCounter(models.Model):
    """The last number given out per kind of document and year (design schemes, reports…);
    its row is locked while the next number is taken (``portal.numbering.next_number``)."""

    kind = models.CharField(_("文书类别"), max_length=40)
    year = models.PositiveSmallIntegerField(_("年度"))
    last = models.PositiveIntegerField(_("已用到的序号"), default=0)

    class Meta:
        verbose_name = _("文书编号计数器")
        verbose_name_plural = _("文书编号计数器")
        constraints = [
            models.UniqueConstraint(fields=["kind", "year"], name="one_counter_per_kind_and_year")
        ]
        # Who may approve (批准) a numbered document such as the conformance test report:
        # granted per reviewer in the admin (portal.roles.is_document_approver).
        permissions = [("approve_documents", _("批准出具编号文书（报告批准人）"))]

    def __str__(self):
        return f"{self.kind} {self.year}: {self.last}"
