from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class EnergyDictionary(models.Model):
    """One loaded version of the energy-type dictionary (GB/T 2589 coefficients).

    Versions are kept side by side so an item keeps the coefficient it was configured with
    when a newer edition of the standard is loaded (SPEC section 8).
    """

    version = models.CharField(_("版本"), max_length=40, unique=True)
    source = models.CharField(_("来源"), max_length=200)
    loaded_at = models.DateTimeField(_("导入时间"), auto_now_add=True)
    is_current = models.BooleanField(_("当前版本"), default=False)

    class Meta:
        verbose_name = _("能源品种字典")
        verbose_name_plural = _("能源品种字典")
        constraints = [
            models.UniqueConstraint(
                fields=["is_current"],
                condition=models.Q(is_current=True),
                name="one_current_dictionary",
            )
        ]

    def __str__(self):
        return self.version


class EnergyType(models.Model):
    """An energy type with its standard-coal coefficient (kgce per unit)."""

    dictionary = models.ForeignKey(
        EnergyDictionary, on_delete=models.CASCADE, related_name="energy_types"
    )
    code = models.CharField(_("能源代码"), max_length=10)
    name = models.CharField(_("名称"), max_length=50)
    name_en = models.CharField(_("英文名称"), max_length=100, blank=True)
    unit = models.CharField(_("计量单位"), max_length=30)
    kgce_per_unit = models.DecimalField(_("折标系数（kgce/单位）"), max_digits=12, decimal_places=6)

    class Meta:
        verbose_name = _("能源品种")
        verbose_name_plural = _("能源品种")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["dictionary", "code"], name="unique_energy_code")
        ]

    def __str__(self):
        return f"{self.code} {self.display_name}"

    @property
    def display_name(self) -> str:
        """The English name on English pages (when the dictionary has one), else the Chinese."""
        if self.name_en and (get_language() or "").startswith("en"):
            return self.name_en
        return self.name

    @property
    def wire_code(self) -> str:
        """The 4-digit national code sent on the wire (portal sub-codes like 1500-1 drop
        their suffix; the chosen coefficient travels as convertRation)."""
        return self.code.split("-")[0]
