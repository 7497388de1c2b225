"""Telemetry's operations, one module per record or job, imported by their own names.

`connection` (every step of the Connection record), `registry` (devices and items),
`importexport` (the item list as XLSX/CSV), `uploads` (receiving a device's upload),
`filing` (monthly filings and outage notices), `energy_history` (the historical monthly
energy import), `trial` (judging the stable-upload trial) and `alarms` (data-quality
alarms). Like applications' services they raise `TransitionRefused`, `ValidationError` or
`PermissionDenied`, and every state change goes through `portal.workflow.run_transition`.
"""
