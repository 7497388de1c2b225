"""A real Celery worker on Redis ingests an upload: receipt queued -> stored, readings written.

The worker is a subprocess on the test database (as in tests/portal/test_celery_worker.py);
the ingestion task is routed to a queue named for this run so no other worker takes it.
"""

import os
import subprocess
import sys
import time
import uuid
from datetime import datetime, timedelta

import pytest
from django.conf import settings

from telemetry.models import Reading, UploadBatch
from telemetry.protocol import UPLOAD_PATH
from telemetry.tasks import ingest as ingest_tasks
from telemetry.timeslots import BEIJING, StatType, slot_start
from tests.portal.test_celery_worker import BASE_DIR, database_url

from .factories import (
    DataItemFactory,
    device_with_certificate,
    envelope,
    record,
    signed_get,
    signed_post,
)

DEADLINE_SECONDS = 60

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.skipif(not settings.REDIS_URL, reason="needs REDIS_URL (a real worker on Redis)"),
    pytest.mark.postgresql(reason="the worker shares the test database only on PostgreSQL"),
]


@pytest.fixture
def ingest_queue(monkeypatch):
    import redis

    queue = f"test-ingest-{uuid.uuid4().hex}"
    task = ingest_tasks.ingest_pending
    monkeypatch.setattr(task, "queue", queue, raising=False)
    monkeypatch.setattr(task, "_exec_options", None)
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.delete(ingest_tasks.PENDING_KEY)
    yield queue
    monkeypatch.undo()
    client.delete(queue, ingest_tasks.PENDING_KEY)


@pytest.fixture
def ingest_worker(transactional_db, ingest_queue, tmp_path):
    log_path = tmp_path / "worker.log"
    environ = dict(
        os.environ,
        DATABASE_URL=database_url(),
        REDIS_URL=settings.REDIS_URL,
        DJANGO_SETTINGS_MODULE="portal.settings",
    )
    command = [
        sys.executable, "-m", "celery", "-A", "portal", "worker", "--pool=solo",
        "--concurrency=1", "-Q", ingest_queue, "-n", f"{ingest_queue}@%h",
        "--without-heartbeat", "--without-gossip", "--without-mingle", "-l", "warning",
    ]  # fmt: skip
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            command, cwd=BASE_DIR, env=environ, stdout=log, stderr=subprocess.STDOUT
        )
    process.log_path = log_path
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def test_a_real_worker_stores_an_uploaded_batch(ingest_worker, client):
    from tests.portal.factories import EnterpriseFactory

    assert not settings.CELERY_TASK_ALWAYS_EAGER
    kit = device_with_certificate(EnterpriseFactory())
    items = [DataItemFactory(enterprise=kit.device.enterprise) for _ in range(3)]
    slot = slot_start(StatType.REALTIME, datetime.now(BEIJING)) - timedelta(minutes=15)
    body = envelope(kit, [record(i, "7.5", slot) for i in items])

    response = signed_post(client, kit, body)  # committed at once: transactional_db
    assert response.status_code == 202, response.content
    target = f"{UPLOAD_PATH}/{body['messageId']}"

    deadline = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < deadline:
        assert ingest_worker.poll() is None, ingest_worker.log_path.read_text()
        receipt = signed_get(client, kit, target).json()
        if receipt["status"] == "stored":
            break
        time.sleep(0.3)
    else:
        pytest.fail(
            f"not stored within {DEADLINE_SECONDS} s:\n{ingest_worker.log_path.read_text()}"
        )
    assert receipt["storedCount"] == 3
    assert Reading.objects.filter(item__in=items, slot=slot).count() == 3
    assert UploadBatch.objects.get(message_id=body["messageId"]).claimed_at is not None
