"""A real Celery worker, fed through Redis, sends a notification's e-mail after commit.

The worker is a subprocess pointed at the test database and the same Redis as this
process; the task goes to a queue named for this run so no other worker can take it.
"""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection, transaction

from portal.celery import app as celery_app
from portal.models import Notification
from portal.notifications import notify
from portal.tasks import send_notification_email
from tests.portal.factories import UserFactory

BASE_DIR = Path(__file__).resolve().parents[2]
DEADLINE_SECONDS = 60

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.skipif(
        not settings.REDIS_URL,
        reason="needs REDIS_URL: without Redis, Celery runs tasks eagerly and no worker is used",
    ),
    pytest.mark.postgresql(reason="the worker shares the test database only on PostgreSQL"),
]


def database_url() -> str:
    """The URL of the test database pytest-django created (not the configured one)."""
    db = connection.settings_dict
    credentials = quote(db["USER"] or "", safe="")
    if db.get("PASSWORD"):
        credentials += ":" + quote(db["PASSWORD"], safe="")
    host = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    return f"postgres://{credentials}@{host}/{quote(db['NAME'], safe='')}"


@pytest.fixture
def worker_queue(monkeypatch):
    """Route the e-mail task to a queue of its own for this test."""
    queue = f"test-{uuid.uuid4().hex}"
    monkeypatch.setattr(send_notification_email, "queue", queue, raising=False)
    # Celery caches a task's execution options (the queue among them) on first use.
    monkeypatch.setattr(send_notification_email, "_exec_options", None)
    yield queue
    monkeypatch.undo()
    import redis

    # The queue's message list and kombu's bindings for it; nothing else is touched.
    redis.Redis.from_url(settings.REDIS_URL).delete(
        queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}"
    )


@pytest.fixture
def celery_worker(transactional_db, worker_queue, tmp_path):
    mail_dir = tmp_path / "mail"
    log_path = tmp_path / "worker.log"
    environ = dict(
        os.environ,
        DATABASE_URL=database_url(),
        REDIS_URL=settings.REDIS_URL,
        EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
        EMAIL_FILE_PATH=str(mail_dir),
        DJANGO_SETTINGS_MODULE="portal.settings",
    )
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "portal",
        "worker",
        "--pool=solo",
        "--concurrency=1",
        "-Q",
        worker_queue,
        "-n",
        f"{worker_queue}@%h",
        "--without-heartbeat",
        "--without-gossip",
        "--without-mingle",
        "-l",
        "warning",
    ]
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            command, cwd=BASE_DIR, env=environ, stdout=log, stderr=subprocess.STDOUT
        )
    process.log_path = log_path
    process.mail_dir = mail_dir
    try:
        yield process
    finally:
        # Always stopped, and before pytest-django flushes or drops the test database.
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def worker_log(process) -> str:
    return process.log_path.read_text(errors="replace")


def test_a_real_worker_sends_the_notification_email_after_commit(celery_worker):
    assert not celery_app.conf.task_always_eager
    user = UserFactory(email="worker-test@example.cn")

    with transaction.atomic():
        (note,) = notify([user], "标题", "内容")
        # Nothing is queued until the transaction commits.
        assert Notification.objects.get(pk=note.pk).emailed_at is None

    deadline = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < deadline:
        assert celery_worker.poll() is None, f"worker exited:\n{worker_log(celery_worker)}"
        note.refresh_from_db()
        if note.emailed_at and sent_to("worker-test@example.cn", celery_worker.mail_dir):
            break
        time.sleep(0.5)
    else:
        pytest.fail(
            f"no e-mail within {DEADLINE_SECONDS} s (emailed_at={note.emailed_at}); "
            f"worker log:\n{worker_log(celery_worker)}"
        )


def sent_to(address: str, mail_dir: Path) -> bool:
    """Whether the file-based mail backend has written a message to `address`."""
    if not mail_dir.exists():
        return False
    return any(f"To: {address}" in path.read_text(errors="replace") for path in mail_dir.iterdir())
