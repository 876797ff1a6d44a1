"""`sqms demo`: load the demo organisation into an empty database."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from sqms.demo.complaints import load_demo_complaints
from sqms.demo.data import DEMO_LOGINS, DEMO_PASSWORD, load_demo
from sqms.demo.evaluations import load_demo_evaluations
from sqms.demo.inspections import load_demo_inspections
from sqms.demo.surveys import load_demo_surveys
from sqms.packs.loader import pack_load


class Command(BaseCommand):
    help = "Load the demo organisation (a retail chain with 12 stores and ~150 staff)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument(
            "--months", type=int, default=4, help="months of complaints to replay (0: none)"
        )

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
        pack_load("retail-chain")
        self.stdout.write("pack loaded: retail-chain")
        if options["months"] > 0:
            with transaction.atomic():
                made = load_demo_complaints(seed=options["seed"], months=options["months"])
            self.stdout.write(
                self.style.SUCCESS(
                    "complaints replayed: {complaints} ({open} open, {breached} missed a time "
                    "limit)".format(**made)
                )
            )
            with transaction.atomic():
                done = load_demo_inspections(seed=options["seed"], months=options["months"])
            self.stdout.write(
                self.style.SUCCESS(
                    "inspections replayed: {inspections} submitted ({mystery} mystery-shopper "
                    "visits, {appeals} appeals)".format(**done)
                )
            )
            with transaction.atomic():
                answered = load_demo_surveys(seed=options["seed"])
            self.stdout.write(
                self.style.SUCCESS(
                    "surveys answered: {responses} responses in {campaigns} campaigns".format(
                        **answered
                    )
                )
            )
            rated = load_demo_evaluations(seed=options["seed"])
            self.stdout.write(
                self.style.SUCCESS(
                    "evaluations: {runs} runs, {scorecards} scorecards ({stars} service stars "
                    "published, {appeals} appeals)".format(**rated)
                )
            )
        if options["verbosity"] > 1:
            for username, label in DEMO_LOGINS:
                self.stdout.write(f"  {username} / {DEMO_PASSWORD}: {label}")
