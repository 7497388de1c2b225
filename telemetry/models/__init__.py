from .connection import Connection, ConnectionState

__all__ = ["Connection", "ConnectionState"]
