"""The broker is down while a request queues work: the request succeeds all the same, and
the periodic sweep sends what could not be queued (issue 14: 211 of 212 uploads were 500)."""

from datetime import timedelta

import pytest
from django.utils import timezone
from kombu.exceptions import OperationalError

from portal.models import Notification
from portal.queueing import enqueue
from portal.tasks import send_notification_email, send_unsent_notification_emails


def broker_down(*args, **kwargs):
    raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")


@pytest.fixture
def no_broker(monkeypatch):
    monkeypatch.setattr(send_notification_email, "delay", broker_down)


def test_enqueue_reports_an_unreachable_broker_instead_of_raising(no_broker, caplog):
    assert enqueue(send_notification_email, 1) is False
    assert "could not queue portal.tasks.send_notification_email" in caplog.text


def test_a_decision_succeeds_and_its_e_mail_is_swept_up_later(
    no_broker, pending, reviewer, client_for, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(reviewer).post(f"/enterprises/{pending.pk}/approve/")
    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.is_approved
    note = Notification.objects.get(title="企业注册已审核通过")
    assert note.emailed_at is None and mailoutbox == []

    # Fresh notifications are left to their own task; settled ones are swept up.
    assert send_unsent_notification_emails() == 0
    Notification.objects.filter(pk=note.pk).update(created_at=timezone.now() - timedelta(minutes=6))
    assert send_unsent_notification_emails() == 1
    assert [m.subject for m in mailoutbox] == [
        f"[{mailoutbox[0].subject[1:].split(']')[0]}] 企业注册已审核通过"
    ]
    assert send_unsent_notification_emails() == 0  # claimed: never sent twice
