"""Who is uploading: device authentication by certificate and signature (DESIGN §4).

A device names its certificate (``X-Cert-Serial``) and signs the exact bytes of the
request (the body of a POST, the request target of a GET) with that certificate's key
(``X-Signature``). Every ``DeviceCertificate`` row was issued by the portal's own CA, so
finding the row by serial is the issuer check; what remains is its status, the signature
and the subject binding (USCC + device serial) to an active end device of the same
enterprise. Failures are short, specific and raised as :class:`DeviceAuthError`, as in
healthchecks' ``authorize`` decorator.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured, ObjectDoesNotExist
from django.utils import timezone

from applications import pki
from telemetry.protocol import CERT_SERIAL_HEADER, SIGNATURE_HEADER

CERT_SERIAL_META = "HTTP_" + CERT_SERIAL_HEADER.upper().replace("-", "_")
SIGNATURE_META = "HTTP_" + SIGNATURE_HEADER.upper().replace("-", "_")


class DeviceAuthError(Exception):
    """The device is not let in; ``status`` is 401 (who are you?) or 403 (not allowed)."""

    def __init__(self, field: str, reason: str, status: int = 401):
        super().__init__(reason)
        self.field = field
        self.reason = reason
        self.status = status

    def as_dict(self) -> dict:
        return {"field": self.field, "reason": self.reason}


@dataclass(frozen=True)
class DeviceIdentity:
    device: object  # telemetry.EndDevice
    enterprise: object  # portal.Enterprise
    certificate: object  # applications.DeviceCertificate
    uscc: str
    device_serial: str
    items_version: tuple = ()  # of the enterprise's item table (telemetry.staging's cache)


# Parsing a PEM certificate costs more than verifying a signature; certificates never
# change once issued, so the parsed object and its binding are kept per (serial, fingerprint).
_parsed: dict[tuple[str, str], tuple[object, tuple[str, str] | None]] = {}
_parsed_lock = threading.Lock()
_PARSED_LIMIT = 20_000


def _parsed_certificate(row) -> tuple[object, tuple[str, str] | None]:
    key = (row.serial_hex, row.fingerprint)
    cached = _parsed.get(key)
    if cached is None:
        certificate = row.certificate()
        try:
            binding = pki.subject_binding(certificate)
        except ValueError:
            binding = None
        cached = (certificate, binding)
        with _parsed_lock:
            if len(_parsed) >= _PARSED_LIMIT:
                _parsed.clear()
            _parsed[key] = cached
    return cached


# --- One round trip for the lookup ------------------------------------------------------------
#
# The certificate, its enterprise with the VPN account and the connection (the relay flag
# and the integration transition need them), the id of the active end device the
# certificate names, and the version of the enterprise's item table (its item count and
# latest change, for the item cache in telemetry.staging), in one hand-written query built
# once from the models' metadata. The ORM's select_related + Subquery said the same but
# spent ~1.5 ms per upload compiling it. Only the columns the upload path reads are loaded
# (``_LOOKUP_FIELDS``); the instances are built with Model.from_db as the ORM would, so any
# other field is deferred and loads on first use.

_LOOKUP_FIELDS = {
    "certificate": [
        "id", "enterprise_id", "device_serial", "serial_hex", "fingerprint", "not_after",
        "revoked_at", "revocation_reason",
    ],
    "enterprise": ["id", "uscc"],
    "vpn_account": [
        "id", "enterprise_id", "tunnel_address", "is_active", "password_set_at", "expires_at",
    ],
    "connection": ["id", "enterprise_id", "state"],
}  # fmt: skip

_lookup: tuple[str, list] | None = None


def _lookup_statement() -> tuple[str, list]:
    global _lookup
    if _lookup is None:
        from django.db import connection as db

        from applications.models import DeviceCertificate, VpnAccount
        from portal.models import Enterprise

        from .models import Connection, DataItem, EndDevice

        quote = db.ops.quote_name
        parts = [
            (DeviceCertificate, "c", _LOOKUP_FIELDS["certificate"]),
            (Enterprise, "e", _LOOKUP_FIELDS["enterprise"]),
            (VpnAccount, "v", _LOOKUP_FIELDS["vpn_account"]),
            (Connection, "k", _LOOKUP_FIELDS["connection"]),
        ]
        columns, layout = [], []
        for model, alias, names in parts:
            # In the model's field order: from_db fills a partial row in that order.
            fields = [f for f in model._meta.concrete_fields if f.attname in names]
            if len(fields) != len(names):
                raise ImproperlyConfigured(f"_LOOKUP_FIELDS: unknown column among {names}")
            columns += [f"{alias}.{quote(f.column)}" for f in fields]
            # The converters the ORM applies to each column (aware datetimes on SQLite,
            # JSON decoding, ...), found the way SQLCompiler.get_converters finds them.
            converters = []
            for f in fields:
                col = f.get_col(alias)
                functions = [*db.ops.get_db_converters(col), *col.get_db_converters(db)]
                converters.append([(convert, col) for convert in functions])
            layout.append((model, [f.attname for f in fields], converters))
        device = EndDevice._meta
        items = DataItem._meta
        enterprise_pk = f"e.{quote(Enterprise._meta.pk.column)}"
        item_rows = f"FROM {quote(items.db_table)} i WHERE i.{_fk(DataItem, quote)} = "
        item_rows += enterprise_pk
        updated = quote(items.get_field("updated_at").column)
        sql = (
            f"SELECT {', '.join(columns)}, d.{quote(device.pk.column)}, "
            f"(SELECT count(*) {item_rows}), (SELECT max(i.{updated}) {item_rows}) "
            f"FROM {quote(DeviceCertificate._meta.db_table)} c "
            f"JOIN {quote(Enterprise._meta.db_table)} e "
            f"ON {enterprise_pk} = c.{_fk(DeviceCertificate, quote)} "
            f"LEFT JOIN {quote(VpnAccount._meta.db_table)} v "
            f"ON v.{_fk(VpnAccount, quote)} = {enterprise_pk} "
            f"LEFT JOIN {quote(Connection._meta.db_table)} k "
            f"ON k.{_fk(Connection, quote)} = {enterprise_pk} "
            f"LEFT JOIN {quote(device.db_table)} d "
            f"ON d.{_fk(EndDevice, quote)} = c.{_fk(DeviceCertificate, quote)} "
            f"AND d.{quote(device.get_field('serial').column)} = "
            f"c.{quote(DeviceCertificate._meta.get_field('device_serial').column)} "
            f"AND d.{quote(device.get_field('is_active').column)} "
            f"WHERE c.{quote(DeviceCertificate._meta.get_field('serial_hex').column)} = %s"
        )
        _lookup = (sql, layout)
    return _lookup


def _fk(model, quote) -> str:
    return quote(model._meta.get_field("enterprise").column)


def _certificate_with_enterprise(serial: str):
    """The DeviceCertificate of ``serial`` with its enterprise, VPN account and connection
    cached (as select_related would), ``bound_device_id`` and ``items_version``; None when
    there is none."""
    from django.db import connection as db

    sql, layout = _lookup_statement()
    with db.cursor() as cursor:
        cursor.execute(sql, [serial])
        values = cursor.fetchone()
    if values is None:
        return None
    instances, start = [], 0
    for model, names, converters in layout:
        chunk = list(values[start : start + len(names)])
        start += len(names)
        for n, functions in enumerate(converters):
            for convert, col in functions:
                chunk[n] = convert(chunk[n], col, db)
        # A LEFT JOIN that found nothing gives NULLs, the primary key among them.
        missing = chunk[names.index(model._meta.pk.attname)] is None
        instances.append(None if missing else model.from_db(db.alias, names, chunk))
    row, enterprise, account, conn = instances
    row.enterprise = enterprise
    enterprise_meta = enterprise._meta
    for name, value in (("vpn_account", account), ("connection", conn)):
        enterprise_meta.get_field(name).set_cached_value(enterprise, value)
        if value is not None:
            value._meta.get_field("enterprise").set_cached_value(value, enterprise)
    row.bound_device_id, *version = values[start:]
    row.items_version = tuple(version)
    return row


def _count_refusal(row, reason: str, device_serial: str | None = None) -> None:
    """A known certificate was refused: count it for its enterprise's monitoring page."""
    from .refusals import record

    record(row.enterprise_id, row.serial_hex, device_serial or row.device_serial, reason)


def authenticate_device(request, signed_bytes: bytes) -> DeviceIdentity:
    """Authenticate the device that signed ``signed_bytes``, or raise DeviceAuthError."""
    from applications.models import CertificateStatus

    from .models import EndDevice, RefusalReason

    meta = request.META
    serial = (meta.get(CERT_SERIAL_META) or "").strip().lower()
    signature = (meta.get(SIGNATURE_META) or "").strip()
    if not serial:
        raise DeviceAuthError(CERT_SERIAL_HEADER, f"缺少请求头 {CERT_SERIAL_HEADER}（证书序列号）")
    if not signature:
        raise DeviceAuthError(SIGNATURE_HEADER, f"缺少请求头 {SIGNATURE_HEADER}（请求签名）")
    # The header carries lowercase hex without leading zeros (pki.serial_hex); accept "0x"
    # and leading zeros from hand-made requests rather than refuse them as unknown.
    serial = serial.removeprefix("0x").lstrip("0") or "0"
    row = _certificate_with_enterprise(serial)
    if row is None:
        raise DeviceAuthError(CERT_SERIAL_HEADER, f"证书 {serial} 不是本平台 CA 签发的证书")
    status = row.status()
    if status == CertificateStatus.REVOKED:
        _count_refusal(row, RefusalReason.REVOKED)
        raise DeviceAuthError(
            CERT_SERIAL_HEADER,
            f"证书 {serial} 已于 {timezone.localtime(row.revoked_at):%Y-%m-%d %H:%M} 吊销"
            f"（{row.get_revocation_reason_display() or '未说明'}），请重新申请证书",
            status=403,
        )
    if status == CertificateStatus.EXPIRED:
        _count_refusal(row, RefusalReason.EXPIRED)
        raise DeviceAuthError(
            CERT_SERIAL_HEADER,
            f"证书 {serial} 已于 {timezone.localtime(row.not_after):%Y-%m-%d %H:%M} 过期，"
            "请申请新证书",
        )
    certificate, binding = _parsed_certificate(row)
    if not pki.verify_body_signature(certificate, signed_bytes, signature):
        _count_refusal(row, RefusalReason.BAD_SIGNATURE)
        raise DeviceAuthError(
            SIGNATURE_HEADER,
            "签名校验失败：签名不是该证书的私钥对请求内容（POST 为原始请求体，GET 为请求路径"
            "和查询串）的 SHA-256 签名",
        )
    enterprise = row.enterprise
    if binding is None or binding[0] != enterprise.uscc:
        _count_refusal(row, RefusalReason.SUBJECT_MISMATCH)
        raise DeviceAuthError(
            CERT_SERIAL_HEADER, "证书主题中的统一社会信用代码与证书所属企业不符", status=403
        )
    uscc, device_serial = binding
    if device_serial == row.device_serial and row.bound_device_id is not None:
        # The device found by the join; its other fields load on first use (deferred).
        device = EndDevice.from_db(
            row._state.db,
            ["id", "enterprise_id", "serial", "is_active"],
            [row.bound_device_id, enterprise.pk, device_serial, True],
        )
    else:  # the subject names another device than the row: look it up as named
        device = EndDevice.objects.filter(
            enterprise=enterprise, serial=device_serial, is_active=True
        ).first()
    if device is None:
        _count_refusal(row, RefusalReason.UNKNOWN_DEVICE, device_serial)
        raise DeviceAuthError(
            CERT_SERIAL_HEADER,
            f"证书绑定的端设备 {device_serial} 未在本企业登记或已停用，请先登记端设备",
            status=403,
        )
    device.enterprise = enterprise
    return DeviceIdentity(device, enterprise, row, uscc, device_serial, row.items_version)


def relay_suspected(enterprise, address: str | None) -> bool:
    """True when the enterprise has a usable VPN account and the upload came from elsewhere.

    An upload that does not come from the enterprise's own tunnel address may have been
    relayed by a third-party server, a fail condition of the acceptance (SPEC §2, §5.3).
    """
    try:
        account = enterprise.vpn_account
    except ObjectDoesNotExist:  # no VPN account: nothing to compare the address with
        return False
    if account is None or not account.is_usable():
        return False
    return address != account.tunnel_address
