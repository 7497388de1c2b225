"""Schemathesis against the portal's own OpenAPI schema (/api/schema/), in-process through
the WSGI application: for every operation, generated requests as a reviewer and as an
enterprise member (token) answer no 500, and every answer the schema describes matches it
(content type and body).

Runs in CI with the rest of the suite (marker `schemathesis`; `pytest -m schemathesis`
runs it alone). Few examples per operation, derandomized, so a run is short and the same
every time; raise SCHEMATHESIS_EXAMPLES locally to search harder."""

import itertools
import json
import os
from datetime import date

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from portal.wsgi import application
from tests.applications.factories import DesignSchemeFactory
from tests.telemetry.factories import EndDeviceFactory, realtime_item, trial_connection

from .factories import EnterpriseFactory, ReviewerFactory, member_of

pytestmark = [pytest.mark.schemathesis]

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "4"))
CHECKS = [not_a_server_error, content_type_conformance, response_schema_conformance]


def portal_schema() -> dict:
    """/api/schema/ as the portal serves it (generated from the code, no request needed)."""
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    generated = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(generated))


schema = schemathesis.openapi.from_dict(portal_schema())


@pytest.fixture(autouse=True)
def in_process(db):
    """Requests go to the portal's WSGI application inside the test's transaction: the
    handler would close the database connection after each request (as a real server does),
    ending the test's transaction; Django's own test client switches that off the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def test_the_served_schema_is_the_one_tested(client):
    served = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert served.status_code == 200
    assert set(json.loads(served.content)["paths"]) == set(schema.raw_schema["paths"])


@pytest.fixture
def tokens(db):
    """A reviewer, and a member of an enterprise with a few records (so lists are not empty)."""
    enterprise = EnterpriseFactory()
    member = member_of(enterprise)
    DesignSchemeFactory(enterprise=enterprise, sent=True, document=False)
    realtime_item(enterprise, device=EndDeviceFactory(enterprise=enterprise))
    trial_connection(enterprise, date(2026, 3, 1))
    return {
        "keys": [
            Token.objects.create(user=ReviewerFactory()).key,
            Token.objects.create(user=member).key,
        ],
        "turn": itertools.count(),
    }


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_answers_as_its_schema_says(case, tokens):
    # The examples of an operation alternate between the two users (half the requests of
    # sending each example as both).
    key = tokens["keys"][next(tokens["turn"]) % 2]
    case.call_and_validate(
        headers={"Authorization": f"Token {key}"}, checks=CHECKS, app=application
    )
