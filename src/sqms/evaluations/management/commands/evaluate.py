"""`sqms evaluate SCHEME PERIOD [--scope CODE] [--version N] [--whatif]`: run an evaluation in
this process with a progress bar (the page's run goes through the worker instead)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from sqms.common.errors import DomainError
from sqms.evaluations import services
from sqms.evaluations.models import SchemeVersion
from sqms.org.models import OrgUnit


class Command(BaseCommand):
    help = "Evaluate a scheme over a period (2026-11, 2026-Q3, 2026-H2, 2026) with a progress bar."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("scheme", help="scheme code")
        parser.add_argument("period", help="2026-11, 2026-Q3, 2026-H2 or 2026")
        parser.add_argument("--scope", default="", help="unit code (default: the top unit)")
        parser.add_argument(
            "--scheme-version", type=int, default=None, help="default: the active version"
        )
        parser.add_argument("--whatif", action="store_true", help="try a version out")

    def handle(self, *args: Any, **opts: Any) -> None:
        versions = SchemeVersion.objects.filter(scheme__code=opts["scheme"])
        version = (
            versions.filter(number=opts["scheme_version"]).first()
            if opts["scheme_version"] is not None
            else versions.filter(state=SchemeVersion.State.ACTIVE).first()
        )
        if version is None:
            raise CommandError(f"no scheme {opts['scheme']!r} (or no such version)")
        scope = (
            OrgUnit.objects.filter(code=opts["scope"]).first()
            if opts["scope"]
            else OrgUnit.objects.filter(parent__isnull=True).order_by("pk").first()
        )
        if scope is None:
            raise CommandError(f"no unit {opts['scope']!r}")
        try:
            run = services.run_start(
                actor=None,
                version=version,
                period=opts["period"],
                scope=scope,
                whatif=opts["whatif"],
                enqueue=False,
            )
        except DomainError as exc:
            raise CommandError("; ".join(e.msg for e in exc.errors) or exc.message) from None
        bar = tqdm(total=0, unit="scorecard", disable=None)

        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        run = services.run_compute(run.pk, progress=progress)
        bar.close()
        self.stdout.write(
            f"run {run.pk}: {run.total} scorecards, {run.get_status_display()} "
            f"({version.scheme.code} v{version.number}, {run.period_label}, {scope.code})"
        )
