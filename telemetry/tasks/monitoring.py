"""Roll-up, trial and alarm tasks (run by Celery beat: CELERY_BEAT_SCHEDULE in settings)."""

from celery import shared_task

__all__ = ["apply_item_changes", "check_alarms", "evaluate_trials"]


@shared_task(time_limit=600, soft_time_limit=540)
def evaluate_trials() -> dict:
    """Evaluate every running stable-upload trial; pass or fail the decided ones."""
    from telemetry.services import trial

    summary = trial.evaluate_trials()
    return {"evaluated": summary.evaluated, "passed": summary.passed, "failed": summary.failed}


@shared_task(time_limit=600, soft_time_limit=540)
def check_alarms() -> dict:
    """Open and clear silence, completeness and consistency alarms."""
    from telemetry.services import alarms

    return alarms.check_alarms()


@shared_task(time_limit=300, soft_time_limit=270)
def apply_item_changes() -> dict:
    """Apply the approved data-item changes whose day (Beijing time) has come."""
    from telemetry.services import item_changes

    return {"applied": item_changes.apply_due_changes()}
