"""Queueing background work from a request without letting the broker decide its outcome.

A request that stored what it had to store has succeeded, whether or not Redis takes the
follow-up task: the work it queues is either swept up later by a periodic task (ingestion,
notification e-mails) or shown on a page as well (the integration pack). So a broker error
is logged here and never reaches the user as a 500.
"""

import logging
from functools import partial

import redis
from django.db import transaction
from kombu.exceptions import KombuError

logger = logging.getLogger(__name__)

# What publishing raises when the broker is down or refuses the message.
BROKER_ERRORS = (OSError, KombuError, redis.RedisError)


def enqueue(task, *args, **kwargs) -> bool:
    """``task.delay(*args, **kwargs)``; False (and a log line) when the broker is unreachable."""
    try:
        task.delay(*args, **kwargs)
    except BROKER_ERRORS:
        logger.exception("could not queue %s%s; a periodic sweep will retry", task.name, args)
        return False
    return True


def enqueue_on_commit(task, *args, **kwargs) -> None:
    """Queue ``task`` once the surrounding transaction commits (now, outside one)."""
    transaction.on_commit(partial(enqueue, task, *args, **kwargs))
