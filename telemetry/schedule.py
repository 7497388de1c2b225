"""Celery beat entries of the telemetry app; portal/settings.py merges them in.

A plain module (no Django imports) so settings can read it before apps are loaded.
"""

BEAT_SCHEDULE: dict = {}
