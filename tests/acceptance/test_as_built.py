"""Item 2's evidence: the finalised design scheme against what was built, difference by
difference (energy types, planned 一级计量器具, monitoring points, idle end devices)."""

import pytest
from django.urls import reverse

from acceptance.as_built import as_built
from acceptance.services.report import draft_report
from applications.models import SchemeState
from portal.models import Enterprise

from ..applications.factories import INSTRUMENTS, DesignSchemeFactory, MeterFactory
from ..portal.factories import EnterpriseFactory
from ..telemetry.factories import DataItemFactory, EndDeviceFactory

pytestmark = pytest.mark.django_db

GAS_METER = {
    "energy_type": "1500",
    "instrument": "气体涡轮流量计",
    "model": "LWQ-80",
    "accuracy_class": "1.0",
    "location": "天然气调压站",
}
ELECTRICITY_ITEM = "000012340233000000"  # class 02, energy type 3300
COAL_ITEM = "000000000201000000"  # class 02, energy type 0100 (原煤)


def scheme_for(enterprise: Enterprise, **kwargs):
    return DesignSchemeFactory(
        enterprise=enterprise, finalised=True, instruments=[*INSTRUMENTS, GAS_METER], **kwargs
    )


def test_no_finalised_scheme_means_nothing_to_compare():
    enterprise = EnterpriseFactory()
    DesignSchemeFactory(enterprise=enterprise)  # a draft is not the agreed design
    assert not as_built(enterprise).has_scheme


def test_built_as_designed_shows_no_difference():
    enterprise = EnterpriseFactory()
    scheme = scheme_for(enterprise)
    assert scheme.state == SchemeState.FINALISED
    MeterFactory(enterprise=enterprise, energy_type="1500", model="LWQ-80")
    device = EndDeviceFactory(enterprise=enterprise)
    DataItemFactory(enterprise=enterprise, device=device, data_code=ELECTRICITY_ITEM)
    DataItemFactory(enterprise=enterprise, device=device, data_code="000000000215000000")
    built = as_built(enterprise)
    assert built.has_scheme and built.scheme_number == scheme.number
    assert not built.differences, built


def test_every_kind_of_difference_is_named(django_assert_max_num_queries):
    enterprise = EnterpriseFactory()
    scheme_for(enterprise)
    device = EndDeviceFactory(enterprise=enterprise)
    idle = EndDeviceFactory(enterprise=enterprise, serial="HB-IDLE-01")
    DataItemFactory(enterprise=enterprise, device=device, data_code=ELECTRICITY_ITEM)
    DataItemFactory(enterprise=enterprise, device=device, data_code=COAL_ITEM)
    DataItemFactory(
        enterprise=enterprise, device=idle, data_code="000000000215000000", is_active=False
    )
    with django_assert_max_num_queries(5):
        built = as_built(enterprise)
    assert built.energies_not_built == ["天然气"]
    assert built.energies_not_planned == ["原煤"]
    assert built.instruments_missing == [
        {
            "energy": "天然气",
            "instrument": "气体涡轮流量计",
            "model": "LWQ-80",
            "location": "天然气调压站",
        }
    ]
    assert built.points_short == [{"energy": "天然气", "planned": 1, "built": 0}]
    assert built.idle_devices == ["HB-IDLE-01"]


def test_the_report_page_lists_the_differences_beside_item_2(panel, client):
    onsite, people = panel
    enterprise = onsite.application.enterprise
    scheme = scheme_for(enterprise)
    report = draft_report(onsite, people["institute"])
    client.force_login(people["institute"])
    body = client.get(reverse("acceptance:report_detail", args=[report.pk])).content.decode()
    start = body.index('id="evidence-consistency"')
    cell = body[start : body.index("</td>", start)]
    assert scheme.number in cell
    assert "方案有而未采集的能源种类：天然气" in cell
    assert "方案中的一级计量器具未在台账登记：天然气 气体涡轮流量计 LWQ-80（天然气调压站）" in cell
    assert "天然气 监测点：方案 1 个，启用的数据采集项 0 个" in cell
    assert "不同之处" not in cell  # differences, not a count
