"""Ingestion tasks: drain the queued upload batches (DESIGN §4, STYLE §7)."""

from __future__ import annotations

import logging

import redis
from celery import shared_task
from django.conf import settings
from django.db import OperationalError

from portal.queueing import enqueue
from telemetry import ingest

logger = logging.getLogger(__name__)

__all__ = ["ingest_pending", "schedule_ingestion"]

# A debounce key in Redis: while it is set, a drain is already queued and will see every
# batch committed before it starts, so further uploads need not queue another one.
PENDING_KEY = "telemetry:ingest:pending"
PENDING_TTL_MS = 5_000

_redis = None


@shared_task(
    autoretry_for=(OperationalError,),
    retry_backoff=2,
    retry_jitter=True,
    max_retries=5,
    time_limit=300,
    soft_time_limit=240,
    ignore_result=True,
)
def ingest_pending(max_rounds: int = 100) -> dict:
    """Claim queued batches many at a time and store their readings, until none is left."""
    _clear_pending()
    return ingest.ingest_pending(max_rounds=max_rounds)


def schedule_ingestion() -> None:
    """Queue a drain after an upload commits, unless one is already waiting to start.

    The drain clears the key when it starts, before it looks for batches, so a batch
    committed while the key is set is always seen by the drain that set it.
    """
    client = _client()
    if client is not None:
        try:
            if not client.set(PENDING_KEY, "1", nx=True, px=PENDING_TTL_MS):
                return
        except redis.RedisError:  # Redis unreachable: queue anyway; the beat sweep is the backstop
            logger.warning("ingest debounce unavailable; queueing a drain")
    # The batch is stored whatever the broker does; the minute sweep picks it up otherwise.
    enqueue(ingest_pending)


def _client():
    global _redis
    if settings.CELERY_TASK_ALWAYS_EAGER or not settings.REDIS_URL:
        return None
    if _redis is None:
        _redis = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2)
    return _redis


def _clear_pending() -> None:
    client = _client()
    if client is None:
        return
    try:
        client.delete(PENDING_KEY)
    except redis.RedisError:
        logger.warning("ingest debounce key could not be cleared; it expires by itself")
