"""Backup and restore of the database and uploaded files as one .tar.gz.

SQLite is copied with SQLite's online backup API (consistent while the server runs); PostgreSQL
is dumped with pg_dump in its custom format and restored with pg_restore, so the PostgreSQL
client tools of the server's major version must be installed where this runs.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from pathlib import Path

from django.conf import settings
from django.db import connections

FORMAT_VERSION = 1


def _db() -> dict[str, object]:
    return dict(settings.DATABASES["default"])


def _is_sqlite() -> bool:
    from django.db import connection

    return connection.vendor == "sqlite"


def _pg_env() -> tuple[list[str], dict[str, str]]:
    """Connection arguments for pg_dump/pg_restore; the password goes through the environment,
    never the command line."""
    db = _db()
    args = [
        "--host",
        str(db.get("HOST") or "localhost"),
        "--port",
        str(db.get("PORT") or 5432),
        "--username",
        str(db.get("USER") or "postgres"),
        "--dbname",
        str(db["NAME"]),
    ]
    env = {**os.environ}
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return args, env


def backup_create(output: Path | None = None) -> Path:
    """Write a backup archive and return its path."""
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    if output is None:
        output = Path(settings.VAR_DIR) / "backups" / f"sqms-{stamp}.tar.gz"
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if _is_sqlite():
            dump = work / "db.sqlite3"
            src = sqlite3.connect(str(_db()["NAME"]))
            dst = sqlite3.connect(str(dump))
            with dst:
                src.backup(dst)
            src.close()
            dst.close()
        else:
            dump = work / "db.pgdump"
            args, env = _pg_env()
            subprocess.run(
                ["pg_dump", "--format=custom", "--no-owner", "--file", str(dump), *args],
                env=env,
                check=True,
            )
        manifest = {"format": FORMAT_VERSION, "created": stamp, "database": dump.name}
        (work / "manifest.json").write_text(json.dumps(manifest))
        with tarfile.open(output, "w:gz") as tar:
            tar.add(work / "manifest.json", arcname="manifest.json")
            tar.add(dump, arcname=dump.name)
            media = Path(settings.MEDIA_ROOT)
            if media.exists():
                tar.add(media, arcname="media")
    return output


def backup_restore(archive: Path) -> None:
    """Replace the database and uploaded files with those of `archive`."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(work, filter="data")
        manifest = json.loads((work / "manifest.json").read_text())
        if manifest.get("format") != FORMAT_VERSION:
            raise ValueError(f"unknown backup format {manifest.get('format')!r}")
        dump = work / manifest["database"]
        connections.close_all()
        if _is_sqlite():
            if dump.suffix != ".sqlite3":
                raise ValueError("this backup is of a PostgreSQL database; restore it there")
            target = Path(str(_db()["NAME"]))
            # Copy through the backup API as well: it takes the database lock, so a running
            # server waits instead of reading a half-written file.
            src = sqlite3.connect(str(dump))
            dst = sqlite3.connect(str(target))
            with dst:
                src.backup(dst)
            src.close()
            dst.close()
        else:
            if dump.suffix != ".pgdump":
                raise ValueError("this backup is of a SQLite database; restore it there")
            args, env = _pg_env()
            subprocess.run(
                [
                    "pg_restore",
                    "--clean",
                    "--if-exists",
                    "--no-owner",
                    "--single-transaction",
                    *args,
                    str(dump),
                ],
                env=env,
                check=True,
            )
        media_src = work / "media"
        media = Path(settings.MEDIA_ROOT)
        if media_src.exists():
            if media.exists():
                shutil.rmtree(media)
            shutil.copytree(media_src, media)
