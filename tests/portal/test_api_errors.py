"""API errors are JSON that name the field and the reason; the schema and docs are local."""

import re

import pytest
from django.core.exceptions import ValidationError as DjangoValidationError

from portal.api_errors import exception_handler, flatten
from portal.attachments import AttachmentRejected


def test_a_validation_error_names_each_field_and_reason(enterprise, member, api_client_for):
    response = api_client_for(member).patch(
        f"/api/v1/enterprises/{enterprise.pk}/",
        {"contact_email": "not-an-address", "region": "999999"},
        format="json",
    )
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["detail"] == "提交的数据有误。"
    fields = {error["field"]: error["reason"] for error in body["errors"]}
    assert set(fields) == {"contact_email", "region"}
    assert all(reason for reason in fields.values())


def test_list_filters_with_unknown_values_are_400_naming_the_parameter(
    enterprise, reviewer, api_client_for
):
    api = api_client_for(reviewer)
    response = api.get("/api/v1/enterprises/?stage=abc&region=999999")
    assert response.status_code == 400
    assert {error["field"] for error in response.json()["errors"]} == {"stage", "region"}
    listed = api.get(f"/api/v1/enterprises/?stage=1&region={enterprise.region}&stage_x=")
    assert [row["id"] for row in listed.json()["results"]] == [enterprise.pk]
    assert api.get("/api/v1/enterprises/?stage=").status_code == 200


def test_a_missing_record_is_404_json(member, api_client_for):
    response = api_client_for(member).get("/api/v1/enterprises/987654/")
    assert response.status_code == 404
    assert response.json() == {"detail": response.json()["detail"], "errors": []}
    assert response.json()["detail"]


def test_a_permission_refusal_is_403_json_with_the_reason(enterprise, api_client_for):
    from tests.portal.factories import member_of

    colleague = member_of(enterprise, is_admin=False)
    response = api_client_for(colleague).patch(
        f"/api/v1/enterprises/{enterprise.pk}/", {"name": "新名称"}, format="json"
    )
    assert response.status_code == 403
    assert response.json() == {"detail": "只有企业管理员或审核人员可以修改企业信息。", "errors": []}


def test_read_only_fields_cannot_be_written(enterprise, member, api_client_for):
    response = api_client_for(member).patch(
        f"/api/v1/enterprises/{enterprise.pk}/",
        {"registration_status": "approved", "stage": 6},
        format="json",
    )
    assert response.status_code == 200
    enterprise.refresh_from_db()
    assert enterprise.stage == 1


def test_nested_errors_are_flattened_with_paths():
    detail = {"records": [{"value": ["必填"]}, {}], "non_field_errors": ["整体有误"]}
    assert flatten(detail) == [
        {"field": "records[0].value", "reason": "必填"},
        {"field": "non_field_errors", "reason": "整体有误"},
    ]


def test_a_refused_attachment_names_its_field():
    response = exception_handler(AttachmentRejected("太大", field="licence"), {})
    assert response.status_code == 400
    assert response.data["errors"] == [{"field": "licence", "reason": "太大"}]


def test_a_django_validation_error_becomes_400_json():
    response = exception_handler(DjangoValidationError({"uscc": ["校验位错误"]}), {})
    assert response.status_code == 400
    assert response.data["errors"] == [{"field": "uscc", "reason": "校验位错误"}]


@pytest.mark.django_db
def test_the_schema_is_openapi(client):
    response = client.get("/api/schema/?format=json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/enterprises/" in schema["paths"]


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/api/docs/", "/api/redoc/"])
def test_the_api_docs_use_local_assets_only(url, client):
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/drf_spectacular_sidecar/" in html
    sources = re.findall(r'(?:src|href)=["\']([^"\']+)["\']', html)
    assert sources
    assert not [s for s in sources if s.startswith(("http://", "https://", "//"))]
    assert not re.search(
        r"https?://(?!127\.0\.0\.1|localhost|testserver)[\w.-]+/[\w/.-]+\.js", html
    )
