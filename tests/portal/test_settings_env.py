"""The typed environment readers of portal/settings.py refuse nonsense at start."""

from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured

from portal.settings import env_bool, env_decimal, env_int


def test_a_decimal_is_read_or_defaulted(monkeypatch):
    monkeypatch.delenv("PORTAL_TEST_RATE", raising=False)
    assert env_decimal("PORTAL_TEST_RATE", "0.999") == Decimal("0.999")
    monkeypatch.setenv("PORTAL_TEST_RATE", "0.95")
    assert env_decimal("PORTAL_TEST_RATE", "0.999") == Decimal("0.95")


@pytest.mark.parametrize("value", ["ninety", "99.9%", "NaN", "Infinity"])
def test_a_decimal_that_is_not_a_finite_number_is_refused(monkeypatch, value):
    monkeypatch.setenv("PORTAL_TEST_RATE", value)
    with pytest.raises(ImproperlyConfigured, match="PORTAL_TEST_RATE"):
        env_decimal("PORTAL_TEST_RATE", "0.999")


def test_booleans_and_integers_refuse_nonsense(monkeypatch):
    monkeypatch.setenv("PORTAL_TEST_VALUE", "yes")
    with pytest.raises(ImproperlyConfigured):
        env_bool("PORTAL_TEST_VALUE", False)
    with pytest.raises(ImproperlyConfigured):
        env_int("PORTAL_TEST_VALUE", 1)
