"""Inputs that used to answer 500 get a 4xx with a reason (issue 14)."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver


def api_patterns(resolver=None, prefix=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from api_patterns(entry, route)
        elif isinstance(entry, URLPattern) and route.startswith("api/"):
            yield route


def test_no_api_route_takes_a_format_suffix():
    # DRF's `.json` suffix routes passed `format=` to actions that do not take it: 500.
    suffixed = [route for route in api_patterns() if "format" in route]
    assert suffixed == []


@pytest.mark.django_db
def test_an_action_with_a_json_suffix_is_not_found(pending, reviewer, api_client_for):
    response = api_client_for(reviewer).post(f"/api/v1/enterprises/{pending.pk}/approve.json")
    assert response.status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/enterprises/?search=a%00b",
        "/api/v1/telemetry/devices/?enterprise=1%00",
        "/api/v1/telemetry/uploads/abc%00def",
    ],
)
def test_a_nul_byte_in_an_api_request_is_a_400_naming_the_query(url, reviewer, api_client_for):
    response = api_client_for(reviewer).get(url)
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "query"


@pytest.mark.django_db
def test_a_nul_byte_in_a_page_request_is_a_400(reviewer, client_for):
    response = client_for(reviewer).get("/enterprises/?q=a%00b")
    assert response.status_code == 400
