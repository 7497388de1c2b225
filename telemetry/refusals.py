"""Refused device requests that can be attributed to an enterprise, for its monitoring page.

``telemetry.auth`` refuses a request before any batch is stored; when the certificate it
names is known, the refusal is counted here: one row per enterprise, certificate, reason
and hour, written by a single INSERT … ON CONFLICT … DO UPDATE, so a device repeating a
bad signature only raises a counter (the table cannot grow faster than certificates x
reasons x hours).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection
from django.db.models import Q
from django.utils import timezone

from .models import UploadRefusal

_UPSERT = """
INSERT INTO {table} (enterprise_id, cert_serial, device_serial, reason, hour, count,
                     first_at, last_at)
VALUES (%s, %s, %s, %s, %s, 1, %s, %s)
ON CONFLICT (enterprise_id, cert_serial, reason, hour) DO UPDATE
SET count = {table}.count + 1, last_at = excluded.last_at,
    device_serial = excluded.device_serial
"""


def record(
    enterprise_id: int,
    cert_serial: str,
    device_serial: str,
    reason: str,
    at: datetime | None = None,
) -> None:
    """Count one refused request (one statement)."""
    at = at or timezone.now()
    hour = at.replace(minute=0, second=0, microsecond=0)
    table = connection.ops.quote_name(UploadRefusal._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            _UPSERT.format(table=table),
            [enterprise_id, cert_serial, device_serial[:64], reason, hour, at, at],
        )


def recent(enterprise, now: datetime | None = None, limit: int = 20):
    """The enterprise's refusals of the last TELEMETRY_REFUSALS_SHOWN_DAYS days, newest first."""
    now = now or timezone.now()
    since = now - timedelta(days=settings.TELEMETRY_REFUSALS_SHOWN_DAYS)
    return UploadRefusal.objects.filter(enterprise=enterprise, last_at__gte=since).order_by(
        "-last_at"
    )[:limit]


def has_usable_certificate(enterprise, now: datetime | None = None) -> bool:
    """True when the enterprise holds a device certificate that is neither revoked nor
    expired (without one, none of its devices can upload: the page says 无有效证书)."""
    from applications.models import DeviceCertificate

    now = now or timezone.now()
    return (
        DeviceCertificate.objects.filter(enterprise=enterprise, not_after__gt=now)
        .filter(Q(revoked_at__isnull=True) | Q(revoked_at__gt=now))
        .exists()
    )
