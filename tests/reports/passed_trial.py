"""A passed stable-upload trial with everything around it, for the conformance-report tests.

Built with the telemetry and applications factories as the workflow would leave it: an
approved access application on a finalised design scheme, one end device with its
certificate, two real-time items (electricity and natural gas), 15 complete days from
2026-03-01 with two slots of 2026-03-03 backfilled after a reported outage, historical
energy data imported, and the trial evaluated (so the connection is ``trial_passed``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.core.files.uploadedfile import SimpleUploadedFile

from applications.models import AccessApplication, DeviceCertificate
from portal.models import Enterprise
from telemetry.models import Connection, EnergyType, OutageNotice, TrialRun
from telemetry.services.energy_history import import_history
from telemetry.services.trial import evaluate_trials
from tests.applications.factories import AccessApplicationFactory
from tests.portal.factories import member_of
from tests.telemetry.factories import (
    FULL_DAY,
    beijing,
    device_with_certificate,
    full_days,
    realtime_item,
    rollup,
    trial_connection,
    without,
)

START = date(2026, 3, 1)
END = date(2026, 3, 15)
OUTAGE_DAY = date(2026, 3, 3)
AFTER_WINDOW = beijing(2026, 3, 17, 9)
HISTORY_CSV = "月份,能源代码,实物量,计量单位\n" + "".join(
    f"2024-{m:02d},3300,2000000,kWh\n2024-{m:02d},1500-1,100000,m3\n" for m in (1, 2, 3)
)


@dataclass
class PassedTrial:
    enterprise: Enterprise
    application: AccessApplication
    certificate: DeviceCertificate
    connection: Connection
    run: TrialRun
    items: list


def energy(code: str) -> EnergyType:
    return EnergyType.objects.get(dictionary__is_current=True, code=code)


def build_passed_trial(enterprise, *, history: bool = True) -> PassedTrial:
    application = AccessApplicationFactory(enterprise=enterprise, approved=True)
    kit = device_with_certificate(enterprise, serial="HB-DEV-000123")
    power = realtime_item(enterprise, device=kit.device, energy_type=energy("3300"))
    gas = realtime_item(
        enterprise, device=kit.device, energy_type=energy("1500-1"), name="天然气总管"
    )
    connection = trial_connection(enterprise, START)
    for item in (power, gas):
        full_days(item, START, 15)
    # The outage of 2026-03-03: slots 40 and 41 re-sent after the link came back.
    rollup(
        power,
        OUTAGE_DAY,
        on_time=without(FULL_DAY, 40, 41),
        backfilled=(1 << 40) | (1 << 41),
    )
    OutageNotice.objects.create(
        enterprise=enterprise,
        device=kit.device,
        starts_at=beijing(2026, 3, 3, 9, 50),
        expected_end=beijing(2026, 3, 3, 12),
        resolved_at=beijing(2026, 3, 3, 10, 40),
        reason="厂区光纤检修",
    )
    if history:
        upload = SimpleUploadedFile("历史能耗.csv", HISTORY_CSV.encode("utf-8-sig"))
        import_history(member_of(enterprise), enterprise, upload)
    evaluate_trials(now=AFTER_WINDOW)
    run = TrialRun.objects.get(connection=connection)
    connection.refresh_from_db()
    return PassedTrial(enterprise, application, kit.certificate, connection, run, [power, gas])


def days_between(first: date, last: date) -> list[str]:
    return [(first + timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]
