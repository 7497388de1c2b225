from django.db import models
from django.utils.translation import gettext_lazy as _


class Region(models.TextChoices):
    """Hubei's 17 prefecture-level divisions, keyed by their GB/T 2260 code."""

    WUHAN = "420100", _("武汉市")
    HUANGSHI = "420200", _("黄石市")
    SHIYAN = "420300", _("十堰市")
    YICHANG = "420500", _("宜昌市")
    XIANGYANG = "420600", _("襄阳市")
    EZHOU = "420700", _("鄂州市")
    JINGMEN = "420800", _("荆门市")
    XIAOGAN = "420900", _("孝感市")
    JINGZHOU = "421000", _("荆州市")
    HUANGGANG = "421100", _("黄冈市")
    XIANNING = "421200", _("咸宁市")
    SUIZHOU = "421300", _("随州市")
    ENSHI = "422800", _("恩施土家族苗族自治州")
    XIANTAO = "429004", _("仙桃市")
    QIANJIANG = "429005", _("潜江市")
    TIANMEN = "429006", _("天门市")
    SHENNONGJIA = "429021", _("神农架林区")
