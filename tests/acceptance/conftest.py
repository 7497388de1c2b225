import pytest

from acceptance import materials

from .factories import fake_report


@pytest.fixture(autouse=True)
def report(monkeypatch):
    """An issued conformance report stands for every enterprise unless a test says not."""
    monkeypatch.setattr(materials, "conformance_report_for", lambda enterprise: fake_report())


@pytest.fixture
def no_report(monkeypatch):
    monkeypatch.setattr(materials, "conformance_report_for", lambda enterprise: None)
