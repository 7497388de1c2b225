"""The people of the report chain (drafter, checker, approver) and a passed trial."""

import pytest
from django.contrib.auth.models import Permission

from tests.applications.factories import make_root
from tests.portal.factories import ReviewerFactory

from .passed_trial import build_passed_trial


def grant_approver(user):
    user.user_permissions.add(
        Permission.objects.get(codename="approve_documents", content_type__app_label="portal")
    )
    # Drop the cached permissions so has_perm sees the grant.
    for cache in ("_perm_cache", "_user_perm_cache"):
        user.__dict__.pop(cache, None)
    return user


@pytest.fixture
def drafter(db):
    return ReviewerFactory(full_name="周建华")


@pytest.fixture
def checker(db):
    return ReviewerFactory(full_name="林晓雯")


@pytest.fixture
def approver(db):
    return grant_approver(ReviewerFactory(full_name="陈立平"))


@pytest.fixture
def passed(enterprise):
    return build_passed_trial(enterprise)


@pytest.fixture
def ca(db):
    return make_root()
