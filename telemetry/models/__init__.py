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
from .reading import ArrivalClass, Reading
from .refusal import RefusalReason, UploadRefusal
from .revision import ReadingRevision
from .rollup import DailyRollup
from .trial import TrialRun, TrialStatus
from .upload import BatchStatus, UploadBatch

__all__ = [
    "Alarm",
    "AlarmKind",
    "ArrivalClass",
    "BatchStatus",
    "Connection",
    "ConnectionState",
    "DailyRollup",
    "DataItem",
    "EndDevice",
    "EnergyDictionary",
    "EnergyStructure",
    "EnergyType",
    "HistoricalEnergyImport",
    "HistoricalEnergyRecord",
    "InputType",
    "IntervalChoice",
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
