"""Concurrent writers on a real database file: with WAL, IMMEDIATE transactions and the busy
timeout, parallel service writes all succeed, and the audit chain (whose head every writer
locks) stays one unbroken chain."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest

from tests.test_backup import PG_URL, _env, sqms

pytestmark = pytest.mark.cli

WRITER = """
import datetime as dt, sys
from sqms.org import services
from sqms.org.models import OrgUnit, Position
unit = OrgUnit.objects.get(code="S001")
pos = Position.objects.get(code="cashier")
for i in range({n}):
    services.staff_create(actor=None, employee_no=f"W{{sys.argv[1]}}-{{i}}", name="并发",
                          unit=unit, position=pos, start_date=dt.date(2025, 1, 1))
print("done")
"""


def _hammer(env: dict[str, str], tmp_path: Path, writers: int = 4, each: int = 25) -> None:
    sqms(env, "migrate", "-v0")
    sqms(env, "demo", "--seed", "3", "--months", "0")
    script = tmp_path / "writer.py"
    script.write_text(WRITER.format(n=each))
    runner = (
        "import django, runpy, sys; django.setup(); "
        f"sys.argv=['w', sys.argv[1]]; runpy.run_path({str(script)!r})"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", runner, str(w)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for w in range(writers)
    ]
    results = [p.communicate(timeout=300) for p in procs]
    for p, (out, err) in zip(procs, results, strict=True):
        assert p.returncode == 0, err[-2000:]
        assert out.strip() == "done"
    count = sqms(
        env,
        "shell",
        "--no-imports",
        "-c",
        "from sqms.org.models import Staff; "
        "print(Staff.objects.filter(employee_no__startswith='W').count())",
    )
    assert count.strip() == str(writers * each)
    assert "audit log intact" in sqms(env, "audit", "verify")


def test_concurrent_writers_sqlite(tmp_path):
    _hammer(_env(tmp_path), tmp_path)


def test_concurrent_writers_postgresql(tmp_path):
    try:
        admin = psycopg.connect(PG_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError:
        pytest.skip("PostgreSQL not reachable: the PostgreSQL concurrency test was NOT run")
    name = f"sqms_conc_{uuid.uuid4().hex[:8]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        _hammer(_env(tmp_path, DATABASE_URL=PG_URL.rsplit("/", 1)[0] + f"/{name}"), tmp_path)
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def test_environment_is_not_leaking_database_url():
    assert "DATABASE_URL" not in _env(Path("/tmp"))
    assert os.environ.get("DJANGO_SETTINGS_MODULE") == "sqms.settings"
