"""The documents API: the chain, the refusals as JSON, scoping and the OpenAPI schema."""

import pytest
from django.urls import reverse

from reports.models import IssuedDocument

from .chain import issue


def draft_via_api(api, connection, **confirmed):
    return api.post(
        reverse("issued-document-conformance-draft"),
        {
            "connection": connection.pk,
            "display_enterprise": confirmed.get("enterprise", True),
            "display_government": confirmed.get("government", True),
        },
        format="json",
    )


def test_the_chain_through_the_api(
    passed,
    drafter,
    checker,
    approver,
    ca,
    member,
    api_client_for,
    django_capture_on_commit_callbacks,
):
    response = draft_via_api(api_client_for(drafter), passed.connection)
    assert response.status_code == 201, response.json()
    pk = response.json()["id"]
    step = lambda user, name: api_client_for(user).post(  # noqa: E731
        reverse(f"issued-document-{name}", args=[pk]), {}, format="json"
    )
    assert step(drafter, "compile").status_code == 200
    refused = step(drafter, "review")
    assert refused.status_code == 409 and "三位不同人员" in refused.json()["detail"]
    assert step(checker, "review").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        approved = step(approver, "approve")
    assert approved.status_code == 200 and approved.json()["number"].startswith("HBJL-FH-")
    detail = api_client_for(member).get(reverse("issued-document-detail", args=[pk])).json()
    assert detail["state"] == "issued" and detail["download_url"]
    download = api_client_for(member).get(detail["download_url"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content)[:5] == b"%PDF-"
    revoke = api_client_for(checker).post(
        reverse("issued-document-revoke", args=[pk]), {"reason": ""}, format="json"
    )
    assert revoke.status_code == 400 and revoke.json()["errors"][0]["field"] == "reason"
    revoke = api_client_for(checker).post(
        reverse("issued-document-revoke", args=[pk]), {"reason": "重新出具"}, format="json"
    )
    assert revoke.json()["state"] == "revoked"


def test_drafting_a_trial_that_has_not_passed_is_refused_with_the_reason(
    enterprise, drafter, api_client_for
):
    from datetime import date

    from tests.telemetry.factories import trial_connection

    connection = trial_connection(enterprise, date(2026, 3, 1))
    response = draft_via_api(api_client_for(drafter), connection)
    assert response.status_code == 409
    assert "尚未通过" in response.json()["errors"][0]["reason"]
    assert not IssuedDocument.objects.exists()


def test_enterprise_users_cannot_take_steps(passed, drafter, member, api_client_for):
    from .chain import draft

    document = draft(passed, drafter)
    response = api_client_for(member).post(
        reverse("issued-document-compile", args=[document.pk]), {}, format="json"
    )
    assert response.status_code == 404  # a draft is not theirs to see
    assert draft_via_api(api_client_for(member), passed.connection).status_code == 403


@pytest.fixture
def issued(passed, drafter, checker, approver, ca, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        document = issue(passed, drafter, checker, approver)
    return document


@pytest.mark.parametrize("who", ["outsider", "other_viewer"])
def test_outsiders_get_404(issued, who, request, api_client_for):
    api = api_client_for(request.getfixturevalue(who))
    assert api.get(reverse("issued-document-detail", args=[issued.pk])).status_code == 404
    assert api.get(reverse("issued-document-download", args=[issued.pk])).status_code == 404
    assert api.get(reverse("issued-document-list")).json()["count"] == 0


def test_the_endpoints_are_in_the_schema(client):
    schema = client.get(reverse("api_schema")).content.decode()
    for path in ("/api/v1/documents/", "/download/", "/approve/", "/conformance-drafts/"):
        assert path in schema
