"""Items saved with the form's old default 折标系数 1 get their energy type's coefficient.

Only items whose coefficient is exactly 1 and whose energy type has another coefficient are
changed (telemetry.energy.correct_default_coefficients). Each changed item is printed during
``migrate`` and recorded in one AuditEvent ``item_coefficients_corrected`` per enterprise
(target the enterprise; context lists data codes, names, old and new coefficients), so the
change shows on the enterprise's history. Not reversed: the old value was the mistake.
"""

from django.db import migrations


def correct(apps, schema_editor):
    from telemetry.energy import correct_default_coefficients

    lines: list[str] = []
    changed = correct_default_coefficients(apps, write=lines.append)
    if changed:
        count = sum(len(entries) for entries in changed.values())
        print(f"\n  telemetry: corrected the coefficient of {count} item(s) from 1:")
        print("\n".join(lines))


class Migration(migrations.Migration):
    dependencies = [
        ("telemetry", "0012_reading_corrections"),
        ("portal", "0002_document_counter"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(correct, migrations.RunPython.noop)]
