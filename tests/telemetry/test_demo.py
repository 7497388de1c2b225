"""The telemetry demo seed: trials passed, failed and running, through the real write path."""

import pytest
from django.db.models import Sum

from telemetry import demo
from telemetry.models import (
    Connection,
    DailyRollup,
    EnergyStructure,
    MonthlyFiling,
    Reading,
    TrialRun,
    UploadBatch,
)
from tests.portal.factories import EnterpriseFactory, member_of

from .factories import connection_for, issue_certificate_row, vpn_account_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def connected():
    """Three connected enterprises, as the applications seed leaves them (without its CA)."""
    enterprises = []
    for index in range(3):
        enterprise = EnterpriseFactory()
        member_of(enterprise)
        connection_for(enterprise)
        vpn_account_for(enterprise, address=f"10.8.0.{20 + index}")
        issue_certificate_row(enterprise, f"HB-{enterprise.uscc[-6:]}-01")
        enterprises.append(enterprise)
    return enterprises


def test_the_seed_shows_trials_running_passed_and_restarted(connected):
    demo.seed({"connected": connected}, log=lambda *args: None)
    statuses = [TrialRun.objects.get(connection__enterprise=e).status for e in connected]
    # The third lost a day to a 30-hour outage: its rolling count restarted after that day.
    assert statuses == ["running", "passed", "running"]
    restarted = TrialRun.objects.get(connection__enterprise=connected[2])
    assert "已超过补传期限" in restarted.display_reset_reason
    # Every item a device reports has valid data: 对接测试 is over, the connection date set.
    assert all(Connection.objects.get(enterprise=e).connected_at for e in connected)
    totals = DailyRollup.objects.aggregate(back=Sum("backfilled"), late=Sum("late"))
    assert totals["back"] > 0 and totals["late"] > 0
    assert UploadBatch.objects.filter(relay_suspected=True, enterprise=connected[0]).exists()
    assert MonthlyFiling.objects.count() == 3
    structures = {s.enterprise_id: s for s in EnergyStructure.objects.all()}
    assert [m["code"] for m in structures[connected[0].pk].missing_main] == ["0900"]
    assert structures[connected[1].pk].missing_main == []


def test_seeding_again_the_same_day_changes_nothing(connected):
    demo.seed({"connected": connected}, log=lambda *args: None)
    counts = (Reading.objects.count(), UploadBatch.objects.count(), TrialRun.objects.count())
    demo.seed({"connected": connected}, log=lambda *args: None)
    assert (
        Reading.objects.count(),
        UploadBatch.objects.count(),
        TrialRun.objects.count(),
    ) == counts
