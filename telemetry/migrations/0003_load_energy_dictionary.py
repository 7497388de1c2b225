from django.db import migrations


def load(apps, schema_editor):
    from telemetry.energy import load_energy_dictionary

    load_energy_dictionary(
        dictionary_model=apps.get_model("telemetry", "EnergyDictionary"),
        type_model=apps.get_model("telemetry", "EnergyType"),
    )


class Migration(migrations.Migration):
    dependencies = [("telemetry", "0002_enddevice_energydictionary_energytype_dataitem_and_more")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
