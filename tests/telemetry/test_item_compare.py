"""Registered items against the finalised design scheme and 附表1 (shown to reviewers)."""

import pytest
from django.urls import reverse

from telemetry.energy import current_energy_types, load_energy_dictionary
from telemetry.item_compare import compare_registry
from tests.applications.factories import AccessApplicationFactory, DesignSchemeFactory

from .factories import DataItemFactory

pytestmark = pytest.mark.django_db

ELECTRICITY_CODE = "000000000233000001"  # class 02, object 3300 (electricity)
DIESEL_CODE = "000000000221000001"  # class 02, object 2100 (diesel)


@pytest.fixture
def declared(enterprise):
    """Scheme: electricity and natural gas; 附表1: electricity, natural gas, 3 points."""
    scheme = DesignSchemeFactory(enterprise=enterprise, finalised=True)
    return AccessApplicationFactory(
        enterprise=enterprise, design_scheme=scheme, approved=True, monitoring_points=3
    )


def test_differences_are_named(enterprise, declared):
    DataItemFactory(enterprise=enterprise, data_code=ELECTRICITY_CODE)
    DataItemFactory(enterprise=enterprise, data_code=DIESEL_CODE)
    DataItemFactory(enterprise=enterprise, data_code="000000000233000002", is_active=False)
    result = compare_registry(enterprise)
    assert [r.code for r in result.scheme_without_items] == ["1500"]
    assert [r.code for r in result.items_outside_scheme] == ["2100"]
    assert [r.code for r in result.application_without_items] == ["1500"]
    assert [r.code for r in result.items_outside_application] == ["2100"]
    assert (result.declared_points, result.registered_points, result.points_differ) == (3, 2, True)
    assert result.differs


def test_matching_registry_has_no_differences_and_energy_types_count_by_national_code(
    enterprise, declared
):
    load_energy_dictionary()
    gas = next(t for t in current_energy_types() if t.code.split("-")[0] == "1500")
    DataItemFactory(enterprise=enterprise, data_code=ELECTRICITY_CODE)
    DataItemFactory(enterprise=enterprise, data_code="000000000233000002")
    DataItemFactory(enterprise=enterprise, data_code="000000000215000001", energy_type=gas)
    result = compare_registry(enterprise)
    assert [(r.code, r.items) for r in result.rows] == [("1500", 1), ("3300", 2)]
    assert not result.differs


def test_without_declarations_nothing_is_claimed(enterprise):
    DataItemFactory(enterprise=enterprise, data_code=ELECTRICITY_CODE)
    DataItemFactory(enterprise=enterprise, data_code="000000000000000000")  # no energy class
    result = compare_registry(enterprise)
    assert result.scheme is None and result.application is None
    assert not result.items_outside_scheme and not result.points_differ
    assert (result.registered_points, result.without_energy) == (2, 1)


def test_the_reviewer_sees_the_comparison_and_the_enterprise_does_not(
    client_for, reviewer, member, viewer, enterprise, declared, django_assert_max_num_queries
):
    DataItemFactory(enterprise=enterprise, data_code=DIESEL_CODE)
    url = reverse("telemetry:enterprise_registry", args=[enterprise.pk])
    client = client_for(reviewer)
    client.get(url)
    with django_assert_max_num_queries(16):
        page = client.get(url).content.decode()
    assert 'id="registry-comparison"' in page
    assert "设计方案中没有该能源品种" in page and "已申报但无启用的采集项" in page
    assert "附表1 申报 3 个，已登记启用 1 个" in page
    for user in (member, viewer):
        assert 'id="registry-comparison"' not in client_for(user).get(url).content.decode()
