"""Backup and restore (docs/operations.md): the fingerprint tells two copies apart, and the
drill backs up the test database and media, restores them into a fresh database and folder,
and finds the same records served."""

import json
import os
import shutil
import subprocess
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from portal.models import Enterprise
from tests.applications.factories import AccessApplicationFactory

from .factories import EnterpriseFactory, ReviewerFactory

BASE_DIR = Path(settings.BASE_DIR)


def fingerprint() -> dict:
    out = StringIO()
    call_command("portal_fingerprint", stdout=out)
    return json.loads(out.getvalue())


def test_the_fingerprint_changes_with_a_row_a_file_or_what_is_served(db, settings):
    ReviewerFactory()
    enterprise = EnterpriseFactory()
    AccessApplicationFactory(enterprise=enterprise, submitted=True)
    before = fingerprint()
    assert before == fingerprint()
    assert before["tables"]["portal.Enterprise"]["rows"] == 1
    assert before["media"]["files"] > 0 and before["api_enterprise_details"]["served"] == 1

    Enterprise.objects.filter(pk=enterprise.pk).update(name="改过的名称")
    changed = fingerprint()
    assert changed["tables"]["portal.Enterprise"] != before["tables"]["portal.Enterprise"]
    assert changed["api_enterprise_details"] != before["api_enterprise_details"]

    a_file = next(path for path in Path(settings.MEDIA_ROOT).rglob("*") if path.is_file())
    a_file.write_bytes(b"tampered")
    assert fingerprint()["media"] != changed["media"]


@pytest.mark.postgresql(reason="pg_dump / pg_restore of the test database")
@pytest.mark.skipif(not shutil.which("pg_dump"), reason="needs pg_dump and pg_restore")
def test_the_drill_restores_the_same_records_into_a_fresh_database(transactional_db, settings):
    ReviewerFactory()
    for _ in range(2):
        AccessApplicationFactory(enterprise=EnterpriseFactory(), submitted=True)
    params = connection.settings_dict
    url = f"postgres://{params['USER']}@{params['HOST']}:{params['PORT'] or 5432}/{params['NAME']}"
    environ = {
        **os.environ,
        "DATABASE_URL": url,
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "PGPASSWORD": params.get("PASSWORD") or "",
    }
    environ.pop("REDIS_URL", None)
    result = subprocess.run(
        [str(BASE_DIR / "ops" / "backup-restore-drill.sh")],
        cwd=BASE_DIR,
        env=environ,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "drill passed" in result.stdout
    assert "2 enterprise details served identically" in result.stdout
