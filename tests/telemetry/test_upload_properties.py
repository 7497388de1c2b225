"""Hypothesis on the upload parser and the upload API (issue 14): whatever a device sends,
the answer is a receipt or a 4xx with a reason, never a 500, and a batch is stored whole
(every record accepted or refused with a reason) or not at all."""

import json
import uuid
from datetime import datetime, timedelta

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from telemetry.ingest import ingest_pending
from telemetry.models import Reading, UploadBatch
from telemetry.protocol import EnvelopeError, ItemSpec, parse_envelope, validate_records
from telemetry.timeslots import BEIJING, StatType, format_wire_time, slot_start

from .factories import DataItemFactory, device_with_certificate, envelope, record, signed_post

pytestmark = pytest.mark.django_db

PROPERTY = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
CODE = "000000010233000001"
ITEMS = {CODE: ItemSpec(1, StatType.REALTIME, 15, None, None, None)}

times = st.one_of(
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)).map(
        lambda d: d.strftime("%Y-%m-%d %H:%M:%S").rjust(19, "0")
    ),
    st.integers(-4000, 4000).map(
        lambda n: format_wire_time(
            slot_start(StatType.REALTIME, datetime.now(BEIJING)) + timedelta(minutes=15 * n)
        )
    ),
    st.text(max_size=25),
    st.integers(),
    st.none(),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.from_regex(r"-?\d{1,16}(\.\d{1,6})?", fullmatch=True),
)
records_of = st.fixed_dictionaries(
    {},
    optional={
        "dataCode": st.one_of(st.just(CODE), st.text(max_size=20), st.integers()),
        "dataValue": scalars,
        "convertRation": scalars,
        "valid": st.sampled_from(["1", "0", 1, 0, "2", None, True]),
        "scope": st.sampled_from(["1", "4", 5, None, "x"]),
        "inputType": st.sampled_from(["4", "7", 8, None, ""]),
        "statType": st.sampled_from(["0", "1", 0, 3, 9, None, "０"]),
        "statDate": times,
        "uploadDate": times,
        "backfill": st.one_of(st.booleans(), scalars),
    },
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


def as_json(value) -> bytes:
    return json.dumps(value, ensure_ascii=False, allow_nan=True).encode()


@PROPERTY
@given(
    st.one_of(
        st.binary(max_size=300),
        json_values.map(as_json),
        st.lists(records_of, max_size=6).map(
            lambda rs: as_json(
                {
                    "version": "1.0",
                    "messageId": "m",
                    "enterpriseCode": "91420100MA4K2XXX1Y",
                    "deviceSerial": "D",
                    "sentAt": "2026-03-01 00:00:00",
                    "records": rs,
                }
            )
        ),
    )
)
def test_the_parser_refuses_with_a_reason_or_accounts_for_every_record(body):
    try:
        parsed = parse_envelope(body)
    except EnvelopeError as refused:
        assert refused.field and refused.reason
        return
    readings, rejections = validate_records(
        parsed, ITEMS, received_at=timezone.now(), skew=timedelta(minutes=5)
    )
    assert len(readings) + len(rejections) == len(parsed.records)
    assert all(r.reason and r.field for r in rejections)


@pytest.fixture
def kit(enterprise):
    return device_with_certificate(enterprise)


@pytest.fixture
def item(enterprise):
    return DataItemFactory(enterprise=enterprise, data_code=CODE)


# A good record of a recent slot, with some of its fields replaced by anything.
mostly_good = st.tuples(
    st.integers(-2, 400),
    st.from_regex(r"[0-9]{1,6}(\.[0-9]{1,3})?", fullmatch=True),
    st.one_of(st.just({}), st.just({}), records_of),
)


@PROPERTY
@given(rows=st.lists(mostly_good, min_size=1, max_size=6))
def test_the_upload_api_never_answers_500_and_stores_whole_batches(client, kit, item, rows):
    now = slot_start(StatType.REALTIME, datetime.now(BEIJING))
    rows = [
        {**record(item, value, now - timedelta(minutes=15 * back)), **overrides}
        for back, value, overrides in rows
    ]
    body = envelope(kit, rows, message_id=str(uuid.uuid4()))
    before = Reading.objects.count()
    response = signed_post(client, kit, body)
    assert response.status_code < 500, response.content
    answer = response.json()
    event(f"HTTP {response.status_code}, accepted {bool(answer.get('accepted'))}")
    batch = UploadBatch.objects.filter(message_id=body["messageId"]).first()
    if response.status_code >= 400:
        assert batch is None
        assert answer["detail"] and answer["errors"][0]["reason"]
        return
    assert batch is not None
    assert answer["accepted"] + len(answer["rejected"]) == len(rows)
    assert batch.accepted_count == answer["accepted"]
    assert all(r["reason"] for r in answer["rejected"])
    summary = ingest_pending()
    batch.refresh_from_db()
    assert summary["batches"] == (1 if answer["accepted"] else 0)
    written = batch.stored_count + batch.duplicate_count + batch.corrected_count
    refused_late = len(batch.rejections) - len(answer["rejected"])
    assert written + refused_late == answer["accepted"]
    assert Reading.objects.count() - before == batch.stored_count


@PROPERTY
@given(st.binary(max_size=400))
def test_arbitrary_bytes_are_refused_with_a_reason(client, kit, body):
    response = signed_post(client, kit, body)
    assert 400 <= response.status_code < 500
    assert response.json()["detail"]
    assert not UploadBatch.objects.exists()
