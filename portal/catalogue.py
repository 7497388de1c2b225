"""The shared vocabulary of the stage apps: the national energy codes and the collection
methods.

It sits in portal, the lowest floor, because the design scheme, the access application and
the telemetry registry all speak it (ADR 0008). `telemetry.models.EnergyType` is a different
thing: a row of a loaded coefficient dictionary, keyed by one of these codes.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext


class EnergyCode(models.TextChoices):
    """The energy catalogue's 4-digit codes (domain/SPEC.md section 7)."""

    ELECTRICITY = "3300", _("电力")
    NATURAL_GAS = "1500", _("天然气")
    RAW_COAL = "0100", _("原煤")
    ANTHRACITE = "0102", _("无烟煤")
    COKING_COAL = "0103", _("炼焦烟煤")
    BITUMINOUS_COAL = "0104", _("一般烟煤")
    LIGNITE = "0105", _("褐煤")
    CLEANED_COAL = "0600", _("洗精煤")
    OTHER_WASHED_COAL = "0700", _("其它洗煤")
    COAL_PRODUCTS = "0800", _("煤制品")
    COKE = "0900", _("焦炭")
    OTHER_COKING_PRODUCTS = "1000", _("其它焦化产品")
    COKE_OVEN_GAS = "1100", _("焦炉煤气")
    BLAST_FURNACE_GAS = "1200", _("高炉煤气")
    CONVERTER_GAS = "1300", _("转炉煤气")
    PRODUCER_GAS = "1400", _("发生炉煤气")
    LNG = "1600", _("液化天然气")
    COALBED_METHANE = "1700", _("煤层气")
    CRUDE_OIL = "1800", _("原油")
    GASOLINE = "1900", _("汽油")
    KEROSENE = "2000", _("煤油")
    DIESEL = "2100", _("柴油")
    FUEL_OIL = "2200", _("燃料油")
    LPG = "2300", _("液化石油气")
    REFINERY_GAS = "2400", _("炼厂干气")
    NAPHTHA = "2500", _("石脑油")
    LUBRICANTS = "2600", _("润滑油")
    PARAFFIN = "2700", _("石蜡")
    SOLVENT_OIL = "2800", _("溶剂油")
    PETROLEUM_COKE = "2900", _("石油焦")
    ASPHALT = "3000", _("石油沥青")
    OTHER_PETROLEUM = "3100", _("其他石油制品")
    HEAT = "3200", _("热力")
    GANGUE = "3400", _("煤矸石用于燃料")
    MUNICIPAL_WASTE = "3500", _("城市生活垃圾用于燃料")
    BIOMASS = "3600", _("生物质废料用于燃料")
    WASTE_HEAT = "3700", _("余热余压")
    INDUSTRIAL_WASTE = "3800", _("其它工业废料用于燃料")
    OTHER_FUEL = "3900", _("其它燃料")
    ETHANOL = "4000", _("乙醇燃料")


class CollectionMethod(models.TextChoices):
    """数据采集方式 (seed 附表2): scheme rows, data items and the 附表2 rows."""

    METER = "meter", _("仪表直采")
    INFO_SYSTEM = "info_system", _("信息系统对接")
    DATABASE = "database", _("数据库对接")
    MANUAL = "manual", _("人工录入")
    OTHER = "other", _("其他")


def energy_label(code: str) -> str:
    try:
        return str(EnergyCode(code).label)
    except ValueError:
        return code


def energy_labels(codes) -> str:
    return pgettext("list separator", "、").join(energy_label(code) for code in codes or [])
