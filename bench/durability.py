"""The durability phase of the complaints suite: SIGKILL the SQMS server under intake load,
restart it, and check with SQL that every acknowledged complaint is there and that retrying
every request with its Idempotency-Key creates nothing twice."""

from __future__ import annotations

import contextlib
import http.client
import json
import random
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.intake import INTAKE_PATH, _post, complaint_body
from bench.load import TIMEOUT_S
from bench.run import HOST, ROOT, Server, log


def _db_rows(backend: str, database: str, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
    """A read straight from the database (not through SQMS), for the durability checks."""
    if backend == "postgres":
        import psycopg

        with psycopg.connect(database) as conn:
            return list(conn.execute(sql.replace("?", "%s"), params).fetchall())
    with contextlib.closing(sqlite3.connect(database, timeout=30)) as conn:
        return list(conn.execute(sql, params).fetchall())


def durability(
    backend: str,
    database: str,
    server: Server,
    start_server: Callable[[], Server],
    intake: dict[str, Any],
    kill_after_s: float,
    env: dict[str, str],
    logfile: Path,
) -> tuple[dict[str, Any], Server]:
    """Kill the SQMS server mid-run, restart it, check acknowledged complaints and retries."""
    clients = 32
    tokens = intake["tokens"]
    tag = f"dur-{backend}-{int(time.time())}"
    (before_max,) = _db_rows(
        backend, database, "SELECT COALESCE(MAX(id), 0) FROM complaints_complaint"
    )[0]
    lock = threading.Lock()
    sent: dict[str, tuple[int, bytes]] = {}  # key -> (client, body)
    acked: dict[str, str] = {}  # key -> ref, for every 201
    refused: dict[str, int] = {}  # key -> HTTP status other than 201
    lost: list[str] = []  # keys whose request got no answer (the kill)
    stop_at = time.monotonic() + kill_after_s + 30

    def client(index: int) -> None:
        rng = random.Random(f"{tag}:{index}")
        conn = http.client.HTTPConnection(HOST, server.port, timeout=TIMEOUT_S)
        seq = 0
        try:
            while time.monotonic() < stop_at:
                seq += 1
                key = f"{tag}-{index}-{seq}"
                body = json.dumps(complaint_body(rng, intake), ensure_ascii=False).encode()
                with lock:
                    sent[key] = (index, body)
                headers = {
                    "Authorization": f"Bearer {tokens[index % len(tokens)]}",
                    "Content-Type": "application/json",
                    "Idempotency-Key": key,
                }
                try:
                    status, data, _r = _post(conn, INTAKE_PATH, body, headers)
                except (OSError, http.client.HTTPException):
                    with lock:
                        lost.append(key)
                    return
                with lock:
                    if status == 201:
                        acked[key] = json.loads(data)["ref"]
                    else:
                        refused[key] = status
        finally:
            conn.close()

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for t in threads:
        t.start()
    time.sleep(kill_after_s)
    with lock:
        acked_at_kill = len(acked)
    server.kill()
    killed_at = time.monotonic()
    for t in threads:
        t.join(timeout=TIMEOUT_S + 5)
    log(
        f"{backend}: durability: SIGKILL after {kill_after_s:.0f} s with {acked_at_kill} "
        f"acknowledged; {len(acked)} acknowledged in all, {len(lost)} without an answer, "
        f"{len(refused)} refused"
    )
    restarted = start_server()
    restart_s = time.monotonic() - killed_at

    refs = list(acked.values())
    found = 0
    for start in range(0, len(refs), 500):
        chunk = refs[start : start + 500]
        marks = ", ".join("?" * len(chunk))
        found += _db_rows(
            backend,
            database,
            f"SELECT COUNT(*) FROM complaints_complaint WHERE ref IN ({marks})",
            tuple(chunk),
        )[0][0]
    (after_kill,) = _db_rows(
        backend, database, "SELECT COUNT(*) FROM complaints_complaint WHERE id > ?", (before_max,)
    )[0]

    # Retry every request that was sent, acknowledged or not, with its own key and body.
    replay_same = replay_other = created = retry_errors = 0
    retry_samples: list[str] = []
    conns: dict[int, http.client.HTTPConnection] = {}
    for key, (index, body) in sent.items():
        conn = conns.setdefault(
            index, http.client.HTTPConnection(HOST, restarted.port, timeout=TIMEOUT_S)
        )
        headers = {
            "Authorization": f"Bearer {tokens[index % len(tokens)]}",
            "Content-Type": "application/json",
            "Idempotency-Key": key,
        }
        try:
            status, data, _r = _post(conn, INTAKE_PATH, body, headers)
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            retry_errors += 1
            retry_samples.append(f"{key}: {type(exc).__name__}: {exc}")
            continue
        if status != 201:
            retry_errors += 1
            if len(retry_samples) < 5:
                retry_samples.append(f"{key}: HTTP {status} {data[:160]!r}")
            continue
        ref = json.loads(data)["ref"]
        if key in acked:
            if ref == acked[key]:
                replay_same += 1
            else:
                replay_other += 1
        else:
            created += 1
    for conn in conns.values():
        conn.close()
    (after_retry,) = _db_rows(
        backend, database, "SELECT COUNT(*) FROM complaints_complaint WHERE id > ?", (before_max,)
    )[0]
    verify = subprocess.run(
        [sys.executable, "-m", "sqms.cli", "audit", "verify"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    with logfile.open("a") as fh:
        fh.write(f"$ sqms audit verify\n{verify.stdout}{verify.stderr}\n")
    report = {
        "clients": clients,
        "kill_after_s": kill_after_s,
        "sent": len(sent),
        "acknowledged": len(acked),
        "acknowledged_found_after_restart": found,
        "no_answer_at_kill": len(lost),
        "refused": len(refused),
        "refused_statuses": sorted(set(refused.values())),
        "complaints_after_restart": after_kill,
        "retried": len(sent),
        "replayed_same_ref": replay_same,
        "replayed_other_ref": replay_other,
        "created_on_retry": created,
        "retry_errors": retry_errors,
        "retry_error_samples": retry_samples[:5],
        "complaints_after_retry": after_retry,
        "distinct_keys": len(sent),
        "duplicates": after_retry - len(sent),
        "restart_s": round(restart_s, 2),
        "audit_verify_exit": verify.returncode,
        "audit_verify": (verify.stdout + verify.stderr).strip().splitlines()[-1:],
    }
    report["ok"] = (
        found == len(acked)
        and replay_other == 0
        and retry_errors == 0
        and after_retry == len(sent)
        and verify.returncode == 0
    )
    return report, restarted
