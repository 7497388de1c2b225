"""Calls started together in threads, for the tests of row locks and counters (PostgreSQL)."""

import threading

from django.db import connection

from portal.workflow import TransitionRefused


def _together(call, arguments) -> list:
    """``call(argument)`` in one thread per argument, released by one barrier; what each
    returned (or the exception it raised), in finishing order."""
    finished = []
    barrier = threading.Barrier(len(arguments))

    def run(argument):
        try:
            barrier.wait()
            finished.append(call(argument))
        except Exception as error:  # handed to the caller, who decides what it means
            finished.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(a,)) for a in arguments]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return finished


def at_once(action, arguments) -> list[str]:
    """ "ok" or the refusal reason of each ``action(argument)``, in finishing order; any
    other exception fails the test."""
    outcomes = []
    for outcome in _together(action, arguments):
        if isinstance(outcome, TransitionRefused):
            outcomes.append(outcome.reason)
        elif isinstance(outcome, Exception):
            raise outcome
        else:
            outcomes.append("ok")
    return outcomes


def results_at_once(action, arguments) -> list:
    """What each ``action(argument)`` returned, in finishing order; any exception fails the
    test."""
    results = _together(action, arguments)
    for result in results:
        if isinstance(result, Exception):
            raise result
    return results
