"""Telemetry's audit event names are registered in one place, telemetry/events.py."""

import ast
from pathlib import Path

from portal.models.audit import EVENT_LABELS
from telemetry.events import EVENTS

TELEMETRY = Path(__file__).resolve().parents[2] / "telemetry"


def test_every_telemetry_event_is_registered_with_its_label():
    for name, label in EVENTS.items():
        assert EVENT_LABELS[name] == label


def test_only_the_app_config_registers_events():
    callers = set()
    for module in TELEMETRY.rglob("*.py"):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "register_events":
                callers.add(module.relative_to(TELEMETRY).as_posix())
    assert callers == {"apps.py"}
