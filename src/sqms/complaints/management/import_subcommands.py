"""`sqms import complaints FILE.xlsx [--dry-run] [--user NAME] [--layout desk|hotline]`: import a
paper complaint register (service desk or hotline log). Every problem is printed with its row and
column, and the command exits non-zero; nothing is imported unless every row is valid."""

from __future__ import annotations

import sys
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from sqms.complaints.imports import LAYOUTS, import_complaint_workbook

# Below this many rows the check and the import are over before a bar would be worth reading.
PROGRESS_FROM = 200


class ComplaintsImport:
    help = "Import a paper complaint register (service desk or hotline log) from Excel."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", help="the .xlsx file")
        parser.add_argument(
            "--dry-run", action="store_true", help="only check the file, import nothing"
        )
        parser.add_argument(
            "--user",
            help="import as this user (his scope applies); without it, as the system",
        )
        parser.add_argument(
            "--layout",
            choices=["auto", *LAYOUTS],
            default="auto",
            help="the register's layout; by default recognised from the headers",
        )

    def handle(self, command: BaseCommand, options: dict[str, Any]) -> None:
        actor = None
        if options.get("user"):
            actor = get_user_model().objects.filter(username=options["user"]).first()
            if actor is None or not actor.is_active:
                raise CommandError(f"no active user named {options['user']!r}")
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"no file {str(path)!r}")
        bars: dict[str, tqdm[Any]] = {}

        def progress(phase: str, done: int, total: int) -> None:
            if total < PROGRESS_FROM:
                return
            bar = bars.get(phase)
            if bar is None:
                bar = bars[phase] = tqdm(total=total, desc=phase, unit="row", file=sys.stderr)
            bar.update(done - bar.n)
            if done == total:
                bar.close()

        with path.open("rb") as fh:
            report = import_complaint_workbook(
                actor=actor,  # type: ignore[arg-type]
                file=fh,
                dry_run=options["dry_run"],
                layout=options["layout"],
                progress=progress,
            )
        for bar in bars.values():
            bar.close()
        if report.errors:
            for e in report.errors:
                where = f"row {e.row}" if e.row else "file"
                command.stderr.write(f"{where}, {e.column or e.field}: {e.message}")
            raise CommandError(
                f"{len(report.errors)} problem(s) in {path.name}; nothing was imported."
            )
        title = report.layout.title if report.layout else ""
        if report.imported:
            command.stdout.write(
                f"Imported {report.rows} complaint(s) from {title}, "
                f"{report.replied} as replied: {', '.join(report.refs)}"
            )
        else:
            command.stdout.write(
                f"{path.name} is valid: {report.rows} complaint(s) from {title} would be "
                f"imported ({report.replied} as replied). Dry run: nothing was imported."
            )


SUBCOMMANDS = {"complaints": ComplaintsImport()}
