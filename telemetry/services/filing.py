"""Monthly filing (月报填报) of manually entered items, and outage notices (报备).

Services: they take the actor and cleaned data, never the request; each records an audit
event. Filed values enter through ``telemetry.ingest.store_readings``: staged as an upload's
readings are and written by the same path, so they are rolled up and judged like them.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from portal.catalogue import CollectionMethod
from portal.models import AuditEvent

from ..models import (
    DataItem,
    InputType,
    MonthlyFiling,
    OutageNotice,
)
from ..protocol import ParsedReading
from ..timeslots import BEIJING, StatType


def manual_monthly_items(enterprise):
    """Active monthly items entered by hand (inputType 5 or collection method 人工录入)."""
    return DataItem.objects.filter(
        Q(input_type=InputType.MANUAL) | Q(collection_method=CollectionMethod.MANUAL),
        enterprise=enterprise,
        is_active=True,
        stat_type=StatType.MONTHLY,
    ).order_by("data_code")


def file_month(enterprise, actor, month: date, values: dict[int, Decimal], remarks=""):
    """Store the month's values (item pk -> value) and their readings; returns the filing."""
    from ..ingest import store_readings

    now = timezone.now()
    slot = datetime(month.year, month.month, 1, tzinfo=BEIJING)
    with transaction.atomic():
        filing, created = MonthlyFiling.objects.select_for_update().get_or_create(
            enterprise=enterprise,
            month=month,
            defaults={"filed_at": now, "filed_by": actor},
        )
        if not created:
            filing.revision += 1
        filing.values = {str(pk): str(value) for pk, value in values.items()}
        filing.remarks = remarks
        filing.filed_at, filing.filed_by = now, actor
        filing.save()
        # A re-filed month corrects the readings whose value changed (the old one is kept as
        # a ReadingRevision) and leaves the unchanged ones alone (telemetry.corrections).
        store_readings(
            enterprise,
            [
                ParsedReading(index, pk, slot, value, True, None, now, False)
                for index, (pk, value) in enumerate(values.items())
            ],
            now,
        )
        AuditEvent.record(
            filing,
            actor,
            "monthly_filed" if created else "monthly_corrected",
            comment=f"{month:%Y-%m}",
            context={"values": filing.values},
        )
    return filing


def report_outage(enterprise, actor, *, device, starts_at, expected_end, reason) -> OutageNotice:
    with transaction.atomic():
        notice = OutageNotice.objects.create(
            enterprise=enterprise,
            device=device,
            starts_at=starts_at,
            expected_end=expected_end,
            reason=reason,
            filed_by=actor,
        )
        AuditEvent.record(notice, actor, "outage_reported", comment=reason)
    return notice


def resolve_outage(notice: OutageNotice, actor) -> OutageNotice:
    with transaction.atomic():
        updated = OutageNotice.objects.filter(pk=notice.pk, resolved_at=None).update(
            resolved_at=timezone.now()
        )
        if updated:
            AuditEvent.record(notice, actor, "outage_resolved")
    return OutageNotice.objects.get(pk=notice.pk)
