from .connection import Connection, ConnectionState
from .device import EndDevice
from .dictionary import EnergyDictionary, EnergyType
from .item import (
    CollectionMethod,
    DataItem,
    InputType,
    IntervalChoice,
    MeteringLevel,
    Scope,
    StatTypeChoice,
)
from .reading import ArrivalClass, Reading
from .rollup import DailyRollup
from .upload import BatchStatus, UploadBatch

__all__ = [
    "ArrivalClass",
    "BatchStatus",
    "CollectionMethod",
    "Connection",
    "ConnectionState",
    "DailyRollup",
    "DataItem",
    "EndDevice",
    "EnergyDictionary",
    "EnergyType",
    "InputType",
    "IntervalChoice",
    "MeteringLevel",
    "Reading",
    "Scope",
    "StatTypeChoice",
    "UploadBatch",
]
