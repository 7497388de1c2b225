"""Creating a device or a data item with a body that is not an object, or an enterprise that
is not an id, is a 400 with a reason (both were 500s, found by schemathesis)."""

import pytest

from tests.portal.factories import EnterpriseFactory, member_of


@pytest.mark.parametrize("url", ["/api/v1/telemetry/devices/", "/api/v1/telemetry/items/"])
@pytest.mark.parametrize(
    ("body", "fmt", "field"),
    [
        ([None, None], "json", "non_field_errors"),
        ("text", "json", "non_field_errors"),
        ({"enterprise": "{}", "name": "x"}, "multipart", "enterprise"),
        ({"enterprise": {"id": 1}, "name": "x"}, "json", "enterprise"),
        ({"enterprise": True, "name": "x"}, "json", "enterprise"),
    ],
)
def test_a_malformed_create_is_a_400_naming_the_field(url, body, fmt, field, api_client_for, db):
    client = api_client_for(member_of(EnterpriseFactory()))
    response = client.post(url, body, format=fmt)
    assert response.status_code == 400, response.content
    assert field in {error["field"] for error in response.json()["errors"]}
