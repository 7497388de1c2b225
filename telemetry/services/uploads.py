"""Receiving an upload: the service behind ``POST /api/v1/telemetry/uploads`` (DESIGN §4).

The view authenticates the device over the exact body bytes and hands over the identity;
this module checks the envelope and the identity it names, refuses replays, validates every
record at once and stores the batch, raw body and staged readings (``telemetry.staging``)
included, before the device gets its answer; a connection's first upload attempt begins
its integration testing (``telemetry.services.connection``). Readings are written later by the
ingestion task (``telemetry.ingest``), queued after commit.
"""

from __future__ import annotations

import hashlib
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from ..auth import DeviceIdentity, relay_suspected
from ..corrections import batch_corrections
from ..models import BatchStatus, UploadBatch
from ..protocol import Envelope, EnvelopeError, check_skew, parse_envelope, validate_records
from ..staging import cached_item_specs, clock_skew, stage
from ..timeslots import format_wire_time
from .connection import awaits_integration, begin_integration
from .relay import record_relay_upload


@dataclass(frozen=True)
class Answer:
    """An HTTP status and the JSON object to send back."""

    status: int
    payload: dict


def refusal(status: int, field: str, reason: str) -> Answer:
    return Answer(status, {"detail": reason, "errors": [{"field": field, "reason": reason}]})


def receipt(batch: UploadBatch) -> dict:
    """The receipt of a batch, as the device and the portal's users see it."""
    return {
        "messageId": batch.message_id,
        "status": batch.status,
        "recordCount": batch.record_count,
        "accepted": batch.accepted_count,
        "rejected": batch.rejections,
        "storedCount": batch.stored_count,
        "correctedCount": batch.corrected_count,
        "duplicateCount": batch.duplicate_count,
        "relaySuspected": batch.relay_suspected,
        "corrections": batch_corrections(batch) if batch.corrected_count else [],
        "receivedAt": format_wire_time(batch.received_at),
        "storedAt": format_wire_time(batch.stored_at) if batch.stored_at else None,
        "platformTime": format_wire_time(timezone.now()),
    }


def receive_upload(identity: DeviceIdentity, body: bytes, source_ip: str | None) -> Answer:
    """Check and store one signed upload from ``identity``; nothing is half-stored."""
    now = timezone.now()
    max_records = settings.TELEMETRY_MAX_RECORDS
    try:
        envelope = parse_envelope(body, max_records=max(max_records, 1) * 1000)
    except EnvelopeError as exc:
        return refusal(400, exc.field, exc.reason)
    if len(envelope.records) > max_records:
        return refusal(
            413,
            "records",
            f"本批次有 {len(envelope.records)} 条记录，超过每批上限 {max_records} 条，请拆分后上传",
        )
    refused = _identity_refusal(envelope, identity)
    if refused is not None:
        return refused
    digest = hashlib.sha256(body).hexdigest()
    skew = check_skew(envelope.sent_at, now, timedelta(seconds=settings.TELEMETRY_MAX_SKEW_SECONDS))
    if skew is not None:
        # A byte-identical resend of a stored batch still gets its receipt, however old.
        earlier = _earlier(identity, envelope)
        return _replay(earlier, digest) if earlier else refusal(400, skew.field, skew.reason)

    specs = cached_item_specs(identity.enterprise.pk, identity.items_version)
    readings, rejections = validate_records(envelope, specs, received_at=now, skew=clock_skew())
    rejected = [r.to_dict() for r in rejections]
    batch = UploadBatch(
        enterprise=identity.enterprise,
        device=identity.device,
        message_id=envelope.message_id,
        body_sha256=digest,
        raw_body=body,
        cert_serial=identity.certificate.serial_hex,
        source_ip=source_ip,
        relay_suspected=relay_suspected(identity.enterprise, source_ip),
        sent_at=envelope.sent_at,
        received_at=now,
        status=BatchStatus.QUEUED if readings else BatchStatus.REFUSED,
        record_count=len(envelope.records),
        accepted_count=len(readings),
        rejections=rejected,
        staged_readings=(stage(readings, specs, now, identity.device.pk) if readings else None),
    )
    try:
        _store(batch, identity.enterprise)
    except IntegrityError:
        # The messageId is taken (unique per device): a resend, or a reuse with another body.
        # Inserting first and looking only on conflict saves a query on every fresh upload.
        earlier = _earlier(identity, envelope)
        if earlier is None:
            raise
        return _replay(earlier, digest)

    payload = {
        "messageId": batch.message_id,
        "status": batch.status,
        "accepted": len(readings),
        "rejected": rejected,
        "relaySuspected": batch.relay_suspected,
        "platformTime": format_wire_time(now),
    }
    # 202: stored and queued for the worker. A batch whose every record was refused is
    # final at once (200), so the device does not keep re-sending data that cannot pass.
    return Answer(202 if readings else 200, payload)


def _identity_refusal(envelope: Envelope, identity: DeviceIdentity) -> Answer | None:
    """The refusal when the envelope names another enterprise or device than the
    certificate is bound to; None when they agree."""
    if envelope.enterprise_code != identity.uscc:
        return refusal(
            403,
            "enterpriseCode",
            f"enterpriseCode {envelope.enterprise_code} 与证书绑定的企业 {identity.uscc} 不符",
        )
    if envelope.device_serial != identity.device_serial:
        return refusal(
            403,
            "deviceSerial",
            f"deviceSerial {envelope.device_serial} 与证书绑定的端设备 "
            f"{identity.device_serial} 不符",
        )
    return None


def _store(batch: UploadBatch, enterprise) -> None:
    """Insert the batch and, when it holds readings, queue the worker after commit.

    The first upload attempt of a connection also begins its integration testing, and a
    relay-suspected batch is counted on its address's flag, in the same transaction.
    Raises IntegrityError when the device already used the messageId.
    """
    from ..tasks.ingest import schedule_ingestion

    first_upload = awaits_integration(enterprise)
    if first_upload or batch.relay_suspected:
        with transaction.atomic():
            _insert(batch)
            if batch.relay_suspected:
                record_relay_upload(enterprise.pk, batch.source_ip, batch.received_at)
            if first_upload:
                begin_integration(enterprise)
    else:
        # Usually the batch row is all there is to write: one INSERT, committed on its
        # own (autocommit), so no BEGIN/COMMIT round trips; on_commit then runs at once.
        # Inside a caller's transaction a savepoint keeps a conflict recoverable.
        with transaction.atomic() if connection.in_atomic_block else nullcontext():
            _insert(batch)
    if batch.status == BatchStatus.QUEUED:
        transaction.on_commit(partial(schedule_ingestion))


def _earlier(identity: DeviceIdentity, envelope: Envelope) -> UploadBatch | None:
    """The batch this device already sent under the envelope's messageId, if any."""
    return UploadBatch.objects.filter(
        device=identity.device, message_id=envelope.message_id
    ).first()


_insert_sql: tuple[str, list] | None = None


def _insert(batch: UploadBatch) -> None:
    """``batch.save(force_insert=True)`` as one prepared statement on PostgreSQL.

    The ORM compiles the INSERT anew for every upload (~0.5 ms of the request's CPU); the
    statement is the same every time, so it is built once from the model's fields and the
    values are prepared by the fields themselves, as save() would.
    """
    global _insert_sql
    if connection.vendor != "postgresql":
        batch.save(force_insert=True)
        return
    if _insert_sql is None:
        meta = UploadBatch._meta
        quote = connection.ops.quote_name
        fields = [f for f in meta.concrete_fields if not f.primary_key]
        _insert_sql = (
            f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
            f"VALUES ({', '.join(['%s'] * len(fields))}) RETURNING {quote(meta.pk.column)}",
            fields,
        )
    sql, fields = _insert_sql
    params = [f.get_db_prep_save(f.pre_save(batch, True), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        batch.pk = cursor.fetchone()[0]
    batch._state.adding = False
    batch._state.db = connection.alias


def _replay(earlier: UploadBatch, digest: str) -> Answer:
    if earlier.body_sha256 != digest:
        return refusal(
            409,
            "messageId",
            f"messageId {earlier.message_id} 已于 {format_wire_time(earlier.received_at)} "
            "用于另一份内容不同的批次；每个新批次须使用新的 messageId",
        )
    # The same bytes again (a resend after a lost answer): the first receipt, nothing new.
    return Answer(200, {**receipt(earlier), "replayed": True})
