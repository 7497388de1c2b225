"""The first revision of every existing data item: its current slot-relevant values, valid
from the day (Beijing time) it was registered. Nothing older is known."""

from zoneinfo import ZoneInfo

from django.db import migrations

BEIJING = ZoneInfo("Asia/Shanghai")
FIELDS = ("stat_type", "interval_minutes", "value_min", "value_max", "is_active")


def forwards(apps, schema_editor):
    DataItem = apps.get_model("telemetry", "DataItem")
    DataItemRevision = apps.get_model("telemetry", "DataItemRevision")
    known = set(DataItemRevision.objects.values_list("item_id", flat=True))
    batch = []
    for item in DataItem.objects.only("id", "created_at", *FIELDS).iterator(chunk_size=2000):
        if item.pk in known:
            continue
        batch.append(
            DataItemRevision(
                item_id=item.pk,
                valid_from=item.created_at.astimezone(BEIJING).date(),
                reason="初始登记（迁移时补记）",
                **{name: getattr(item, name) for name in FIELDS},
            )
        )
        if len(batch) >= 2000:
            DataItemRevision.objects.bulk_create(batch)
            batch = []
    DataItemRevision.objects.bulk_create(batch)


class Migration(migrations.Migration):
    dependencies = [("telemetry", "0014_item_revisions_and_changes")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
