"""Backup and restore through the real `sqms` command, on a real database file (not the test
database): back up, change the data, restore, and find the data as it was with the audit chain
intact."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest

# Each test brings its own database, so it runs once, not again in the PostgreSQL pass.
pytestmark = pytest.mark.cli

PG_URL = os.environ.get("SQMS_TEST_PG_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/test")


def sqms(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "sqms.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def _roundtrip(env: dict[str, str], tmp_path: Path) -> None:
    sqms(env, "migrate", "-v0")
    sqms(env, "demo", "--seed", "7", "--months", "0")
    state = (
        "from sqms.org.models import Staff; "
        "print(Staff.objects.count(), Staff.objects.filter(name='x').count())"
    )
    before = sqms(env, "shell", "--no-imports", "-c", state).strip()
    media = Path(env["SQMS_MEDIA_ROOT"])
    media.mkdir(parents=True, exist_ok=True)
    (media / "evidence.txt").write_text("photo")
    archive = tmp_path / "b.tar.gz"
    assert "backup written" in sqms(env, "backup", "--output", str(archive))
    sqms(
        env,
        "shell",
        "-c",
        "from sqms.org.models import Staff; Staff.objects.all().update(name='x')",
    )
    (media / "evidence.txt").unlink()
    restored = sqms(env, "restore", str(archive), "--yes")
    assert "audit log intact" in restored
    after = sqms(env, "shell", "--no-imports", "-c", state).strip()
    assert after == before
    assert before.endswith(" 0")
    assert (media / "evidence.txt").read_text() == "photo"


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(
        {
            "SQMS_VAR_DIR": str(tmp_path / "var"),
            "SQMS_MEDIA_ROOT": str(tmp_path / "media"),
            "DJANGO_SETTINGS_MODULE": "sqms.settings",
            **extra,
        }
    )
    return env


def test_backup_and_restore_sqlite(tmp_path):
    _roundtrip(_env(tmp_path), tmp_path)


def test_restore_refuses_without_yes(tmp_path):
    env = _env(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "sqms.cli", "restore", "/nonexistent.tar.gz"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "no such file" in result.stderr


def test_backup_and_restore_postgresql(tmp_path):
    try:
        admin = psycopg.connect(PG_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError:
        pytest.skip("PostgreSQL not reachable: the PostgreSQL backup test was NOT run")
    name = f"sqms_backup_{uuid.uuid4().hex[:8]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        url = PG_URL.rsplit("/", 1)[0] + f"/{name}"
        _roundtrip(_env(tmp_path, DATABASE_URL=url), tmp_path)
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
