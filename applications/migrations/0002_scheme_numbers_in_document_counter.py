"""The design-scheme counter becomes one kind of portal's DocumentCounter (ADR 0008)."""

from django.db import migrations

KIND = "design_scheme"


def to_document_counter(apps, schema_editor):
    SchemeCounter = apps.get_model("applications", "SchemeCounter")
    DocumentCounter = apps.get_model("portal", "DocumentCounter")
    DocumentCounter.objects.bulk_create(
        DocumentCounter(kind=KIND, year=row.year, last=row.last)
        for row in SchemeCounter.objects.all()
    )


def to_scheme_counter(apps, schema_editor):
    SchemeCounter = apps.get_model("applications", "SchemeCounter")
    DocumentCounter = apps.get_model("portal", "DocumentCounter")
    SchemeCounter.objects.bulk_create(
        SchemeCounter(year=row.year, last=row.last)
        for row in DocumentCounter.objects.filter(kind=KIND)
    )
    DocumentCounter.objects.filter(kind=KIND).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("applications", "0001_initial"),
        ("portal", "0002_document_counter"),
    ]

    operations = [
        migrations.RunPython(to_document_counter, to_scheme_counter),
        migrations.DeleteModel(name="SchemeCounter"),
    ]
