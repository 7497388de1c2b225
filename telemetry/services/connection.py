"""The Connection record (数据对接): every step of it is taken here.

Opened through portal's stage hook (``portal.stages.ON_STAGE``), which ``TelemetryConfig.ready``
fills, so the applications app approves an access application without importing telemetry.
Then, each through ``run_transition``: the first upload attempt begins integration testing
(``telemetry.services.uploads``); the first valid reading a device uploaded starts the trial
(``telemetry.ingest``), which also records the connection date (正式接入) once every
registered item has a valid reading; the trial's verdict passes or fails it
(``telemetry.services.trial``); a reviewer restarts it.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Exists, F, OuterRef, QuerySet, Subquery
from django.urls import reverse
from django.utils.translation import gettext_noop

from portal.models import Enterprise
from portal.notifications import enterprise_users, reviewers, tell
from portal.sentences import Sentence
from portal.workflow import TransitionRefused, run_transition

from ..models import Connection, ConnectionState, DataItem, InputType, Reading
from ..timeslots import BEIJING, StatType


def open_connection(enterprise: Enterprise) -> Connection:
    """The enterprise's Connection, created on its first call (idempotent: the stage hook
    runs each time the stage is reached)."""
    connection, _created = Connection.objects.get_or_create(enterprise=enterprise)
    return connection


# --- Integration testing ----------------------------------------------------------------------


def awaits_integration(enterprise: Enterprise) -> bool:
    """True while the connection waits for its first upload attempt (loaded with the device)."""
    try:
        connection = enterprise.connection
    except ObjectDoesNotExist:
        return False
    return connection.state == ConnectionState.CREDENTIALS_ISSUED


def begin_integration(enterprise: Enterprise) -> None:
    """The first upload attempt moves the connection into integration testing."""
    if not awaits_integration(enterprise):
        return
    try:
        run_transition(
            enterprise.connection, "begin_integration", None, event="integration_started"
        )
    except TransitionRefused:
        pass  # a concurrent upload moved it first


def trial_start_for(first_reading_at: datetime) -> date:
    """The trial's first day: the Beijing day after the first valid reading.

    The day of the first reading is a partial day (integration testing ended during it),
    so it cannot be complete; the 15 consecutive complete days are counted from the next
    midnight.
    """
    return first_reading_at.astimezone(BEIJING).date() + timedelta(days=1)


def start_trials(first_at: dict[int, datetime]) -> None:
    """On an enterprise's first valid reading, integration testing ends and the trial starts.

    ``first_at``: per enterprise id, when the earliest stored valid reading was received.
    Only readings an end device uploaded count (they carry their batch): integration
    testing proves the device's connection, which a hand-filed monthly figure does not.
    """
    if not first_at:
        return
    waiting = Connection.objects.filter(
        enterprise_id__in=list(first_at),
        state__in=[ConnectionState.CREDENTIALS_ISSUED, ConnectionState.INTEGRATION_TESTING],
    )
    for connection in waiting:
        at = first_at[connection.enterprise_id]
        try:
            run_transition(
                connection,
                "record_first_reading",
                None,
                event="first_reading_recorded",
                at=at,
                trial_start=trial_start_for(at),
            )
        except TransitionRefused:
            pass  # another worker moved it on first


def connection_items(enterprise_ref) -> QuerySet[DataItem]:
    """The registered items whose readings integration testing waits for: the active
    real-time and daily items a device reports (hand-filed items are filed through the
    portal; monthly and yearly ones would hold the connection date for up to a year)."""
    return DataItem.objects.filter(
        enterprise=enterprise_ref,
        is_active=True,
        stat_type__in=(StatType.REALTIME, StatType.DAILY),
    ).exclude(input_type=InputType.MANUAL)


def record_connected(enterprise_ids) -> int:
    """对接测试 ends when every registered item has a stored valid reading a device sent: the
    connection date (正式接入, ``Connection.connected_at``) is then the time the last of them
    had its first one. Set once, in one UPDATE, in the ingestion's transaction; returns the
    number of connections it set.
    """
    if not enterprise_ids:
        return 0
    valid = Reading.objects.filter(item=OuterRef("pk"), valid=True, batch__isnull=False)
    items = connection_items(OuterRef("enterprise"))
    first_valid = Subquery(valid.order_by("received_at").values("received_at")[:1])
    last_first = (
        items.annotate(first=first_valid).order_by(F("first").desc(nulls_last=True)).values("first")
    )
    return (
        Connection.objects.filter(enterprise_id__in=list(enterprise_ids), connected_at=None)
        .filter(Exists(items))
        .exclude(Exists(items.exclude(Exists(valid))))
        .update(connected_at=Subquery(last_first[:1]))
    )


# --- The trial's outcome ----------------------------------------------------------------------
#
# The verdict is reached in telemetry.services.trial; these take the step. The caller holds the
# connection's row lock and its transaction.


def pass_trial(connection: Connection, *, context: dict) -> None:
    """The trial passed: reviewers are told the conformance report can be issued."""
    name = connection.enterprise.name
    run_transition(
        connection,
        "pass_trial",
        None,
        event="trial_passed",
        context=context,
        notify=tell(
            reviewers(),
            Sentence(
                gettext_noop("%(name)s 稳定上传试运行已通过，可出具符合性测试报告"), name=name
            ),
            reverse("telemetry:trial_board"),
            body=Sentence(
                gettext_noop("连续 %(days)s 天数据完整，上传成功率达到要求。"),
                days=settings.TELEMETRY_TRIAL_DAYS,
            ),
        ),
    )


def fail_trial(
    connection: Connection, *, reason: str, reason_code: str, reason_params: dict, context: dict
) -> None:
    """The trial failed for ``reason``: the enterprise's users are told why."""
    run_transition(
        connection,
        "fail_trial",
        None,
        event="trial_failed",
        comment=reason,
        context=context,
        notify=tell(
            lambda c: enterprise_users(c.enterprise),
            Sentence(gettext_noop("稳定上传试运行未通过")),
            reverse("telemetry:monitoring"),
            body=lambda c: c.failure_reason,
        ),
        reason=reason,
        reason_code=reason_code,
        reason_params=reason_params,
    )


def stop_trial(connection: Connection, actor, *, reason: str, comment: str):
    """A reviewer stops the running trial; the enterprise's users are told why."""
    return run_transition(
        connection,
        "stop_trial",
        actor,
        event="trial_stopped",
        comment=comment,
        notify=tell(
            lambda c: enterprise_users(c.enterprise),
            Sentence(gettext_noop("稳定上传试运行已被审核人员停止")),
            reverse("telemetry:monitoring"),
            body=lambda c: c.failure_reason,
        ),
        reason=reason,
        reason_code="trial_stopped",
        reason_params={"comment": comment},
    )


def restart_trial(connection: Connection, actor, *, start: date, comment: str = ""):
    """A reviewer starts a new window on ``start``; returns run_transition's outcome.

    Raises TransitionRefused when the actor may not, or the connection is not in a trial.
    """
    return run_transition(
        connection,
        "restart_trial",
        actor,
        event="trial_restarted",
        comment=comment,
        context={"start": start.isoformat()},
        notify=tell(
            lambda c: enterprise_users(c.enterprise),
            Sentence(gettext_noop("稳定上传试运行已重新开始")),
            reverse("telemetry:monitoring"),
            body=lambda c: Sentence(
                gettext_noop("新的试运行自 %(start)s 起计。"), start=str(c.trial_started_on)
            ),
        ),
        start=start,
    )
