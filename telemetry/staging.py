"""The request side of ingestion: an upload's readings checked, classified and staged.

The upload API (``telemetry.services.uploads``) checks every record against the enterprise's item
table (:func:`cached_item_specs`, a per-process copy of :func:`item_specs`) and stores the
accepted readings on the batch as :func:`stage` rows. The worker (``telemetry.ingest``)
moves staged rows into the readings table; readings that do not come from a device (the
monthly filing) are staged here too, so every reading enters by the same rows.

The arrival rule itself is ``timeslots.classify_arrival``; :func:`arrival_windows` gives it
this installation's settings, and :class:`DeviceContacts` the device's contact times that
the outage rule needs (when the device's first accepted upload after a slot's window was).
"""

from __future__ import annotations

import time
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from datetime import time as dt_time

from django.conf import settings
from django.db.models import OuterRef, Subquery

from .models import ArrivalClass, DataItem, DataItemRevision, UploadBatch
from .protocol import ItemSpec, ParsedReading
from .timeslots import BEIJING, Arrival, ArrivalWindows, arrival_deadlines, classify_arrival

ARRIVAL_CODES = {
    Arrival.ON_TIME: ArrivalClass.ON_TIME,
    Arrival.BACKFILLED: ArrivalClass.BACKFILLED,
    Arrival.LATE: ArrivalClass.LATE,
}

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SECOND = timedelta(seconds=1)


def clock_skew() -> timedelta:
    """The clock skew allowed to devices (their sentAt, and how far ahead a slot may be)."""
    return timedelta(seconds=settings.TELEMETRY_MAX_SKEW_SECONDS)


def arrival_windows() -> ArrivalWindows:
    """The upload windows of SPEC section 3 with this installation's settings."""
    return ArrivalWindows(
        monthly_deadline_day=settings.TELEMETRY_MONTHLY_DEADLINE_DAY,
        backfill_cycles=settings.TELEMETRY_BACKFILL_CYCLES,
        backfill_cap=timedelta(hours=settings.TELEMETRY_BACKFILL_CAP_HOURS),
    )


class DeviceContacts:
    """When a device's accepted uploads came, as the outage rule asks (DESIGN §4).

    Every stored upload batch of the device is a contact: it proves the link was up. The
    receipt times of the device's batches in the last ``backfill_cap`` before this upload
    are read once, and only when a reading of the upload missed its next-cycle window (a
    backfill after an outage: rare), by the index on (device, received_at).
    """

    def __init__(self, device_id: int | None, received_at: datetime, cap: timedelta):
        self.device_id = device_id
        self.received_at = received_at
        self.cap = cap
        self._times: list[datetime] | None = None

    def resumed_after(self, moment: datetime) -> datetime:
        """The device's first accepted upload after ``moment`` (this one if none before)."""
        if self._times is None:
            self._times = list(
                UploadBatch.objects.filter(
                    device_id=self.device_id,
                    received_at__gt=self.received_at - self.cap,
                    received_at__lt=self.received_at,
                )
                .order_by("received_at")
                .values_list("received_at", flat=True)
            )
        position = bisect_right(self._times, moment)
        return self._times[position] if position < len(self._times) else self.received_at


# --- Item tables --------------------------------------------------------------------------


def _specs(items) -> Iterable[tuple[int, str, ItemSpec]]:
    """(enterprise id, dataCode, ItemSpec) of every item of the queryset ``items``."""
    first_revision = (
        DataItemRevision.objects.filter(item=OuterRef("pk"))
        .order_by("valid_from")
        .values("valid_from")[:1]
    )
    rows = items.annotate(first_revision=Subquery(first_revision)).values_list(
        "pk",
        "enterprise_id",
        "data_code",
        "stat_type",
        "interval_minutes",
        "value_min",
        "value_max",
        "created_at",
        "first_revision",
    )
    for pk, enterprise_id, code, stat_type, interval, low, high, created, first in rows:
        registered = registered_from(created, first)
        yield enterprise_id, code, ItemSpec(pk, stat_type, interval, low, high, registered)


def registered_from(created_at: datetime | None, first_revision: date | None) -> datetime | None:
    """Beijing midnight of the day an item was registered: its first revision's day (as the
    trial counts it, ``telemetry.item_history``), else its creation day. Readings of periods
    that end on or before it are refused (``protocol.timing_reason``)."""
    day = first_revision or (created_at and created_at.astimezone(BEIJING).date())
    return datetime.combine(day, dt_time(0), BEIJING) if day else None


def item_specs(enterprise_ids: Iterable[int]) -> dict[int, dict[str, ItemSpec]]:
    """Per enterprise, the ItemSpec table of its active items (one query)."""
    tables: dict[int, dict[str, ItemSpec]] = defaultdict(dict)
    active = DataItem.objects.filter(enterprise_id__in=list(enterprise_ids), is_active=True)
    for enterprise_id, code, spec in _specs(active):
        tables[enterprise_id][code] = spec
    return tables


def specs_by_id(item_ids: Iterable[int]) -> dict[int, ItemSpec]:
    """The ItemSpec of each of these items, active or not (one query)."""
    items = DataItem.objects.filter(pk__in=list(item_ids))
    return {spec.item_id: spec for _enterprise, _code, spec in _specs(items)}


# --- The upload path's copy of the item tables ----------------------------------------------
#
# The request path checks every record against its enterprise's ItemSpec table; reading it
# is a query of ~1.5 ms per upload, so each process keeps the tables. A table is used only
# while it is current: the device lookup (telemetry.auth) reads the version of the
# enterprise's item table in the same query (the number of items and the latest
# ``updated_at``), so saving, adding or deleting an item is seen by every process at its
# next upload. A change that bypasses ``save()`` (a queryset ``update()``) is seen when the
# copy is TELEMETRY_ITEM_CACHE_SECONDS old (0 turns the cache off); meanwhile the worker
# checks the staged readings again against the items as they are (``ingest._STAGED_INSERT``).

_spec_cache: dict[int, tuple[object, float, dict[str, ItemSpec]]] = {}


def cached_item_specs(enterprise_id: int, version: object) -> dict[str, ItemSpec]:
    """The ItemSpec table of one enterprise at ``version``, from this process's cache."""
    max_age = settings.TELEMETRY_ITEM_CACHE_SECONDS
    if max_age <= 0:
        return item_specs([enterprise_id]).get(enterprise_id, {})
    now = time.monotonic()
    hit = _spec_cache.get(enterprise_id)
    if hit is not None and hit[0] == version and hit[1] > now:
        return hit[2]
    table = item_specs([enterprise_id]).get(enterprise_id, {})
    _spec_cache[enterprise_id] = (version, now + max_age, table)
    return table


# --- The hand-over to the worker ------------------------------------------------------------


def stage(
    readings: Sequence[ParsedReading],
    specs: Mapping[object, ItemSpec],
    received_at: datetime,
    device_id: int | None = None,
) -> list[list]:
    """Readings as ``UploadBatch.staged_readings`` rows (``specs``: by dataCode or by id).

    ``[index, item_id, slot (epoch seconds), value, valid, arrival, statType, interval]``:
    everything the worker needs to insert them in SQL. The arrival class is fixed here
    (it depends only on the slot and the time the batch was received); statType and
    interval are the ones the reading was checked against, so the worker can tell when the
    item has changed since (see ``ingest._STAGED_INSERT``). ``device_id``: the device that
    sent them, for the outage rule; None for readings that do not come from a device.
    """
    by_id = {spec.item_id: spec for spec in specs.values()}
    windows = arrival_windows()
    contacts = DeviceContacts(device_id, received_at, windows.backfill_cap)
    # A batch holds few distinct (statType, interval, slot) triples and one receipt time,
    # so the arrival class and the slot's epoch are worked out once per triple.
    per_triple: dict[tuple[int, int, datetime], tuple[int, int]] = {}
    rows = []
    for reading in readings:
        spec = by_id[reading.item_id]
        triple = (spec.stat_type, spec.interval_minutes, reading.slot)
        known = per_triple.get(triple)
        if known is None:
            arrival = _arrival(spec, reading.slot, received_at, windows, contacts)
            epoch = (reading.slot - _EPOCH) // _SECOND
            known = per_triple[triple] = (epoch, int(ARRIVAL_CODES[arrival]))
        epoch, arrival = known
        rows.append(
            [
                reading.index,
                reading.item_id,
                epoch,
                str(reading.value),
                reading.valid,
                arrival,
                spec.stat_type,
                spec.interval_minutes,
            ]
        )
    return rows


def _arrival(spec: ItemSpec, slot: datetime, received_at, windows, contacts) -> Arrival:
    """The arrival class of one slot; the device's contacts are read only when they matter."""
    arrival = classify_arrival(spec.stat_type, slot, received_at, spec.interval_minutes, windows)
    if arrival != Arrival.LATE or contacts.device_id is None:
        return arrival
    if received_at > slot + windows.backfill_cap:
        return arrival  # beyond the cap: no outage makes it a backfill
    on_time, _backfill = arrival_deadlines(spec.stat_type, slot, spec.interval_minutes, windows)
    resumed_at = contacts.resumed_after(on_time)
    return classify_arrival(
        spec.stat_type, slot, received_at, spec.interval_minutes, windows, resumed_at
    )
