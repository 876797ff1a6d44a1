"""`sqms run`: everything `make run` does after installing — prepare, then serve."""

from __future__ import annotations

import os
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = (
        "Migrate, compile translations, collect static files, load the demo on first start, serve."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-demo", action="store_true", help="do not load the demo data")
        parser.add_argument("--prepare-only", action="store_true", help="stop before serving")

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        call_command("createcachetable", verbosity=0)
        call_command("compile_translations", verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        first_start = not get_user_model().objects.exists()
        if first_start and not options["no_demo"]:
            self.stdout.write("First start: loading the demo organisation…")
            call_command("demo")
        port = os.environ.get("PORT", "8000")
        host = os.environ.get("SQMS_HOST", "127.0.0.1")
        shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104
        self.stdout.write(self.style.SUCCESS(f"\nSQMS is at http://{shown}:{port}/"))
        self.stdout.write(f"API docs: http://{shown}:{port}/api/v1/docs")
        if not options["no_demo"]:
            from sqms.demo.data import DEMO_LOGINS, DEMO_PASSWORD

            if get_user_model().objects.filter(username="admin").exists():
                self.stdout.write(f"\nDemo logins (password for all: {DEMO_PASSWORD}):")
                for username, label in DEMO_LOGINS:
                    self.stdout.write(f"  {username:<10} {label}")
        self.stdout.write("")
        if options["prepare_only"]:
            return
        call_command("serve")
