"""Concurrent writers on a real database file: with WAL, IMMEDIATE transactions and the writers'
queue, parallel service writes all succeed, and the audit chain (whose head every writer locks)
stays one unbroken chain. Clients racing with one Idempotency-Key create one complaint."""

import json
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


def on_scratch_postgres(tmp_path, run, what: str) -> None:
    """Run `run(env, tmp_path)` on a PostgreSQL database of its own, dropped afterwards."""
    try:
        admin = psycopg.connect(PG_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError:
        pytest.skip(f"PostgreSQL not reachable: the PostgreSQL {what} was NOT run")
    name = f"sqms_conc_{uuid.uuid4().hex[:8]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        run(_env(tmp_path, DATABASE_URL=PG_URL.rsplit("/", 1)[0] + f"/{name}"), tmp_path)
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def test_concurrent_writers_postgresql(tmp_path):
    on_scratch_postgres(tmp_path, _hammer, "concurrency test")


RACER = """
import json, sys
from django.test import Client
body = json.dumps({{"channel": "hotline", "unit": "S001", "description": "同一个电话，重复提交",
                   "complainant_name": "王女士", "complainant_phone": "13800001111"}})
answers = []
for i in range({n}):
    r = Client().post("/api/v1/complaints", body, content_type="application/json",
                      HTTP_AUTHORIZATION="Bearer " + sys.argv[1],
                      HTTP_IDEMPOTENCY_KEY=f"race-{{i}}", HTTP_HOST="127.0.0.1")
    answers.append([r.status_code, r.json()["ref"]])
print(json.dumps(answers))
"""


def _race(env: dict[str, str], tmp_path: Path, racers: int = 4, keys: int = 15) -> None:
    sqms(env, "migrate", "-v0")
    sqms(env, "demo", "--seed", "3", "--months", "0")
    token = sqms(env, "token", "create", "--user", "hotline").strip()
    script = tmp_path / "racer.py"
    script.write_text(RACER.format(n=keys))
    runner = (
        "import django, runpy, sys; django.setup(); "
        f"sys.argv=['r', sys.argv[1]]; runpy.run_path({str(script)!r})"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", runner, token],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(racers)
    ]
    answers = []
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err[-2000:]
        answers.append(json.loads(out))
    # Every racer got 201 and, key by key, the same complaint.
    for i in range(keys):
        assert {a[i][0] for a in answers} == {201}
        assert len({a[i][1] for a in answers}) == 1
    count = sqms(
        env,
        "shell",
        "--no-imports",
        "-c",
        "from sqms.complaints.models import Complaint; "
        "print(Complaint.objects.filter(description='同一个电话，重复提交').count())",
    )
    assert count.strip() == str(keys)
    assert "audit log intact" in sqms(env, "audit", "verify")


def test_clients_racing_with_one_idempotency_key_create_once_sqlite(tmp_path):
    _race(_env(tmp_path), tmp_path)


def test_clients_racing_with_one_idempotency_key_create_once_postgresql(tmp_path):
    on_scratch_postgres(tmp_path, _race, "idempotency race")


def test_environment_is_not_leaking_database_url():
    assert "DATABASE_URL" not in _env(Path("/tmp"))
    assert os.environ.get("DJANGO_SETTINGS_MODULE") == "sqms.settings"


LANES = """
import threading
from django.db import connection, transaction
from sqms.common.audit import audit_record
from sqms.common.models import AuditEntry
held, done = threading.Event(), threading.Event()

def holder():
    with transaction.atomic():
        audit_record(actor=None, action="lanes.hold", target_type="t", target_id="1")
        held.set()
        done.wait(30)  # the head of its chain stays locked until this commits
    connection.close()

t = threading.Thread(target=holder)
t.start()
held.wait(30)
with transaction.atomic():  # must not wait for the holder: it takes another chain
    audit_record(actor=None, action="lanes.pass", target_type="t", target_id="2")
passed_while_held = not done.is_set()
done.set()
t.join()
lanes = dict(AuditEntry.objects.filter(action__startswith="lanes.").values_list("action", "lane"))
print(passed_while_held, lanes["lanes.hold"] != lanes["lanes.pass"])
"""


def _lanes(env: dict[str, str], tmp_path: Path) -> None:
    sqms(env, "migrate", "-v0")
    sqms(env, "demo", "--seed", "3", "--months", "0")
    out = sqms(env, "shell", "--no-imports", "-c", LANES)
    assert out.split() == ["True", "True"]
    assert "audit log intact" in sqms(env, "audit", "verify")
    # Tampering on the second chain is found, and said to be there.
    sqms(
        env,
        "shell",
        "--no-imports",
        "-c",
        "from sqms.common.models import AuditEntry; "
        "AuditEntry.objects.filter(action='lanes.pass').update(note='edited')",
    )
    proc = subprocess.run(
        [sys.executable, "-m", "sqms.cli", "audit", "verify"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 1
    assert "chain 2, entry #1: content does not match its hash" in proc.stderr


def test_concurrent_audit_entries_take_separate_chains_postgresql(tmp_path):
    on_scratch_postgres(tmp_path, _lanes, "audit chains test")
