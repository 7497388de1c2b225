"""Scopers and predicates for telemetry's records, built on portal.permissions and the role
predicates of portal.roles.

Every telemetry record belongs to an enterprise, and follows its visibility: members see
their own enterprise's, reviewers and operators the province's, government viewers their
region's, panel members the enterprises of their panels. Only members change an
enterprise's devices, items and energy history; only staff restart a trial.
"""

from django.db.models import QuerySet

from portal.permissions import scope_to_enterprises
from portal.roles import is_member, is_staff_reviewer

from .models import (
    Connection,
    ConnectionState,
    DataItem,
    EndDevice,
    HistoricalEnergyImport,
    ItemChangeRequest,
    OutageNotice,
    RelayFlag,
    TrialRun,
    UploadBatch,
)


def connections_visible_to(user) -> QuerySet[Connection]:
    return scope_to_enterprises(Connection.objects.select_related("enterprise"), user)


def trial_runs_visible_to(user) -> QuerySet[TrialRun]:
    return scope_to_enterprises(
        TrialRun.objects.select_related("connection__enterprise"), user, "connection__enterprise"
    )


def devices_visible_to(user) -> QuerySet[EndDevice]:
    return scope_to_enterprises(EndDevice.objects.select_related("enterprise"), user)


def data_items_visible_to(user) -> QuerySet[DataItem]:
    return scope_to_enterprises(DataItem.objects.select_related("enterprise"), user)


def item_changes_visible_to(user) -> QuerySet[ItemChangeRequest]:
    return scope_to_enterprises(
        ItemChangeRequest.objects.select_related("enterprise", "item", "requested_by"), user
    )


def upload_batches_visible_to(user) -> QuerySet[UploadBatch]:
    return scope_to_enterprises(UploadBatch.objects.all(), user)


def outage_notices_visible_to(user) -> QuerySet[OutageNotice]:
    return scope_to_enterprises(OutageNotice.objects.all(), user)


def energy_imports_visible_to(user) -> QuerySet[HistoricalEnergyImport]:
    return scope_to_enterprises(
        HistoricalEnergyImport.objects.select_related(
            "enterprise", "structure", "attachment", "uploaded_by"
        ),
        user,
    )


def can_edit_registry(user, enterprise) -> bool:
    """Members keep their enterprise's devices and items; reviewers and viewers only read."""
    return is_member(user, enterprise)


def can_import_energy_history(user, enterprise) -> bool:
    """Members of an approved enterprise import its historical monthly energy data (表1
    material 10)."""
    return can_import_files(user, enterprise)


def can_import_files(user, enterprise) -> bool:
    """Spreadsheet imports (items, energy history) are for members of an approved enterprise:
    one still awaiting approval has no business sending files the portal must parse."""
    return enterprise.is_approved and is_member(user, enterprise)


def can_restart_trial(user, connection: Connection) -> bool:
    return is_staff_reviewer(user) and connection.state in {
        ConnectionState.TRIAL_RUNNING,
        ConnectionState.TRIAL_FAILED,
    }


def relay_flags_visible_to(user) -> QuerySet[RelayFlag]:
    return scope_to_enterprises(RelayFlag.objects.select_related("enterprise", "decided_by"), user)
