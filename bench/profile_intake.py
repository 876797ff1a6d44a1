"""Where the time of one API intake goes: POST /api/v1/complaints in-process (Django's test
client, no HTTP server), with the SQL of each request and a cProfile of N requests.

    SQMS_VAR_DIR=/tmp/sqms-bench-complaints-sqlite-XXXX \\
        .venv/bin/python bench/profile_intake.py --manifest $SQMS_VAR_DIR/complaints.json -n 200

(a directory kept by `bench/run.py --suite complaints --keep`; add DATABASE_URL for PostgreSQL).
Prints the queries of one request grouped by table and kind, the time spent in the pieces the
lead asked about (working-calendar build, audit append, notifications, token lookup,
idempotency record, response building), and the top functions by cumulative time.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import importlib
import json
import pstats
import random
import re
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from bench.intake import INTAKE_PATH, complaint_body  # noqa: E402

# (label, module, attribute): the suspects, timed by wrapping the module attribute (functions
# look their callees up in the module at call time, so the wrapper sees every call).
WRAPPED = [
    ("token lookup", "sqms.common.api", "token_authenticate"),
    ("idempotency wrapper, all in", "sqms.complaints.api", "idempotent"),
    ("unit lookup, scoped (api._unit)", "sqms.complaints.api", "_unit"),
    ("staff lookup (api._staff)", "sqms.complaints.api", "_staff"),
    ("category lookup (api._category)", "sqms.complaints.api", "_category"),
    ("complaint_create, all in", "sqms.complaints.api", "services.complaint_create"),
    ("policy_for", "sqms.complaints.services", "policy_for"),
    ("working calendar build (calendar_for)", "sqms.complaints.services", "calendar_for"),
    ("clocks (_start_clock)", "sqms.complaints.services", "_start_clock"),
    ("next deadline (_refresh_deadline)", "sqms.complaints.services", "_refresh_deadline"),
    ("timeline event (_event)", "sqms.complaints.services", "_event"),
    ("audit append (audit_record)", "sqms.complaints.services", "audit_record"),
    ("notifications (_notify_unit)", "sqms.complaints.services", "_notify_unit"),
    ("response (_out)", "sqms.complaints.api", "_out"),
    ("transaction COMMIT", "django.db.backends.base.base", "BaseDatabaseWrapper._commit"),
]


class Pieces:
    """Wall-clock time and queries per wrapped function; a query counts for the innermost piece
    running, and 'self' time excludes the wrapped pieces called inside."""

    def __init__(self) -> None:
        self.total: dict[str, float] = {}
        self.own: dict[str, float] = {}
        self.queries: dict[str, int] = {}
        self.sql: dict[str, float] = {}  # time in the database driver, per piece
        self.statements: dict[tuple[str, str], float] = {}
        self.stack: list[list[Any]] = []  # [label, start, time in children]

    def wrap(self, label: str, fn: Any) -> Any:
        def wrapper(*a: Any, **k: Any) -> Any:
            self.stack.append([label, time.perf_counter(), 0.0])
            try:
                return fn(*a, **k)
            finally:
                lab, t0, children = self.stack.pop()
                spent = time.perf_counter() - t0
                self.total[lab] = self.total.get(lab, 0.0) + spent
                self.own[lab] = self.own.get(lab, 0.0) + spent - children
                if self.stack:
                    self.stack[-1][2] += spent

        return wrapper

    def query(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        lab = self.stack[-1][0] if self.stack else "(outside the pieces)"
        self.queries[lab] = self.queries.get(lab, 0) + 1
        t0 = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            spent = time.perf_counter() - t0
            self.sql[lab] = self.sql.get(lab, 0.0) + spent
            key = (lab, _norm(sql))
            self.statements[key] = self.statements.get(key, 0.0) + spent

    def install(self) -> None:
        for label, module, attr in WRAPPED:
            mod = importlib.import_module(module)
            owner_name, _, name = attr.rpartition(".")
            owner = getattr(mod, owner_name) if owner_name else mod
            setattr(owner, name, self.wrap(label, getattr(owner, name)))


def _norm(sql: str) -> str:
    m = re.match(
        r"\s*(SELECT|INSERT INTO|UPDATE|DELETE FROM|SAVEPOINT|RELEASE|BEGIN|COMMIT)", sql, re.I
    )
    kind = m.group(1).upper() if m else sql[:20]
    t = re.search(r'(?:FROM|INTO|UPDATE)\s+"?([a-z_]+)"?', sql, re.I)
    return f"{kind} {t.group(1) if t else ''}".strip()


_held: list[float] = []


def _time_transactions(stop: bool = False) -> list[float]:
    """Record how long each outermost transaction of the connection lasts (BEGIN to the end of
    COMMIT), into the list returned; `stop` puts the connection's methods back."""
    wrapper = connection
    if stop:
        for name in ("_start_transaction_under_autocommit", "_commit"):
            wrapper.__dict__.pop(name, None)
        return _held
    if not hasattr(wrapper, "_start_transaction_under_autocommit"):
        return _held  # a backend that lets the database open transactions itself
    begin, commit = wrapper._start_transaction_under_autocommit, wrapper._commit
    started: list[float] = []

    def timed_begin() -> None:
        started.append(time.perf_counter())
        begin()

    def timed_commit() -> None:
        commit()
        if started:
            _held.append((time.perf_counter() - started.pop()) * 1000)

    wrapper._start_transaction_under_autocommit = timed_begin  # type: ignore[method-assign]
    wrapper._commit = timed_commit  # type: ignore[method-assign]
    return _held


def _time_collections() -> list[float]:
    """The duration of each garbage collection from now on (ms), into the list returned."""
    spent: list[float] = []
    began: list[float] = []

    def callback(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            began.append(time.perf_counter())
        elif began:
            spent.append((time.perf_counter() - began.pop()) * 1000)

    gc.callbacks.append(callback)
    return spent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--manifest", type=Path, required=True, help="complaints.json of a run")
    parser.add_argument("-n", type=int, default=200, help="requests to profile")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--sort", default="cumulative", help="cProfile order: cumulative, tottime")
    args = parser.parse_args(argv)
    intake = json.loads(args.manifest.read_text())["intake"]
    client = Client()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {intake['tokens'][0]}"}
    rng = random.Random("profile")
    tag = f"profile-{int(time.time())}"

    def post(i: int) -> None:
        body = json.dumps(complaint_body(rng, intake), ensure_ascii=False)
        resp = client.post(
            INTAKE_PATH,
            body,
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY=f"{tag}-{i}",
            **auth,
        )
        if resp.status_code != 201:
            raise SystemExit(f"HTTP {resp.status_code}: {resp.content[:300]!r}")

    for i in range(5):  # warm caches, connections, imports
        post(-1 - i)
    with CaptureQueriesContext(connection) as ctx:
        post(0)
    kinds = Counter(_norm(q["sql"]) for q in ctx.captured_queries)
    sql_ms = sum(float(q["time"]) for q in ctx.captured_queries) * 1000
    print(f"{connection.vendor}: one intake = {len(ctx.captured_queries)} queries, {sql_ms:.1f} ms")
    for k, n in kinds.most_common():
        print(f"  {n:>3}  {k}")

    gc_ms = _time_collections()
    took: list[float] = []
    held = _time_transactions()
    for i in range(1, args.n + 1):
        t0 = time.perf_counter()
        post(10_000 + i)
        took.append((time.perf_counter() - t0) * 1000)
    took.sort()
    held.sort()
    print(
        f"\n{args.n} requests in-process: {sum(took) / len(took):.1f} ms per request, wall clock"
        f" (median {took[len(took) // 2]:.2f}, fastest tenth {took[len(took) // 10]:.2f} ms:"
        " the median is the figure to compare on a noisy machine)"
    )
    slow = [t for t in took if t > 20 * took[len(took) // 2]]
    print(
        f"  slowest {took[-1]:.1f} ms; {len(slow)} over 20x the median, {sum(slow):.0f} ms in all"
    )
    if held:
        print(
            f"  transaction, BEGIN to the end of COMMIT (on SQLite the writers' lock is held"
            f" throughout): median {held[len(held) // 2]:.2f}, fastest tenth"
            f" {held[len(held) // 10]:.2f} ms"
        )
    _time_transactions(stop=True)
    print(
        f"  garbage collection: {sum(gc_ms) / args.n:.2f} ms per request"
        f" ({len(gc_ms)} collections, longest {max(gc_ms, default=0):.1f} ms)"
    )
    gc.callbacks.clear()

    pieces = Pieces()
    pieces.install()
    t0 = time.perf_counter()
    with connection.execute_wrapper(pieces.query):
        for i in range(1, args.n + 1):
            post(20_000 + i)
    timed_ms = (time.perf_counter() - t0) / args.n * 1000
    print(f"{args.n} more with the pieces timed: {timed_ms:.1f} ms per request")
    print(
        f"  {'piece (ms per request)':<40} {'all in':>8} {'self':>8} {'share':>6} {'queries':>7}"
        f" {'SQL ms':>7}"
    )
    for label, _m, _a in WRAPPED:
        total = pieces.total.get(label, 0.0) / args.n * 1000
        own = pieces.own.get(label, 0.0) / args.n * 1000
        q = pieces.queries.get(label, 0) / args.n
        sql = pieces.sql.get(label, 0.0) / args.n * 1000
        print(
            f"  {label:<40} {total:7.2f}  {own:7.2f}  {100 * own / timed_ms:5.1f}%  {q:7.1f} "
            f"{sql:7.2f}"
        )
    outside = timed_ms - sum(pieces.own.values()) / args.n * 1000
    q = pieces.queries.get("(outside the pieces)", 0) / args.n
    print(
        f"  {'the rest (Django, ninja, middleware)':<40} {'':>8} {outside:7.2f}  "
        f"{100 * outside / timed_ms:5.1f}%  {q:7.1f}"
    )

    print("\nSQL time by statement (ms per request), largest first:")
    ranked = sorted(pieces.statements.items(), key=lambda kv: -kv[1])
    for (label, kind), spent in ranked[:15]:
        print(f"  {spent / args.n * 1000:6.2f}  {kind:<40} in {label}")

    prof = cProfile.Profile()
    prof.enable()
    for i in range(1, args.n + 1):
        post(30_000 + i)
    prof.disable()
    stats = pstats.Stats(prof)
    print()
    stats.sort_stats(args.sort).print_stats(args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
