"""manage.py load_energy_dictionary [--version V] [path]: load GB/T 2589 coefficients."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from telemetry.energy import DEFAULT_CSV, DictionaryFileError, load_energy_dictionary


class Command(BaseCommand):
    help = "Load an energy-type CSV as a new dictionary version and mark it current."

    def create_parser(self, prog_name, subcommand, **kwargs):
        # --version names the dictionary version here, replacing Django's program version.
        return super().create_parser(prog_name, subcommand, conflict_handler="resolve", **kwargs)

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", default=str(DEFAULT_CSV))
        parser.add_argument("--version", dest="dictionary_version", default=None)

    def handle(self, *args, path, dictionary_version, **options):
        try:
            result = load_energy_dictionary(Path(path), dictionary_version)
        except (OSError, DictionaryFileError) as exc:
            raise CommandError(str(exc)) from exc
        verb = "loaded" if result.created else "already present, marked current"
        self.stdout.write(f"{result.version}: {result.types} energy types {verb}")
