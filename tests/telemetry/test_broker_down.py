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
