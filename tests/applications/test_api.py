"""The same path through /api/v1/, scoping, error shapes and the OpenAPI schema."""

from datetime import date

import pytest
from cryptography import x509
from django.urls import reverse

from applications import pki
from applications.models import (
    AccessApplication,
    ApplicationState,
    DesignScheme,
    DeviceCertificate,
    Material,
    SchemeState,
    VpnAccount,
)
from tests.portal.factories import OperatorFactory

from .factories import (
    BUDGET,
    ENERGY,
    INSTRUMENTS,
    AccessApplicationFactory,
    DesignSchemeFactory,
    pdf,
    png,
    stored_certificate,
)

API = "/api/v1"


def test_full_path_through_the_api(api_client_for, enterprise, member, reviewer, root):
    as_reviewer, as_member = api_client_for(reviewer), api_client_for(member)
    developer = api_client_for(OperatorFactory())

    response = as_reviewer.post(
        f"{API}/design-schemes/",
        {
            "enterprise": enterprise.pk,
            "energy_types": ENERGY,
            "instruments": INSTRUMENTS,
            "budget_items": BUDGET,
            "project_plan": "计划",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    scheme_id = response.json()["id"]
    assert response.json()["number"].startswith("NY")
    refused = as_reviewer.post(f"{API}/design-schemes/{scheme_id}/send/")
    assert refused.status_code == 409
    for missing in ("方案文件", "现场调研记录", "企业能源流向图", "计量器具配备一览表", "建设周期"):
        assert missing in refused.json()["detail"]
    as_reviewer.post(
        f"{API}/design-schemes/{scheme_id}/document/", {"file": pdf()}, format="multipart"
    )
    for kind in ("energy_flow", "metering_network", "network_topology", "hw_sw_list"):
        response = as_reviewer.post(
            f"{API}/design-schemes/{scheme_id}/parts/",
            {"kind": kind, "file": pdf(f"{kind}.pdf")},
            format="multipart",
        )
        assert response.status_code == 200, response.json()
    response = as_reviewer.post(
        f"{API}/design-schemes/{scheme_id}/site-survey/",
        {"surveyed_on": "2026-01-10", "surveyors": "张工", "findings": "已具备条件"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    response = as_reviewer.patch(
        f"{API}/design-schemes/{scheme_id}/", {"construction_period": "3 个月"}, format="json"
    )
    assert response.status_code == 200, response.json()
    refused = as_reviewer.post(f"{API}/design-schemes/{scheme_id}/send/")
    assert refused.status_code == 409 and "计量器具配备一览表" in refused.json()["detail"]
    for number, code in enumerate(("3300", "1500")):
        response = as_member.post(
            f"{API}/meters/",
            {
                "name": "表",
                "management_number": f"M-{number}",
                "model": "X",
                "accuracy_class": "0.5S",
                "energy_type": code,
                "metering_level": 1,
                "location": "进线",
                "certificate_number": f"C-{number}",
                "valid_until": "2099-01-01",
            },
            format="json",
        )
        assert response.status_code == 201, response.json()
    parts = as_reviewer.get(f"{API}/design-schemes/{scheme_id}/").json()["parts"]
    assert all(part["complete"] for part in parts), parts
    assert as_reviewer.post(f"{API}/design-schemes/{scheme_id}/send/").status_code == 200
    feedback = {
        "can_finalise": True,
        "energy_types_correct": True,
        "collection_methods_correct": True,
        "instruments_correct": True,
        "construction_understood": True,
        "budget_understood": True,
        "planned_completion": "2026-06",
        "contact_person": "李四",
        "contact_phone": "13800000000",
        "contact_position": "能源部长",
        "contact_email": "li@example.cn",
        "feedback_text": "",
    }
    response = as_member.post(
        f"{API}/design-schemes/{scheme_id}/feedback/", feedback, format="json"
    )
    assert response.json()["state"] == SchemeState.ENTERPRISE_CONFIRMED
    as_reviewer.post(f"{API}/design-schemes/{scheme_id}/confirm/")
    response = developer.post(f"{API}/design-schemes/{scheme_id}/confirm/")
    assert response.json()["state"] == SchemeState.FINALISED
    assert {c["party"] for c in response.json()["confirmations"]} == {
        "enterprise",
        "institute",
        "developer",
    }

    application = {
        "applicant_name": enterprise.name,
        "uscc": enterprise.uscc,
        "application_date": "2026-05-06",
        "contact_person": "李四",
        "contact_phone": "13800000000",
        "contact_email": "li@example.cn",
        "design_scheme": scheme_id,
        "builder_name": "承建单位",
        "builder_manager": "王五",
        "builder_phone": "13900000000",
        "builder_email": "wang@example.cn",
        "project_start": "2026-01-10",
        "project_end": "2026-04-30",
        "device_manufacturer": "厂商",
        "device_model": "EMD-3000",
        "device_serial": "HB-DEV-1",
        "device_manufactured_on": "2025-12-01",
        "energy_types": ["3300"],
        "monitoring_points": 12,
        "om_contract_end": "2029-04-30",
    }
    response = as_member.post(f"{API}/access-applications/", application, format="json")
    assert response.status_code == 201, response.json()
    app_id = response.json()["id"]
    response = as_member.post(f"{API}/access-applications/{app_id}/submit/")
    assert response.status_code == 409
    assert response.json()["errors"][0]["field"] == "materials"
    for kind in Material:
        upload = png() if kind == Material.SITE_PHOTOS else pdf()
        response = as_member.post(
            f"{API}/access-applications/{app_id}/materials/",
            {"kind": kind.value, "file": upload},
            format="multipart",
        )
        assert response.status_code == 201, response.json()
    assert (
        as_member.patch(
            f"{API}/access-applications/{app_id}/", {"monitoring_points": 14}, format="json"
        ).json()["monitoring_points"]
        == 14
    )
    assert as_member.post(f"{API}/access-applications/{app_id}/submit/").status_code == 200
    assert as_reviewer.post(f"{API}/access-applications/{app_id}/start-review/").status_code == 200
    response = as_reviewer.post(
        f"{API}/access-applications/{app_id}/approve/", {"comment": "同意"}, format="json"
    )
    assert response.json()["state"] == ApplicationState.APPROVED

    key = pki.generate_device_key("ec")
    csr = pki.make_csr(
        key, uscc=enterprise.uscc, device_serial="HB-DEV-1", enterprise_name=enterprise.name
    )
    response = as_member.post(
        f"{API}/certificates/", {"device_serial": "HB-DEV-1", "csr": csr.decode()}, format="json"
    )
    assert response.status_code == 201, response.json()
    cert_id = response.json()["id"]
    pem = as_member.get(f"{API}/certificates/{cert_id}/download/").content
    pki.verify_issued_by(root.certificate(), pki.load_certificate(pem))

    vpn = as_member.get(f"{API}/vpn-accounts/").json()["results"][0]
    response = as_member.post(f"{API}/vpn-accounts/{vpn['id']}/reset-password/")
    assert response["Cache-Control"] == "no-store"
    assert VpnAccount.objects.get().check_password(response.json()["password"])

    as_member.post(f"{API}/certificates/{cert_id}/revoke/", {"reason": "superseded"}, format="json")
    crl = x509.load_der_x509_crl(api_client_for(member).get(f"{API}/pki/crl").content)
    serial = int(DeviceCertificate.objects.get().serial_hex, 16)
    assert crl.get_revoked_certificate_by_serial_number(serial) is not None


def test_errors_name_the_field(api_client_for, reviewer, enterprise):
    response = api_client_for(reviewer).post(
        f"{API}/design-schemes/",
        {"enterprise": enterprise.pk, "energy_types": [{"energy_type": "9999"}]},
        format="json",
    )
    assert response.status_code == 400
    fields = {e["field"] for e in response.json()["errors"]}
    assert {"energy_types[0].energy_type", "energy_types[0].collection_method"} <= fields
    assert not DesignScheme.objects.exists()


def test_a_bad_uscc_and_a_weak_csr_get_specific_messages(
    api_client_for, member, enterprise, reviewer, root
):
    scheme = DesignSchemeFactory(enterprise=enterprise, finalised=True)
    response = api_client_for(member).post(
        f"{API}/access-applications/",
        {"uscc": "91420100MA4K2XXX1Y", "design_scheme": scheme.pk},
        format="json",
    )
    uscc = [e for e in response.json()["errors"] if e["field"] == "uscc"]
    assert uscc and "统一社会信用代码" in uscc[0]["reason"]

    from applications.services.access import approve_application

    approve_application(
        AccessApplicationFactory(enterprise=enterprise, design_scheme=scheme, under_review=True),
        reviewer,
    )
    from cryptography.hazmat.primitives.asymmetric import rsa

    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    csr = pki.make_csr(weak, uscc=enterprise.uscc, device_serial="D1", enterprise_name="x")
    response = api_client_for(member).post(
        f"{API}/certificates/", {"device_serial": "D1", "csr": csr.decode()}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "csr", "reason": f"CSR 使用的密钥为 RSA 1024 位，{pki.ALLOWED_KEYS}"}
    ]


def test_a_transition_from_the_wrong_state_is_409(api_client_for, reviewer, enterprise, root):
    application = AccessApplicationFactory(enterprise=enterprise, submitted=True)
    response = api_client_for(reviewer).post(
        f"{API}/access-applications/{application.pk}/approve/", {}, format="json"
    )
    assert response.status_code == 409
    assert "已提交" in response.json()["detail"]


def test_lists_show_exactly_the_own_records(api_client_for, member, enterprise, other_enterprise):
    own = AccessApplicationFactory(enterprise=enterprise, submitted=True)
    AccessApplicationFactory(enterprise=other_enterprise, submitted=True)
    own_draft_scheme = DesignSchemeFactory(enterprise=enterprise)
    client = api_client_for(member)

    apps = client.get(f"{API}/access-applications/").json()["results"]
    schemes = client.get(f"{API}/design-schemes/").json()["results"]

    assert [a["id"] for a in apps] == [own.pk]
    assert [s["id"] for s in schemes] == [own.design_scheme_id]
    assert own_draft_scheme.pk not in [s["id"] for s in schemes]


def test_government_viewers_and_panel_members_see_none_of_it(
    api_client_for, viewer, panel_member, enterprise
):
    AccessApplicationFactory(enterprise=enterprise, submitted=True)
    for user in (viewer, panel_member):
        client = api_client_for(user)
        for resource in ("access-applications", "design-schemes", "certificates", "vpn-accounts"):
            assert client.get(f"{API}/{resource}/").json()["results"] == [], (user, resource)


def test_the_openapi_schema_lists_the_endpoints(client):
    schema = client.get(reverse("api_schema")).content.decode()
    for path in (
        "/api/v1/design-schemes/{id}/feedback/",
        "/api/v1/access-applications/{id}/approve/",
        "/api/v1/access-applications/{id}/return/",
        "/api/v1/certificates/generate/",
        "/api/v1/certificates/{id}/revoke/",
        "/api/v1/vpn-accounts/{id}/reset-password/",
        "/api/v1/pki/crl",
        "/api/v1/change-records/{id}/confirm/",
    ):
        assert path in schema, path


@pytest.mark.parametrize("when", [date(2026, 1, 1)])
def test_feedback_month_is_validated(api_client_for, member, enterprise, when):
    scheme = DesignSchemeFactory(enterprise=enterprise, sent=True)
    response = api_client_for(member).post(
        f"{API}/design-schemes/{scheme.pk}/feedback/",
        {"can_finalise": True, "planned_completion": "2026年6月"},
        format="json",
    )
    fields = {e["field"]: e["reason"] for e in response.json()["errors"]}
    assert "年-月" in fields["planned_completion"]
    assert "energy_types_correct" in fields
    assert AccessApplication.objects.count() == 0


def test_a_partial_update_is_checked_against_the_kept_values(api_client_for, member, enterprise):
    application = AccessApplicationFactory(enterprise=enterprise)
    response = api_client_for(member).patch(
        f"{API}/access-applications/{application.pk}/",
        {"project_end": "1990-01-01"},
        format="json",
    )
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["project_end"]
    assert AccessApplication.objects.get(pk=application.pk).project_end != date(1990, 1, 1)


def test_another_enterprises_scheme_reads_as_missing(
    api_client_for, member, enterprise, other_enterprise
):
    foreign = DesignSchemeFactory(enterprise=other_enterprise, finalised=True)
    response = api_client_for(member).post(
        f"{API}/access-applications/", {"design_scheme": foreign.pk}, format="json"
    )
    reasons = [e["reason"] for e in response.json()["errors"] if e["field"] == "design_scheme"]
    assert len(reasons) == 1 and "不存在" in reasons[0]


def test_a_malformed_enterprise_filter_is_a_400_naming_it(api_client_for, reviewer):
    response = api_client_for(reviewer).get(f"{API}/certificates/?enterprise=abc")
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["enterprise"]


@pytest.mark.parametrize(
    "resource", ["design-schemes", "access-applications", "change-records", "certificates"]
)
def test_api_lists_cost_the_same_for_eight_rows_as_for_one(
    api_client_for, reviewer, resource, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from applications.services.schemes import add_change_record

    def add_row():
        scheme = DesignSchemeFactory(finalised=True)
        application = AccessApplicationFactory(
            enterprise=scheme.enterprise, design_scheme=scheme, submitted=True
        )
        add_change_record(
            scheme,
            reviewer,
            {"changed_on": date(2026, 3, 2), "content": "c", "reason": "r", "unit": "u"},
            pdf("签章.pdf"),
        )
        stored_certificate(application, f"{scheme.pk:x}", issued_by=reviewer)

    client = api_client_for(reviewer)
    add_row()
    with CaptureQueriesContext(connection) as one:
        assert len(client.get(f"{API}/{resource}/").json()["results"]) == 1
    for _ in range(7):
        add_row()
    with django_assert_max_num_queries(len(one)):
        assert len(client.get(f"{API}/{resource}/").json()["results"]) == 8
