"""What reviewers do with a trial besides restarting it: hear of overdue ones, stop one.

A trial still running ``TELEMETRY_TRIAL_FLAG_DAYS`` after it began is flagged once (the
board shows it; the reviewers get one notification and the audit log a ``trial_overdue``
event). A reviewer may stop a running trial with a reason: the connection ends in
"trial failed", from which a restart opens the next run.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_noop

from portal.models import AuditEvent
from portal.notifications import notify, reviewers
from portal.sentences import Sentence

from .. import texts
from ..models import Connection, TrialRun, TrialStatus
from . import connection as connection_steps


def trial_flag_days() -> int:
    return settings.TELEMETRY_TRIAL_FLAG_DAYS


def flag_if_overdue(run: TrialRun, today: date) -> None:
    """Once, tell the reviewers a trial has run longer than TELEMETRY_TRIAL_FLAG_DAYS."""
    limit = trial_flag_days()
    if run.flagged_at is not None or (today - run.started_on).days < limit:
        return
    run.flagged_at = timezone.now()
    connection = run.connection
    with transaction.atomic():
        event = AuditEvent.record(
            connection, None, "trial_overdue", context={"trial": run.number, "days": limit}
        )
        notify(
            reviewers(),
            Sentence(
                gettext_noop("%(name)s 稳定上传试运行已超过 %(days)s 天仍未通过"),
                name=connection.enterprise.name,
                days=limit,
            ),
            body=Sentence(
                gettext_noop(
                    "第 %(n)s 次试运行自 %(start)s 起，请审核人员查看原因，必要时停止或重新开始。"
                ),
                n=run.number,
                start=run.started_on.isoformat(),
            ),
            link=reverse("telemetry:trial_detail", args=[run.pk]),
            event=event,
        )


def stop_trial(connection: Connection, actor, *, comment: str) -> TrialRun | None:
    """A reviewer stops the running trial; returns its closed run.

    Raises TransitionRefused when the actor may not, or the connection is not running one.
    """
    params = {"comment": comment}
    reason = texts.stored_text("trial_stopped", params)
    with transaction.atomic():
        connection_steps.stop_trial(connection, actor, reason=reason, comment=comment)
        run = (
            TrialRun.objects.select_for_update()
            .filter(connection=connection, status=TrialStatus.RUNNING)
            .first()
        )
        if run is not None:
            run.status = TrialStatus.FAILED
            run.failure_code, run.failure_params, run.failure_reason = (
                "trial_stopped",
                params,
                reason,
            )
            run.finished_at = timezone.now()
            run.save(
                update_fields=[
                    "status",
                    "failure_code",
                    "failure_params",
                    "failure_reason",
                    "finished_at",
                ]
            )
        return run
