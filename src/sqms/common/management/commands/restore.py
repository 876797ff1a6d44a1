"""`sqms restore FILE --yes`: put a backup back, then check the audit chain."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from sqms.common.backup import backup_restore


class Command(BaseCommand):
    help = "Restore a backup made by `sqms backup`. Replaces the database and uploaded files."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("archive", type=Path)
        parser.add_argument("--yes", action="store_true", help="really replace the current data")

    def handle(self, *args: Any, **options: Any) -> None:
        archive: Path = options["archive"]
        if not archive.exists():
            raise CommandError(f"no such file: {archive}")
        if not options["yes"]:
            raise CommandError("this replaces all current data; run again with --yes")
        try:
            backup_restore(archive)
        except (ValueError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        # A backup from an older release is brought up to the current schema.
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write(self.style.SUCCESS(f"restored from {archive}"))
        call_command("audit", "verify")
