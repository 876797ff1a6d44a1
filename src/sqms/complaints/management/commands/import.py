"""`sqms import WHAT FILE.xlsx [--dry-run] [--user NAME]`: import records from Excel.

Each subcommand (`complaints`, …) is contributed by an app in a module
`<app>.management.import_subcommands` that defines `SUBCOMMANDS`, a mapping from the
subcommand's name to an object with `help`, `add_arguments(parser)` and `handle(command, options)`,
so other apps add theirs without touching this file."""

from __future__ import annotations

import importlib
import importlib.util
from argparse import ArgumentParser
from typing import Any, Protocol

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError, CommandParser


class Subcommand(Protocol):
    help: str

    def add_arguments(self, parser: ArgumentParser) -> None: ...

    def handle(self, command: BaseCommand, options: dict[str, Any]) -> None: ...


def subcommands() -> dict[str, Subcommand]:
    found: dict[str, Subcommand] = {}
    for app in apps.get_app_configs():
        if not app.name.startswith("sqms."):
            continue
        name = f"{app.name}.management.import_subcommands"
        if importlib.util.find_spec(f"{app.name}.management") is None:
            continue
        if importlib.util.find_spec(name) is None:
            continue
        found.update(importlib.import_module(name).SUBCOMMANDS)
    return dict(sorted(found.items()))


class Command(BaseCommand):
    help = "Import records from an Excel file, e.g. sqms import complaints FILE.xlsx --dry-run"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="what", metavar="WHAT", required=True)
        for name, spec in subcommands().items():
            spec.add_arguments(sub.add_parser(name, help=spec.help, description=spec.help))

    def handle(self, *args: Any, **options: Any) -> None:
        spec = subcommands().get(options["what"])
        if spec is None:  # pragma: no cover - argparse refuses unknown choices first
            raise CommandError(f"nothing to import called {options['what']!r}")
        spec.handle(self, options)
