import pytest

from .factories import AccessApplicationFactory, DesignSchemeFactory, make_root


@pytest.fixture
def root(db):
    return make_root()


@pytest.fixture
def finalised_scheme(enterprise):
    return DesignSchemeFactory(enterprise=enterprise, finalised=True)


@pytest.fixture
def submitted(enterprise, finalised_scheme):
    return AccessApplicationFactory(
        enterprise=enterprise, design_scheme=finalised_scheme, submitted=True
    )


@pytest.fixture
def under_review(enterprise, finalised_scheme):
    return AccessApplicationFactory(
        enterprise=enterprise, design_scheme=finalised_scheme, under_review=True
    )
