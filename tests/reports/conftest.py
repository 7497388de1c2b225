import pytest

from tests.applications.factories import make_root

from .pdfs import tiny_pdf


@pytest.fixture
def root(db):
    """The portal's CA (init_ca also issues the document-signing certificate)."""
    return make_root()


@pytest.fixture(scope="session")
def pdf() -> bytes:
    return tiny_pdf()
