"""Issue 14: a worker that dies holding a claim loses it after the lease; a live worker keeps
it (its heartbeat); nothing is lost and nothing is counted twice."""

import os
import subprocess
import sys
import textwrap
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from telemetry import claims
from telemetry.ingest import ingest_batches, ingest_pending
from telemetry.models import BatchStatus, DailyRollup, Reading, UploadBatch
from tests.portal.test_celery_worker import BASE_DIR, database_url

from .factories import DataItemFactory, device_with_certificate
from .test_ingest import at, queued_batch

pytestmark = pytest.mark.django_db

DEADLINE_SECONDS = 60


def batches_of(enterprise, count=3, items=2):
    kit = device_with_certificate(enterprise)
    things = [DataItemFactory(enterprise=enterprise) for _ in range(items)]
    slots = [at("2026-03-02 10:00") + timedelta(minutes=15 * n) for n in range(count)]
    return things, [queued_batch(kit, things, s, s + timedelta(minutes=16)) for s in slots]


def age_claims(by: timedelta) -> None:
    for batch in UploadBatch.objects.filter(claimed_at__isnull=False):
        UploadBatch.objects.filter(pk=batch.pk).update(claimed_at=batch.claimed_at - by)


def counted_once(items, batches):
    assert Reading.objects.count() == len(items) * len(batches)
    for item in items:
        assert DailyRollup.objects.get(item=item).received == len(batches)
    for batch in UploadBatch.objects.filter(pk__in=[b.pk for b in batches]):
        assert (batch.status, batch.stored_count, batch.duplicate_count) == (
            BatchStatus.STORED,
            len(items),
            0,
        )


def test_an_abandoned_claim_is_taken_over_after_the_lease(enterprise, settings):
    settings.TELEMETRY_INGEST_CLAIM_LEASE_SECONDS = 45
    items, batches = batches_of(enterprise)
    held = claims.claim()  # a worker claims ... and dies
    assert sorted(held.ids) == sorted(b.pk for b in batches)
    assert ingest_pending()["batches"] == 0  # within the lease: still its claim
    age_claims(timedelta(seconds=44))
    assert ingest_pending()["batches"] == 0
    age_claims(timedelta(seconds=2))  # 46 s: the lease has run out
    assert ingest_pending() == {"batches": 3, "stored": 6, "duplicates": 0, "corrected": 0}
    counted_once(items, batches)


def test_a_slow_worker_that_lost_its_claim_writes_nothing_twice(enterprise):
    items, batches = batches_of(enterprise)
    slow = claims.claim()
    age_claims(claims.lease() + timedelta(seconds=1))
    assert ingest_pending()["stored"] == 6  # the takeover
    result = ingest_batches(slow.ids)  # the slow worker comes back
    assert (result.stored, result.duplicates, result.by_batch) == (0, 0, {})
    counted_once(items, batches)


def test_renewal_keeps_a_claim_and_never_takes_one_back(enterprise):
    batches_of(enterprise, count=2)
    start, lease, second = timezone.now(), claims.lease(), timedelta(seconds=1)
    held = claims.claim(now=start)
    assert claims.renew(held, now=start + lease - second) == 2  # the heartbeat
    assert claims.claim(now=start + lease + second).ids == []  # renewed: still held
    other = claims.claim(now=start + 2 * lease)  # no renewal for a whole lease: taken over
    assert len(other.ids) == 2
    assert claims.renew(held, now=start + 2 * lease + second) == 0  # never taken back
    assert claims.renew(other, now=start + 2 * lease + second) == 2


@pytest.mark.postgresql(reason="the heartbeat thread has its own connection to a shared database")
def test_a_live_workers_heartbeat_renews_its_claim(transactional_db, enterprise):
    batches_of(enterprise, count=2)
    almost_out = claims.lease() - timedelta(seconds=1)
    held = claims.claim(now=timezone.now() - almost_out)
    with claims.Heartbeat(interval=0.05) as beat:
        beat.hold(held)
        deadline = time.monotonic() + DEADLINE_SECONDS
        while beat.beats < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
    assert beat.beats >= 2
    later = timezone.now() + timedelta(seconds=2)  # the claim's first lease has run out
    assert claims.claim(now=later).ids == []  # renewed: nobody else takes it


# A worker process that claims, starts writing (readings and roll-ups inside its
# transaction), and hangs before it commits; the test kills it with SIGKILL.
HANGING_WORKER = textwrap.dedent(
    """
    import sys, time
    import django
    django.setup()
    from telemetry import ingest

    def hang(batches, result):
        print("writing", flush=True)
        time.sleep(600)

    ingest._finish = hang
    ingest.ingest_pending()
    """
)


@pytest.mark.postgresql(reason="a worker process shares the test database only on PostgreSQL")
def test_a_worker_killed_with_sigkill_holding_a_claim_is_taken_over(
    transactional_db, enterprise, settings
):
    settings.TELEMETRY_INGEST_CLAIM_LEASE_SECONDS = 2
    items, batches = batches_of(enterprise)
    environ = dict(
        os.environ,
        DATABASE_URL=database_url(),
        REDIS_URL="",
        DJANGO_SETTINGS_MODULE="portal.settings",
        TELEMETRY_INGEST_CLAIM_LEASE_SECONDS="2",
    )
    worker = subprocess.Popen(
        [sys.executable, "-c", HANGING_WORKER],
        cwd=BASE_DIR,
        env=environ,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert worker.stdout.readline().strip() == "writing", worker.stderr.read()
        # Alive and writing, past its lease: its locked batches are not taken over.
        time.sleep(2.5)
        assert ingest_pending()["batches"] == 0
    finally:
        worker.kill()  # SIGKILL: no cleanup, no commit
        worker.wait(timeout=30)
    assert worker.returncode == -9
    assert Reading.objects.count() == 0  # its write was rolled back
    deadline = time.monotonic() + DEADLINE_SECONDS
    taken = 0
    while not taken and time.monotonic() < deadline:
        taken = ingest_pending()["batches"]
        time.sleep(0.2)
    assert taken == 3
    counted_once(items, batches)
    assert ingest_pending()["batches"] == 0
