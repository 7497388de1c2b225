"""An upload is answered 202 once its batch is stored, whatever the broker does; the minute
sweep ingests it later (issue 14: a kombu error answered 500 and devices re-sent all)."""

import pytest
from kombu.exceptions import OperationalError

from telemetry.ingest import ingest_pending
from telemetry.models import BatchStatus, Reading, UploadBatch
from telemetry.tasks import ingest as ingest_tasks

from .factories import DataItemFactory, device_with_certificate, envelope, record, signed_post
from .test_upload_api import recent_slot

pytestmark = pytest.mark.django_db


def test_an_upload_is_stored_and_answered_while_the_broker_is_down(
    client, enterprise, monkeypatch, django_capture_on_commit_callbacks
):
    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(ingest_tasks.ingest_pending, "delay", broker_down)
    monkeypatch.setattr(ingest_tasks, "_client", lambda: None)  # no debounce either
    kit = device_with_certificate(enterprise)
    item = DataItemFactory(enterprise=enterprise)
    body = envelope(kit, [record(item, "12.5", recent_slot())])

    with django_capture_on_commit_callbacks(execute=True):
        response = signed_post(client, kit, body)

    assert response.status_code == 202, response.content
    batch = UploadBatch.objects.get(message_id=body["messageId"])
    assert batch.status == BatchStatus.QUEUED
    ingest_pending()  # what the beat sweep runs
    assert Reading.objects.filter(item=item).count() == 1


@pytest.fixture
def closed_port():
    """A local TCP port nothing listens on (bound, then released)."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def unreachable_broker(closed_port, settings, monkeypatch):
    """Celery and the debounce client point at a closed port: real clients, no mocks."""
    from portal.celery import app

    url = f"redis://127.0.0.1:{closed_port}/0"
    settings.REDIS_URL = url
    settings.CELERY_TASK_ALWAYS_EAGER = False
    before = {"broker_url": app.conf.broker_url, "task_always_eager": app.conf.task_always_eager}
    app.conf.update(broker_url=url, task_always_eager=False)
    forget_connections(app)
    monkeypatch.setattr(ingest_tasks, "_redis", None)
    yield url
    app.conf.update(**before)
    forget_connections(app)
    ingest_tasks._redis = None


def forget_connections(app) -> None:
    """Drop the app's pooled broker connections, so the next publish uses broker_url."""
    app._pool = None
    app.amqp._producer_pool = None


def test_uploads_are_answered_202_with_real_clients_on_a_closed_broker_port(
    client, enterprise, unreachable_broker, caplog, django_capture_on_commit_callbacks
):
    kit = device_with_certificate(enterprise)
    items = [DataItemFactory(enterprise=enterprise) for _ in range(3)]
    bodies = [
        envelope(kit, [record(item, "7", recent_slot(back))]) for back in (1, 2) for item in items
    ]
    for body in bodies:
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            response = signed_post(client, kit, body)
        assert response.status_code == 202, response.content
        assert callbacks  # the drain was queued on commit, and failed to reach the broker
    assert "could not queue telemetry.tasks.ingest.ingest_pending" in caplog.text
    assert UploadBatch.objects.filter(status=BatchStatus.QUEUED).count() == 6
    assert ingest_pending()["stored"] == 6  # the sweep, once a worker runs again
    assert Reading.objects.count() == 6
    assert not UploadBatch.objects.exclude(status=BatchStatus.STORED).exists()
