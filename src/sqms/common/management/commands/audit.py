"""`sqms audit verify`: walk the audit log's hash chain and report any tampering."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from sqms.common.audit import audit_verify


class Command(BaseCommand):
    help = "Audit log tools. 'verify' checks the hash chain: exit status 1 if it is broken."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["verify"])

    def handle(self, *args: Any, **options: Any) -> None:
        checked, problems = audit_verify()
        for p in problems:
            self.stderr.write(str(p))
        if problems:
            raise CommandError(
                f"audit log is NOT intact: {len(problems)} problem(s) in {checked} entries"
            )
        self.stdout.write(self.style.SUCCESS(f"audit log intact: {checked} entries verified"))
