"""The Connection record (数据对接): opened when an enterprise reaches the connection stage.

Opened through portal's stage hook (``portal.stages.ON_STAGE``), which ``TelemetryConfig.ready``
fills, so the applications app approves an access application without importing telemetry.
"""

from portal.models import Enterprise

from .models import Connection


def open_connection(enterprise: Enterprise) -> Connection:
    """The enterprise's Connection, created on its first call (idempotent: the stage hook
    runs each time the stage is reached)."""
    connection, _created = Connection.objects.get_or_create(enterprise=enterprise)
    return connection
