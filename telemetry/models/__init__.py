from .alarm import Alarm, AlarmKind
from .connection import Connection, ConnectionState
from .device import EndDevice
from .dictionary import EnergyDictionary, EnergyType
from .energy_history import EnergyStructure, HistoricalEnergyImport, HistoricalEnergyRecord
from .filing import MonthlyFiling, OutageNotice
from .item import (
    DataItem,
    InputType,
    IntervalChoice,
    MeteringLevel,
    Scope,
    StatTypeChoice,
)
from .item_change import (
    OPEN_STATUSES_VALUES,
    SLOT_FIELDS,
    ChangeKind,
    ChangeStatus,
    DataItemRevision,
    ItemChangeRequest,
)
from .reading import ArrivalClass, Reading
from .refusal import RefusalReason, UploadRefusal
from .revision import ReadingRevision
from .rollup import DailyRollup
from .trial import TrialRun, TrialStatus
from .upload import BatchStatus, UploadBatch

__all__ = [
    "OPEN_STATUSES_VALUES",
    "SLOT_FIELDS",
    "Alarm",
    "AlarmKind",
    "ArrivalClass",
    "BatchStatus",
    "ChangeKind",
    "ChangeStatus",
    "Connection",
    "ConnectionState",
    "DailyRollup",
    "DataItem",
    "DataItemRevision",
    "EndDevice",
    "EnergyDictionary",
    "EnergyStructure",
    "EnergyType",
    "HistoricalEnergyImport",
    "HistoricalEnergyRecord",
    "InputType",
    "IntervalChoice",
    "ItemChangeRequest",
    "MeteringLevel",
    "MonthlyFiling",
    "OutageNotice",
    "Reading",
    "ReadingRevision",
    "RefusalReason",
    "Scope",
    "StatTypeChoice",
    "TrialRun",
    "TrialStatus",
    "UploadBatch",
    "UploadRefusal",
]
