"""A fingerprint of what the portal holds and serves, to compare a restored copy with the
original (ops/backup-restore-drill.sh, docs/operations.md).

For every model: the row count and a SHA-256 over its rows (every concrete field, in primary
key order); for the media folder: the file count and a SHA-256 over names and contents; and
what the API serves: every enterprise's detail as the first reviewer sees it. Two databases hold the
same records exactly when their fingerprints are equal."""

import hashlib
import json
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand
from django.core.serializers.json import DjangoJSONEncoder

# Rows that change by themselves between two runs on the same data.
VOLATILE = {"sessions.Session", "axes.AccessLog", "axes.AccessFailureLog"}


def table_digest(model) -> tuple[int, str]:
    digest = hashlib.sha256()
    names = [field.attname for field in model._meta.concrete_fields]
    count = 0
    for row in model._default_manager.order_by("pk").values_list(*names).iterator(2000):
        digest.update(json.dumps(row, cls=DjangoJSONEncoder, default=repr).encode())
        count += 1
    return count, digest.hexdigest()


def media_digest(root: Path) -> tuple[int, str]:
    digest = hashlib.sha256()
    files = sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []
    for path in files:
        digest.update(str(path.relative_to(root)).encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return len(files), digest.hexdigest()


def served_digest() -> tuple[int, str]:
    from rest_framework.test import APIClient

    from portal.models import Enterprise, User
    from portal.roles import Role

    operator = User.objects.filter(role=Role.REVIEWER, is_active=True).order_by("pk").first()
    digest = hashlib.sha256()
    if operator is None:
        return 0, digest.hexdigest()
    client = APIClient()
    client.force_authenticate(operator)
    count = 0
    for pk in Enterprise.objects.order_by("pk").values_list("pk", flat=True):
        response = client.get(f"/api/v1/enterprises/{pk}/", HTTP_HOST="localhost")
        digest.update(f"{response.status_code}".encode() + response.content)
        count += 1
    return count, digest.hexdigest()


class Command(BaseCommand):
    help = "输出数据库各表、媒体文件和 API 所供数据的指纹（JSON），用于核对备份恢复结果。"

    def handle(self, *args, **options):
        tables = {}
        for model in sorted(apps.get_models(), key=lambda m: m._meta.label):
            if model._meta.label in VOLATILE or not model._meta.managed:
                continue
            count, digest = table_digest(model)
            tables[model._meta.label] = {"rows": count, "sha256": digest}
        files, media = media_digest(Path(settings.MEDIA_ROOT))
        served, api = served_digest()
        self.stdout.write(
            json.dumps(
                {
                    "tables": tables,
                    "media": {"files": files, "sha256": media},
                    "api_enterprise_details": {"served": served, "sha256": api},
                },
                indent=1,
                sort_keys=True,
            )
        )
