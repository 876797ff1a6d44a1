"""`sqms pack list` and `sqms pack load NAME|FILE.yaml`."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from sqms.common.errors import DomainError
from sqms.packs.loader import pack_list, pack_load


class Command(BaseCommand):
    help = "List the industry packs, or load one (its categories, time limits and rules)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("list", help="the packs that ship with SQMS")
        load = sub.add_parser("load", help="load a pack by name or from a YAML file")
        load.add_argument("name")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "list":
            for info in pack_list():
                self.stdout.write(f"{info.name:<24} {info.title} — {info.description}")
            return
        try:
            warnings = pack_load(options["name"])
        except DomainError as exc:
            lines = [exc.message] + [
                f"  {'.'.join(str(p) for p in e.loc)}: {e.msg}" for e in exc.errors
            ]
            raise CommandError("\n".join(lines)) from None
        for w in warnings:
            self.stderr.write(self.style.WARNING(w))
        self.stdout.write(self.style.SUCCESS(f"loaded {options['name']}"))
