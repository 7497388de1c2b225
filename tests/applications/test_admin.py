"""The operator's admin for schemes, applications and credentials: read-only pages that
render, cost the same few queries for any number of rows, never show keys, and actions that
go through the credentials services."""

import uuid
from datetime import date

import pytest
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from applications.models import (
    ApplicationSubmission,
    ApplicationVerdict,
    ChangeRecord,
    DeviceCertificate,
    DocumentSigningCertificate,
    RootCertificate,
    VpnAccount,
)
from portal.models import AuditEvent
from tests.portal.admin_pages import (
    AdminPagesContract,
    act,
    admin_url,
    changelist_url,
    messages_of,
    registered_models,
)
from tests.portal.factories import EnterpriseFactory, ReviewerFactory

from .factories import AccessApplicationFactory, DesignSchemeFactory, stored_certificate


def build_records(count: int) -> None:
    """`count` enterprises, each with a scheme, a change record, an application under review,
    a certificate and a VPN account."""
    for _ in range(count):
        enterprise = EnterpriseFactory()
        scheme = DesignSchemeFactory(enterprise=enterprise, finalised=True, document=False)
        ChangeRecord.objects.create(
            scheme=scheme,
            changed_on=date(2026, 5, 1),
            content="更换一级计量表",
            reason="表计老化",
            unit="湖北某某自动化有限公司",
        )
        application = AccessApplicationFactory(
            enterprise=enterprise, design_scheme=scheme, reviewer=ReviewerFactory()
        )
        stored_certificate(application, uuid.uuid4().hex[:16])
        submitted_at = timezone.now()
        ApplicationSubmission.objects.create(
            application=application, number=1, submitted_at=submitted_at
        )
        ApplicationVerdict.objects.create(
            application=application,
            material="site_photos",
            verdict="needs_correction",
            note="缺少蒸汽计量点照片",
            submitted_at=submitted_at,
        )
        VpnAccount.objects.create(
            enterprise=enterprise,
            username=f"vpn-{enterprise.pk}",
            password_hash=make_password("vpn-secret"),
            tunnel_address=f"10.8.1.{enterprise.pk % 250 + 2}",
            expires_at=timezone.now() + timezone.timedelta(days=365),
        )


@pytest.fixture
def records(root):
    build_records(2)


class TestAdminPages(AdminPagesContract):
    models = registered_models("applications")
    expected = {
        "AccessApplication",
        "ApplicationSubmission",
        "ApplicationVerdict",
        "ChangeRecord",
        "DesignScheme",
        "DeviceCertificate",
        "DocumentSigningCertificate",
        "Meter",
        "RootCertificate",
        "SiteSurvey",
        "VpnAccount",
    }
    build_records = staticmethod(build_records)


def test_keys_and_password_hashes_are_never_shown(records, operator, client_for):
    client = client_for(operator)
    root = RootCertificate.current()
    page = client.get(admin_url(root, "change")).content.decode()
    assert "PRIVATE KEY" not in page and root.encrypted_key_pem[40:80] not in page
    signing = DocumentSigningCertificate.objects.get(is_active=True)
    page = client.get(admin_url(signing, "change")).content.decode()
    assert "PRIVATE KEY" not in page and signing.encrypted_key_pem[40:80] not in page
    account = VpnAccount.objects.first()
    for url in (changelist_url(VpnAccount), admin_url(account, "change")):
        assert account.password_hash not in client.get(url).content.decode()


def test_revoking_from_the_admin_goes_through_the_service(records, operator, client_for):
    certificate = DeviceCertificate.objects.first()
    client = client_for(operator)
    response = act(
        client, DeviceCertificate, "revoke", [certificate], reason="keyCompromise", comment="泄露"
    )
    certificate.refresh_from_db()
    assert certificate.revoked_at is not None
    assert certificate.revocation_reason == "keyCompromise"
    event = AuditEvent.objects.for_object(certificate).get(event="certificate_revoked")
    assert event.actor == operator and event.comment == "泄露"
    assert RootCertificate.current().crl_number > 0
    assert any("证书已吊销" in message for message in messages_of(response))

    again = act(client, DeviceCertificate, "revoke", [certificate], reason="superseded")
    assert any("吊销" in message and "已于" in message for message in messages_of(again))
    assert AuditEvent.objects.filter(event="certificate_revoked").count() == 1


def test_disabling_and_enabling_a_vpn_account_go_through_the_service(records, operator, client_for):
    account = VpnAccount.objects.first()
    client = client_for(operator)
    act(client, VpnAccount, "disable", [account], comment="欠费")
    account.refresh_from_db()
    assert account.is_active is False
    assert AuditEvent.objects.for_object(account).filter(event="vpn_account_disabled").exists()

    refused = act(client, VpnAccount, "disable", [account])
    assert any("已是该状态" in message for message in messages_of(refused))

    act(client, VpnAccount, "enable", [account])
    account.refresh_from_db()
    assert account.is_active is True
    assert AuditEvent.objects.for_object(account).filter(event="vpn_account_enabled").exists()
