"""`sqms demo`: load the demo organisation into an empty database."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from sqms.demo.data import DEMO_LOGINS, DEMO_PASSWORD, load_demo


class Command(BaseCommand):
    help = "Load the demo organisation (a retail chain with 12 stores and ~150 staff)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=2026)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            counts = load_demo(seed=options["seed"])
        except RuntimeError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                "demo loaded: {units} units, {staff} staff, {users} logins".format(**counts)
            )
        )
        if options["verbosity"] > 1:
            for username, label in DEMO_LOGINS:
                self.stdout.write(f"  {username} / {DEMO_PASSWORD}: {label}")
