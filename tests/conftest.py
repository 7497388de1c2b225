"""Shared fixtures: the people of STYLE.md section 8 (owner, colleague, outsider, reviewer,
viewer of another region) and clients logged in as them."""

import pytest
from django.db import connection
from django.test import Client

from portal.models import Region

from .portal.factories import (
    EnterpriseFactory,
    GovernmentViewerFactory,
    OperatorFactory,
    PanelMemberFactory,
    ReviewerFactory,
    member_of,
)


def pytest_collection_modifyitems(config, items):
    # @pytest.mark.postgresql(reason="..."): a test that only makes sense on PostgreSQL
    # (row locks, SKIP LOCKED, a database a worker process can share) says so and why, and
    # is skipped with that reason on any other database.
    if connection.vendor == "postgresql":
        return
    for item in items:
        marker = item.get_closest_marker("postgresql")
        if marker is not None:
            reason = marker.kwargs.get("reason") or (marker.args[0] if marker.args else "")
            item.add_marker(pytest.mark.skip(reason=f"needs PostgreSQL (DATABASE_URL): {reason}"))


@pytest.fixture
def enterprise(db):
    return EnterpriseFactory()


@pytest.fixture
def other_enterprise(db):
    return EnterpriseFactory(region=Region.YICHANG)


@pytest.fixture
def member(enterprise):
    return member_of(enterprise)


@pytest.fixture
def outsider(other_enterprise):
    """A member of another enterprise."""
    return member_of(other_enterprise)


@pytest.fixture
def pending(db):
    """An enterprise whose registration awaits review, with one member."""
    enterprise = EnterpriseFactory(registration_status="pending")
    member_of(enterprise)
    return enterprise


@pytest.fixture
def reviewer(db):
    return ReviewerFactory()


@pytest.fixture
def operator(db):
    return OperatorFactory()


@pytest.fixture
def panel_member(db):
    return PanelMemberFactory()


@pytest.fixture
def viewer(db):
    """A government viewer of Wuhan (the default region of EnterpriseFactory)."""
    return GovernmentViewerFactory(region=Region.WUHAN)


@pytest.fixture
def other_viewer(db):
    return GovernmentViewerFactory(region=Region.XIANGYANG)


def _client_for(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def client_for():
    return _client_for


@pytest.fixture
def api_client_for():
    from rest_framework.test import APIClient

    def make(user):
        client = APIClient()
        client.force_authenticate(user)
        return client

    return make


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _plain_static_storage(settings):
    # Pages render `{% static %}`; the manifest storage would need `collectstatic` before
    # every test run, which says nothing about the code under test.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _portal_language():
    # A test client's request in English leaves English active in the thread; each test
    # starts in the portal's language, as every request does.
    from django.conf import settings as django_settings
    from django.utils import translation

    translation.activate(django_settings.LANGUAGE_CODE)
    yield
    translation.activate(django_settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    # The real hasher costs ~0.3 s per user, and nearly every test creates several.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _eager_celery(request):
    # With REDIS_URL set (as in CI) `.delay` would go to a broker that no test consumes;
    # tests run tasks in-process instead, except those marked celery_worker, which start
    # a real worker.
    if request.node.get_closest_marker("celery_worker"):
        yield
        return
    from portal.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def _generous_rate_limits(settings):
    # Every test client comes from 127.0.0.1 and xdist workers share the Redis counters;
    # the tests of the limits themselves set a low one and use an address of their own.
    settings.RATE_LIMITS = {scope: "100000/s" for scope in settings.RATE_LIMITS}
