"""Celery tasks of the telemetry app (autodiscovered as `telemetry.tasks`)."""

from .ingest import *  # noqa: F403
from .monitoring import *  # noqa: F403
