"""`sqms backup [--output FILE]`: database and uploaded files into one .tar.gz."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from sqms.common.backup import backup_create


class Command(BaseCommand):
    help = "Back up the database and uploaded files (default: var/backups/sqms-<time>.tar.gz)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", type=Path, default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        path = backup_create(options["output"])
        self.stdout.write(self.style.SUCCESS(f"backup written: {path}"))
