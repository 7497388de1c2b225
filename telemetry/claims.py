"""Claims on queued upload batches: a lease that a live worker renews (issue 14, ADR 0006).

A drain (``ingest.ingest_pending``) claims up to ``TELEMETRY_INGEST_CLAIM_BATCHES`` queued
batches by stamping ``UploadBatch.claimed_at``. The claim is a lease of
``TELEMETRY_INGEST_CLAIM_LEASE_SECONDS``: a batch whose stamp is older is free again, so the
batches of a worker killed with ``kill -9`` are taken over by the next drain after the lease
(the beat sweep runs every minute), not after a fixed ten minutes.

A live worker keeps its claim: while it holds one, a :class:`Heartbeat` thread re-stamps the
claimed batches every third of the lease, on its own database connection. Batches the worker
is writing are locked by its write transaction; the heartbeat skips those (``SKIP LOCKED``),
and other drains skip them as well, so a slow write is never taken over under a live worker.
A killed worker's connection closes, PostgreSQL rolls its write back and releases the locks,
and nothing of it stays.

Never twice: a takeover can only start writing a batch after the first worker's transaction
has ended, and ``ingest.ingest_batches`` reads the batch's status again under its row lock,
so a batch stored by the first worker is skipped: readings, roll-ups and receipts are
written once (readings are also protected by ``ON CONFLICT DO NOTHING``).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, connection, connections, transaction
from django.db.models import Q
from django.utils import timezone

from .models import BatchStatus, UploadBatch

logger = logging.getLogger(__name__)


def lease() -> timedelta:
    return timedelta(seconds=settings.TELEMETRY_INGEST_CLAIM_LEASE_SECONDS)


def claim_size() -> int:
    return settings.TELEMETRY_INGEST_CLAIM_BATCHES


@dataclass
class Claim:
    """Batches this worker claimed, and the stamps it wrote on them (claim and renewals)."""

    ids: list[int]
    stamps: list[datetime] = field(default_factory=list)


def claim(limit: int | None = None, now: datetime | None = None) -> Claim:
    """Claim up to ``limit`` queued batches that are unclaimed or whose lease has run out.

    On PostgreSQL the candidates are locked with SKIP LOCKED, so concurrent workers take
    disjoint sets and nobody takes a batch a live worker is writing; the conditional UPDATE
    (and its row count) makes the claim safe on other databases too.
    """
    limit = limit or claim_size()
    now = now or timezone.now()
    claimable = Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - lease())
    queued = UploadBatch.objects.filter(claimable, status=BatchStatus.QUEUED)
    with transaction.atomic():
        candidates = queued.order_by("received_at")
        if connection.features.has_select_for_update_skip_locked:
            candidates = candidates.select_for_update(skip_locked=True)
        ids = list(candidates.values_list("pk", flat=True)[:limit])
        if not ids:
            return Claim([], [])
        claimed = queued.filter(pk__in=ids).update(claimed_at=now)
    if claimed != len(ids):
        # Someone else took part of the set between our read and our update (not on
        # PostgreSQL).
        ids = list(
            UploadBatch.objects.filter(pk__in=ids, claimed_at=now).values_list("pk", flat=True)
        )
    return Claim(ids, [now])


def claim_batches(limit: int | None = None, now: datetime | None = None) -> list[int]:
    """The ids of a new claim (see :func:`claim`)."""
    return claim(limit, now).ids


def renew(held: Claim, now: datetime | None = None) -> int:
    """Re-stamp the batches of ``held`` that are still queued and still ours; how many.

    A batch stamped by someone else since (our lease ran out and it was taken over) is not
    taken back; a batch locked by a write (ours, in progress) is skipped.
    """
    if not held.ids:
        return 0
    now = now or timezone.now()
    with transaction.atomic():
        mine = UploadBatch.objects.filter(
            pk__in=held.ids, status=BatchStatus.QUEUED, claimed_at__in=held.stamps
        )
        if connection.features.has_select_for_update_skip_locked:
            mine = mine.select_for_update(skip_locked=True)
        ids = list(mine.values_list("pk", flat=True))
        renewed = UploadBatch.objects.filter(pk__in=ids).update(claimed_at=now) if ids else 0
    held.stamps.append(now)
    return renewed


class Heartbeat:
    """While a worker holds a claim, renew it every third of the lease from a thread.

    ``with Heartbeat() as beat: ... beat.hold(claim) ...``. The thread uses its own
    database connection (closed when it stops). Only where several workers can share the
    database (PostgreSQL); the SQLite demo has one process, and a write there locks the
    whole database anyway.
    """

    def __init__(self, interval: float | None = None):
        self.interval = interval if interval is not None else lease().total_seconds() / 3
        self.enabled = connection.vendor == "postgresql" and self.interval > 0
        self._held: Claim | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.beats = 0

    def hold(self, held: Claim | None) -> None:
        with self._lock:
            self._held = held

    def __enter__(self) -> Heartbeat:
        if self.enabled:
            self._thread = threading.Thread(target=self._run, name="claim-heartbeat", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _run(self) -> None:
        try:
            while not self._stop.wait(self.interval):
                with self._lock:
                    held = self._held
                if held is None:
                    continue
                try:
                    renew(held)
                    self.beats += 1
                except DatabaseError:
                    logger.warning("could not renew the claim on %d batches", len(held.ids))
        finally:
            connections["default"].close()
