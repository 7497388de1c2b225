"""Another enterprise (and anyone without a role here) cannot reach any of these records."""

import pytest
from django.urls import reverse

from applications.models import DeviceCertificate, VpnAccount
from applications.services.access import approve_application
from applications.services.certificates import issue_certificate
from applications.services.schemes import add_change_record
from portal.attachments import attachments_of

from .factories import AccessApplicationFactory, pdf, stored_certificate


@pytest.fixture
def world(enterprise, member, reviewer, root):
    """A finalised scheme with a change record, an approved application, a certificate."""
    from datetime import date

    from applications import pki

    application = AccessApplicationFactory(enterprise=enterprise, under_review=True)
    approve_application(application, reviewer, "同意")
    scheme = application.design_scheme
    record = add_change_record(
        scheme,
        member,
        {"changed_on": date(2026, 3, 1), "content": "c", "reason": "r", "unit": "u"},
        pdf("签章.pdf"),
    )
    key = pki.generate_device_key("ec")
    csr = pki.make_csr(
        key, uscc=enterprise.uscc, device_serial="D-1", enterprise_name=enterprise.name
    )
    cert = issue_certificate(enterprise, member, csr, "D-1")
    return {
        "scheme": scheme,
        "record": record,
        "application": application,
        "attachment": attachments_of(application).first(),
        "cert": cert,
        "vpn": VpnAccount.objects.get(enterprise=enterprise),
        "enterprise": enterprise,
    }


def page_urls(w):
    a, s = w["application"].pk, w["scheme"].pk
    return [
        ("get", reverse("applications:scheme_detail", args=[s])),
        ("get", reverse("applications:scheme_feedback", args=[s])),
        ("get", reverse("applications:change_create", args=[s])),
        ("get", reverse("applications:application_detail", args=[a])),
        ("get", reverse("applications:application_edit", args=[a])),
        ("get", reverse("applications:application_section", args=[a, "device"])),
        ("post", reverse("applications:application_section", args=[a, "device"])),
        ("get", reverse("applications:application_check", args=[a])),
        ("get", reverse("applications:application_print", args=[a])),
        ("get", reverse("applications:material_preview", args=[a, w["attachment"].pk])),
        ("post", reverse("applications:material_delete", args=[a, w["attachment"].pk])),
        ("post", reverse("applications:material_upload", args=[a])),
        ("post", reverse("applications:application_submit", args=[a])),
        ("get", reverse("applications:credentials", args=[w["enterprise"].pk])),
        ("post", reverse("applications:certificate_request", args=[w["enterprise"].pk])),
        ("post", reverse("applications:certificate_generate", args=[w["enterprise"].pk])),
        ("get", reverse("applications:certificate_download", args=[w["cert"].pk])),
        ("post", reverse("applications:certificate_revoke", args=[w["cert"].pk])),
        ("post", reverse("applications:vpn_password", args=[w["vpn"].pk])),
    ]


def api_urls(w):
    a, s = w["application"].pk, w["scheme"].pk
    return [
        ("get", f"/api/v1/design-schemes/{s}/"),
        ("patch", f"/api/v1/design-schemes/{s}/"),
        ("post", f"/api/v1/design-schemes/{s}/feedback/"),
        ("get", f"/api/v1/design-schemes/{s}/feedback-forms/"),
        ("get", f"/api/v1/design-schemes/{s}/change-records/"),
        ("get", f"/api/v1/change-records/{w['record'].pk}/"),
        ("get", f"/api/v1/access-applications/{a}/"),
        ("patch", f"/api/v1/access-applications/{a}/"),
        ("post", f"/api/v1/access-applications/{a}/submit/"),
        ("post", f"/api/v1/access-applications/{a}/materials/"),
        ("get", f"/api/v1/certificates/{w['cert'].pk}/"),
        ("get", f"/api/v1/certificates/{w['cert'].pk}/download/"),
        ("post", f"/api/v1/certificates/{w['cert'].pk}/revoke/"),
        ("get", f"/api/v1/vpn-accounts/{w['vpn'].pk}/"),
        ("post", f"/api/v1/vpn-accounts/{w['vpn'].pk}/reset-password/"),
    ]


def test_outsiders_get_404_on_every_page(world, client_for, outsider):
    client = client_for(outsider)
    for method, url in page_urls(world):
        assert getattr(client, method)(url).status_code == 404, url


def test_outsiders_get_404_on_every_api_endpoint(world, api_client_for, outsider):
    client = api_client_for(outsider)
    for method, url in api_urls(world):
        assert getattr(client, method)(url, {}, format="json").status_code == 404, url


def test_outsiders_cannot_file_a_csr_for_another_enterprise(world, api_client_for, outsider):
    response = api_client_for(outsider).post(
        "/api/v1/certificates/",
        {"enterprise": world["enterprise"].pk, "device_serial": "D-2", "csr": "x"},
        format="json",
    )
    assert response.status_code == 404
    assert DeviceCertificate.objects.count() == 1


def test_outsiders_see_nothing_in_lists(world, api_client_for, outsider):
    client = api_client_for(outsider)
    for resource in ("design-schemes", "change-records", "access-applications", "certificates"):
        assert client.get(f"/api/v1/{resource}/").json()["results"] == [], resource


def test_members_reach_their_own_pages(world, client_for, member):
    client = client_for(member)
    for method, url in page_urls(world):
        if method == "get":
            assert client.get(url).status_code in (200, 302), url


def test_anonymous_users_are_sent_to_login(world, client):
    for method, url in page_urls(world):
        response = getattr(client, method)(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url


def test_list_pages_have_no_n_plus_one(client_for, reviewer, django_assert_max_num_queries):
    for n in range(6):
        stored_certificate(AccessApplicationFactory(approved=True), f"c{n}")
    client = client_for(reviewer)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("applications:scheme_list"))
    assert len(response.context["page"]) == 6
    with django_assert_max_num_queries(12):
        response = client.get(reverse("applications:certificate_list"))
    assert len(response.context["page"]) == 6


def test_every_view_of_this_app_declares_an_access_rule():
    from django.urls import get_resolver

    from portal.access import is_exempt, rules_of

    resolver = get_resolver()
    for pattern in resolver.url_patterns:
        if getattr(pattern, "namespace", None) == "applications":
            for sub in pattern.url_patterns:
                assert rules_of(sub.callback) or is_exempt(sub.callback), sub.name
