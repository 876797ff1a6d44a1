"""Compile the .po catalogues to .mo with polib, so a fresh machine needs no GNU gettext.

The catalogues are the project's (LOCALE_PATHS) and each installed app's own `locale/`, which
Django also reads: an app that keeps its own catalogue can be translated on its own."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polib
from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Compile translation catalogues (.po → .mo) without GNU gettext."

    def handle(self, *args: Any, **options: Any) -> None:
        count = 0
        bases = [Path(p) for p in settings.LOCALE_PATHS]
        bases += [
            Path(c.path) / "locale" for c in apps.get_app_configs() if c.name.startswith("sqms.")
        ]
        for base in bases:
            for po_path in Path(base).glob("*/LC_MESSAGES/*.po"):
                mo_path = po_path.with_suffix(".mo")
                if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
                    continue
                polib.pofile(str(po_path)).save_as_mofile(str(mo_path))
                count += 1
        if options["verbosity"] > 1 or count:
            self.stdout.write(f"compiled {count} catalogue(s)")
