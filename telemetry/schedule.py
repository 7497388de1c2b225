"""Celery beat entries of the telemetry app; portal/settings.py merges them in.

A plain module (no Django imports) so settings can read it before apps are loaded.
"""

BEAT_SCHEDULE: dict = {
    # Backstop for the drain queued after each upload (a lost message, a worker restart,
    # a claim left stale by a killed worker).
    "telemetry-ingest-sweep": {
        "task": "telemetry.tasks.ingest.ingest_pending",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # Trial evaluation and data-quality alarms (monitoring side).
    "telemetry-evaluate-trials": {
        "task": "telemetry.tasks.monitoring.evaluate_trials",
        "schedule": 900.0,
        "options": {"expires": 840},
    },
    "telemetry-check-alarms": {
        "task": "telemetry.tasks.monitoring.check_alarms",
        "schedule": 900.0,
        "options": {"expires": 840},
    },
}
