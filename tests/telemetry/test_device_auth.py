"""Device authentication: certificate, signature and binding checks refuse specifically."""

from datetime import datetime, timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured, ObjectDoesNotExist
from django.test import RequestFactory
from django.utils import timezone

from applications import pki
from portal.client_address import source_address
from telemetry.auth import relay_suspected
from telemetry.models import UploadBatch
from telemetry.protocol import CERT_SERIAL_HEADER, SIGNATURE_HEADER, UPLOAD_PATH, canonical_body
from telemetry.timeslots import BEIJING, StatType, slot_start
from tests.portal.factories import EnterpriseFactory

from .factories import (
    DataItemFactory,
    EndDeviceFactory,
    connection_for,
    device_with_certificate,
    envelope,
    issue_certificate_row,
    record,
    signed_post,
    vpn_account_for,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def kit(enterprise):
    return device_with_certificate(enterprise)


@pytest.fixture
def body(kit):
    item = DataItemFactory(enterprise=kit.device.enterprise)
    slot = slot_start(StatType.REALTIME, datetime.now(BEIJING)) - timedelta(minutes=15)
    return envelope(kit, [record(item, "1", slot)])


def refused(response, status, field):
    assert response.status_code == status, response.content
    error = response.json()["errors"][0]
    assert error["field"] == field
    assert not UploadBatch.objects.exists()
    return error["reason"]


def test_an_unsigned_upload_is_refused(client, kit, body):
    response = client.post(
        UPLOAD_PATH,
        canonical_body(body),
        content_type="application/json",
        headers={CERT_SERIAL_HEADER: kit.serial_hex},
    )
    refused(response, 401, SIGNATURE_HEADER)
    assert "WWW-Authenticate" in response


def test_an_upload_without_certificate_serial_is_refused(client, body):
    response = client.post(UPLOAD_PATH, canonical_body(body), content_type="application/json")
    refused(response, 401, CERT_SERIAL_HEADER)


def test_an_unknown_certificate_is_refused(client, kit, body):
    refused(signed_post(client, kit, body, serial="abc123"), 401, CERT_SERIAL_HEADER)


def test_a_wrong_signature_is_refused(client, kit, body):
    stranger = pki.generate_device_key()
    reason = refused(signed_post(client, kit, body, key=stranger), 401, SIGNATURE_HEADER)
    assert "签名校验失败" in reason


def test_a_signature_over_other_bytes_is_refused(client, kit, body):
    raw = canonical_body(body)
    headers = {
        CERT_SERIAL_HEADER: kit.serial_hex,
        SIGNATURE_HEADER: pki.sign_body(kit.key, raw + b" "),
    }
    response = client.post(UPLOAD_PATH, raw, content_type="application/json", headers=headers)
    refused(response, 401, SIGNATURE_HEADER)


def test_an_expired_certificate_is_refused(client, enterprise, body):
    device = EndDeviceFactory(enterprise=enterprise)
    key, row = issue_certificate_row(
        enterprise, device.serial, not_after=timezone.now() - timedelta(minutes=1)
    )
    body = {**body, "deviceSerial": device.serial}
    headers_kit = type("Kit", (), {"serial_hex": row.serial_hex, "key": key})
    reason = refused(signed_post(client, headers_kit, body), 401, CERT_SERIAL_HEADER)
    assert "过期" in reason


def test_a_revoked_certificate_is_refused(client, kit, body):
    kit.certificate.revoked_at = timezone.now() - timedelta(minutes=1)
    kit.certificate.revocation_reason = "keyCompromise"
    kit.certificate.save()
    reason = refused(signed_post(client, kit, body), 403, CERT_SERIAL_HEADER)
    assert "吊销" in reason


def test_another_enterprises_certificate_cannot_upload_for_this_one(client, kit, body):
    other = device_with_certificate(EnterpriseFactory())
    reason = refused(signed_post(client, other, body), 403, "enterpriseCode")
    assert kit.device.enterprise.uscc in reason


def test_a_device_serial_that_is_not_the_certificates_is_refused(client, kit, body):
    refused(signed_post(client, kit, {**body, "deviceSerial": "OTHER-1"}), 403, "deviceSerial")


def test_a_certificate_for_an_unregistered_or_retired_device_is_refused(client, kit, body):
    kit.device.is_active = False
    kit.device.save()
    reason = refused(signed_post(client, kit, body), 403, CERT_SERIAL_HEADER)
    assert kit.device.serial in reason


def test_a_certificate_naming_another_uscc_than_its_owner_is_refused(client, enterprise, body):
    device = EndDeviceFactory(enterprise=enterprise)
    other = EnterpriseFactory()
    key, row = issue_certificate_row(enterprise, device.serial, uscc=other.uscc)
    headers_kit = type("Kit", (), {"serial_hex": row.serial_hex, "key": key})
    refused(signed_post(client, headers_kit, body), 403, CERT_SERIAL_HEADER)


def test_an_rsa_device_key_is_accepted(client, enterprise):
    kit = device_with_certificate(enterprise, key_kind="rsa")
    item = DataItemFactory(enterprise=enterprise)
    slot = slot_start(StatType.REALTIME, datetime.now(BEIJING)) - timedelta(minutes=15)
    response = signed_post(client, kit, envelope(kit, [record(item, "1", slot)]))
    assert response.status_code == 202


def test_a_serial_with_leading_zeros_or_uppercase_is_understood(client, kit, body):
    response = signed_post(client, kit, body, serial="00" + kit.serial_hex.upper())
    assert response.status_code == 202


# --- Source address and relay flag ---------------------------------------------------------


def test_source_address_ignores_forwarded_for_from_untrusted_peers(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.1"]
    factory = RequestFactory()
    spoofed = factory.post("/", REMOTE_ADDR="203.0.113.5", HTTP_X_FORWARDED_FOR="10.8.0.10")
    assert source_address(spoofed) == "203.0.113.5"
    proxied = factory.post(
        "/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4, 10.8.0.10, 10.0.0.1"
    )
    assert source_address(proxied) == "10.8.0.10"


def test_trusted_proxies_may_be_given_as_cidr_ranges(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8", "127.0.0.1", "::1"]
    factory = RequestFactory()
    proxied = factory.post(
        "/", REMOTE_ADDR="10.20.0.3", HTTP_X_FORWARDED_FOR="8.8.8.8, 198.51.100.7, 10.0.0.9"
    )
    assert source_address(proxied) == "198.51.100.7"
    mapped = factory.post("/", REMOTE_ADDR="::ffff:10.1.1.1", HTTP_X_FORWARDED_FOR="198.51.100.8")
    assert source_address(mapped) == "198.51.100.8"
    outside = factory.post("/", REMOTE_ADDR="11.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.9")
    assert source_address(outside) == "11.0.0.1"
    garbage = factory.post("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="unknown, 10.0.0.2")
    assert source_address(garbage) is None


def test_a_trusted_proxy_entry_that_is_no_address_is_refused(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/33"]
    request = RequestFactory().post("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4")
    with pytest.raises(ImproperlyConfigured, match=r"10\.0\.0\.0/33"):
        source_address(request)


def test_an_ipv4_peer_seen_by_a_dual_stack_listener_is_its_plain_ipv4_address():
    request = RequestFactory().post("/", REMOTE_ADDR="::ffff:10.8.0.20")
    assert source_address(request) == "10.8.0.20"


def test_relay_is_suspected_only_with_a_usable_vpn_account(enterprise):
    assert relay_suspected(enterprise, "203.0.113.5") is False
    account = vpn_account_for(enterprise, "10.8.0.20")
    enterprise.refresh_from_db()
    assert relay_suspected(enterprise, "10.8.0.20") is False
    assert relay_suspected(enterprise, "203.0.113.5") is True
    account.is_active = False
    account.save()
    enterprise.refresh_from_db()
    assert relay_suspected(enterprise, "203.0.113.5") is False


# --- The hand-compiled lookup against the ORM (docs/decisions/0006) ------------------------


def _related(obj, name):
    try:
        return getattr(obj, name)
    except ObjectDoesNotExist:
        return None


def _loaded(obj, names):
    return None if obj is None else {name: getattr(obj, name) for name in names}


@pytest.mark.parametrize("setting", ["bare", "revoked_with_vpn_connection_and_items"])
def test_the_hand_compiled_lookup_loads_what_the_plain_orm_query_loads(
    enterprise, setting, django_assert_num_queries
):
    # telemetry.auth builds its one query from the models' metadata and fills instances
    # with Model.from_db and the fields' database converters (Django internals): the plain
    # ORM query must give the same values, on SQLite and on PostgreSQL alike.
    from applications.models import DeviceCertificate, RevocationReason
    from telemetry.auth import _LOOKUP_FIELDS, _certificate_with_enterprise
    from telemetry.models import DataItem, EndDevice

    kit = device_with_certificate(enterprise)
    if setting != "bare":
        vpn_account_for(enterprise)
        connection_for(enterprise, "integration_testing")
        DataItemFactory(enterprise=enterprise)
        DataItemFactory(enterprise=enterprise, is_active=False)
        DeviceCertificate.objects.filter(pk=kit.certificate.pk).update(
            revoked_at=timezone.now(), revocation_reason=RevocationReason.SUPERSEDED
        )

    row = _certificate_with_enterprise(kit.serial_hex)
    orm = DeviceCertificate.objects.select_related(
        "enterprise__vpn_account", "enterprise__connection"
    ).get(serial_hex=kit.serial_hex)
    with django_assert_num_queries(0):  # every field the upload path reads is loaded
        found = (
            _loaded(row, _LOOKUP_FIELDS["certificate"]),
            _loaded(row.enterprise, _LOOKUP_FIELDS["enterprise"]),
            _loaded(_related(row.enterprise, "vpn_account"), _LOOKUP_FIELDS["vpn_account"]),
            _loaded(_related(row.enterprise, "connection"), _LOOKUP_FIELDS["connection"]),
        )
    expected = (
        _loaded(orm, _LOOKUP_FIELDS["certificate"]),
        _loaded(orm.enterprise, _LOOKUP_FIELDS["enterprise"]),
        _loaded(_related(orm.enterprise, "vpn_account"), _LOOKUP_FIELDS["vpn_account"]),
        _loaded(_related(orm.enterprise, "connection"), _LOOKUP_FIELDS["connection"]),
    )
    assert found == expected
    assert (found[2] is None, found[3] is None) == (setting == "bare",) * 2
    device = EndDevice.objects.get(enterprise=enterprise, serial=orm.device_serial, is_active=True)
    assert row.bound_device_id == device.pk
    # The item table's version is a cache key: its item count, and its latest change as the
    # database returns it (text on SQLite); the same until an item is saved, then another.
    assert row.items_version[0] == DataItem.objects.filter(enterprise=enterprise).count()
    assert _certificate_with_enterprise(kit.serial_hex).items_version == row.items_version
    DataItemFactory(enterprise=enterprise).save()
    assert _certificate_with_enterprise(kit.serial_hex).items_version != row.items_version
    assert row.status() == orm.status()
    assert _certificate_with_enterprise("f" * 30) is None
