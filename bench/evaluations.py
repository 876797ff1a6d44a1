"""The evaluations benchmark: one month's evaluation of every staff member, set-based, on SQLite
and PostgreSQL, against the same aggregation written directly in SQL in the same run.

    .venv/bin/python bench/evaluations.py [--backends sqlite,postgres] [--staff 50000]
        [--stores 5000] [--complaints 2000000] [--inspections 200000] [--seed 1]

Per backend, in a fresh database (SQLite in a temporary directory; PostgreSQL at
`SQMS_BENCH_PG_URL`, dropped and created again):

1. migrate; generate the chain (bench/generate.py: stores, ~50,000 staff); write the complaints
   over the 12 months before the evaluated month and in it (1/13 of them fall in the month),
   about 70 % of those verified substantiated, 60 % naming a staff member, and the inspections
   (mystery-shopper visits of staff, scored, submitted) all in the evaluated month — COPY on
   PostgreSQL, multi-row INSERT on SQLite, like bench/generate_complaints.py;
2. save a scheme: complaints 60 points (−15 per substantiated complaint), service 40 points
   (the mean inspection percentage), the cashier ladder of seed 000;
3. **SQMS**: `run_start` + `run_compute` for the month over the whole company — the facts
   gathered set-based (one query per source), every staff member scored by the rules engine
   with his lines, 50,000 scorecards and their lines bulk-written, ranks, unit and division
   means, the ladder;
4. **SQL**: the same aggregation as one statement — per staff member the month's substantiated
   complaints and mean inspection percentage, the score by the same formula, written into a
   table — plus the unit means;
5. check that both agree on every staff member's total, and report both times and the ratio.

A benchmark fixture: the data are written straight into the tables (not through the services,
which audit one row at a time).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MONTH = "2026-11"
START = dt.datetime(2026, 11, 1, tzinfo=dt.timezone(dt.timedelta(hours=8)))
END = dt.datetime(2026, 12, 1, tzinfo=dt.timezone(dt.timedelta(hours=8)))
SPEC: dict[str, Any] = {
    "code": "bench-monthly",
    "subject": "staff",
    "period": "month",
    "scale": 100,
    "decimals": 2,
    "components": [
        {
            "code": "complaints",
            "max": 60,
            "rules": [{"kind": "per_event", "source": "complaints.substantiated", "points": 15}],
        },
        {
            "code": "service",
            "max": 40,
            "rules": [{"kind": "checklist", "source": "inspections.percent:bench-visit"}],
        },
    ],
    "ladder": {
        "source": "complaints.substantiated",
        "steps": [
            {"count": 0, "amount": 30},
            {"count": 1, "amount": 20},
            {"count": 2, "amount": 0},
            {"count": 3, "amount": -30},
            {"count": 4, "amount": -100},
        ],
        "above": {"amount": -100, "outcome": "dismissal_review"},
    },
}
TEMPLATE = {
    "code": "bench-visit",
    "name_zh": "基准暗访",
    "name_en": "Bench visit",
    "subject": "staff",
    "kind": "mystery",
    "decimals": 1,
    "sections": [
        {
            "code": "M",
            "title": "Visit",
            "items": [{"code": f"M{i}", "text": f"item {i}", "points": 10} for i in range(1, 6)],
        }
    ],
}


# --- child: one backend ---------------------------------------------------------------------


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sqms.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def _write_complaints(n: int, staff: list[tuple[int, int]], seed: int) -> int:
    from bench.generate_complaints import Writer
    from sqms.complaints.models import Complaint

    rng = random.Random(f"sqms-bench:{seed}:eval-complaints")
    writer = Writer(Complaint)
    year_start = START - dt.timedelta(days=365)
    span = (END - year_start).total_seconds()
    in_month = 0
    batch: list[tuple[Any, ...]] = []
    now = END
    statuses = ["closed"] * 90 + ["voided"] * 4 + ["withdrawn"] * 3 + ["investigating"] * 3
    for i in range(n):
        at = year_start + dt.timedelta(seconds=rng.random() * span)
        staff_id, unit_id = staff[rng.randrange(len(staff))]
        status = rng.choice(statuses)
        verified = status == "closed"
        substantiated = (rng.random() < 0.7) if verified else None
        in_month += START <= at < END
        batch.append(
            writer.row(
                {
                    "ref": f"B{i:09d}",
                    "channel": "desk",
                    "received_at": at,
                    "unit_id": unit_id,
                    "responsible_unit_id": unit_id,
                    "staff_id": staff_id if rng.random() < 0.6 else None,
                    "description": "bench",
                    "status": status,
                    "substantiated": substantiated,
                    "created_at": now,
                    "updated_at": now,
                }
            )
        )
        if len(batch) >= 20000:
            writer.write(batch)
            batch = []
    writer.write(batch)
    return in_month


def _write_inspections(n: int, staff: list[tuple[int, int]], seed: int, inspector: int) -> None:
    from bench.generate_complaints import Writer
    from sqms.inspections.models import ChecklistTemplate, Inspection

    version = ChecklistTemplate.objects.get(code="bench-visit").versions.order_by("-number").first()
    rng = random.Random(f"sqms-bench:{seed}:eval-inspections")
    writer = Writer(Inspection)
    batch: list[tuple[Any, ...]] = []
    span = (END - START).total_seconds()
    for _i in range(n):
        staff_id, unit_id = staff[rng.randrange(len(staff))]
        at = START + dt.timedelta(seconds=rng.random() * span)
        score = Decimal(50 - 2 * rng.choice([0, 0, 0, 1, 1, 2, 3, 5]))
        batch.append(
            writer.row(
                {
                    "version_id": version.pk,  # type: ignore[union-attr]
                    "kind": "mystery",
                    "status": "submitted",
                    "unit_id": unit_id,
                    "staff_id": staff_id,
                    "inspector_id": inspector,
                    "covert": True,
                    "visited_at": at,
                    "score": score,
                    "max_points": Decimal(50),
                    "percent": (score * 2).quantize(Decimal("0.01")),
                    "submitted_score": score,
                    "submitted_at": at,
                    "created_at": at,
                    "updated_at": at,
                }
            )
        )
        if len(batch) >= 20000:
            writer.write(batch)
            batch = []
    writer.write(batch)


SQL = """
CREATE TABLE bench_sql_result AS
SELECT s.id AS staff_id, s.unit_id AS unit_id,
       {greatest}(0, 60 - 15 * COALESCE(c.n, 0)) + 40 * COALESCE(i.pct, 100) / 100 AS total
FROM org_staff s
LEFT JOIN (
    SELECT cc.staff_id, COUNT(*) AS n
    FROM complaints_complaint cc
    LEFT JOIN complaints_category cat ON cat.id = cc.category_id
    WHERE cc.received_at >= %s AND cc.received_at < %s
      AND cc.status NOT IN ('voided', 'withdrawn', 'merged')
      AND cc.substantiated = %s AND cc.staff_id IS NOT NULL
      AND (cc.category_id IS NULL OR cat.counts_against_staff = %s)
    GROUP BY cc.staff_id
) c ON c.staff_id = s.id
LEFT JOIN (
    SELECT ii.staff_id, ROUND(AVG(ii.percent), 2) AS pct
    FROM inspections_inspection ii
    JOIN inspections_templateversion v ON v.id = ii.version_id
    JOIN inspections_checklisttemplate t ON t.id = v.template_id
    WHERE ii.status = 'submitted' AND ii.visited_at >= %s AND ii.visited_at < %s
      AND ii.staff_id IS NOT NULL AND t.code = 'bench-visit'
    GROUP BY ii.staff_id
) i ON i.staff_id = s.id
WHERE s.start_date <= %s AND (s.end_date IS NULL OR s.end_date >= %s)
"""
UNIT_SQL = (
    "CREATE TABLE bench_sql_units AS SELECT unit_id, AVG(total) AS mean, COUNT(*) AS n "
    "FROM bench_sql_result GROUP BY unit_id"
)


def child(args: argparse.Namespace) -> dict[str, Any]:
    _setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from bench.generate import Scale, generate
    from sqms.evaluations import services
    from sqms.evaluations.models import Scorecard
    from sqms.inspections import services as insp
    from sqms.org.models import OrgUnit, Staff, User

    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    call_command("migrate", verbosity=0)
    timings["migrate"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    generate(Scale(stores=args.stores, staff=args.staff), seed=args.seed, verbose=False)
    timings["org"] = time.perf_counter() - t0
    staff = list(
        Staff.objects.filter(end_date__isnull=True).order_by("pk").values_list("pk", "unit_id")
    )
    admin = User.objects.get(username="bench-admin")
    t0 = time.perf_counter()
    with transaction.atomic():
        insp.template_save(actor=None, spec=TEMPLATE)
        in_month = _write_complaints(args.complaints, staff, args.seed)
        _write_inspections(args.inspections, staff, args.seed, admin.pk)
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
    timings["data"] = time.perf_counter() - t0
    version = services.scheme_save(
        actor=None,
        code="bench-monthly",
        name_zh="基准月度考评",
        name_en="Bench monthly evaluation",
        spec=SPEC,
        activate=True,
    )
    root = OrgUnit.objects.filter(parent__isnull=True).order_by("pk").first()
    assert root is not None

    t0 = time.perf_counter()
    run = services.run_start(actor=None, version=version, period=MONTH, scope=root, enqueue=False)
    run = services.run_compute(run.pk)
    sqms_s = time.perf_counter() - t0

    greatest = "GREATEST" if connection.vendor == "postgresql" else "MAX"
    day_lo, day_hi = dt.date(2026, 11, 1), dt.date(2026, 11, 30)
    lo, hi = START, END
    if connection.vendor == "sqlite":  # stored as naive UTC text: compare like with like
        from bench.generate_complaints import sqlite_value

        lo, hi = sqlite_value(START), sqlite_value(END)
    t0 = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            SQL.format(greatest=greatest),
            [lo, hi, True, True, lo, hi, day_hi, day_lo],
        )
        cur.execute(UNIT_SQL)
    sql_s = time.perf_counter() - t0

    with connection.cursor() as cur:
        cur.execute("SELECT staff_id, total FROM bench_sql_result")
        expected = {pk: Decimal(str(t)) for pk, t in cur.fetchall()}
    got = dict(Scorecard.objects.filter(run=run).values_list("staff_id", "total"))
    # SQMS rounds the mean percentage to 0.01 (inspections.facts) and the total half-up to the
    # scheme's 2 decimals; the SQL works in floating point: equal within a cent.
    mismatches = [
        pk for pk, t in expected.items() if pk not in got or abs(got[pk] - t) > Decimal("0.011")
    ]
    return {
        "backend": connection.vendor,
        "staff": len(staff),
        "scorecards": run.total,
        "complaints": args.complaints,
        "complaints_in_month": in_month,
        "inspections": args.inspections,
        "sqms_seconds": round(sqms_s, 2),
        "sql_seconds": round(sql_s, 2),
        "ratio": round(sqms_s / sql_s, 1) if sql_s else None,
        "mismatches": len(mismatches),
        "setup": {k: round(v, 1) for k, v in timings.items()},
    }


# --- parent: every backend ------------------------------------------------------------------


def _pg_fresh(url: str) -> bool:
    import psycopg

    base, _sep, name = url.rpartition("/")
    try:
        with psycopg.connect(f"{base}/postgres", autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        print(f"== PostgreSQL not reachable at {url}: SKIPPED ({exc})", flush=True)
        return False
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--staff", type=int, default=50000)
    parser.add_argument("--stores", type=int, default=5000)
    parser.add_argument("--complaints", type=int, default=2_000_000)
    parser.add_argument("--inspections", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out", default=str(ROOT / "bench" / "out" / "evaluations.json"))
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args)), flush=True)
        return 0
    results = []
    for backend in args.backends.split(","):
        tmp = Path(tempfile.mkdtemp(prefix=f"sqms-bench-eval-{backend}-"))
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
        env.update({"SQMS_VAR_DIR": str(tmp), "SQMS_DEBUG": "false", "PYTHONPATH": str(ROOT)})
        if backend == "postgres":
            url = os.environ.get(
                "SQMS_BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/sqms_bench"
            )
            if not _pg_fresh(url):
                results.append({"backend": "postgresql", "skipped": True})
                continue
            env["DATABASE_URL"] = url
        print(f"== {backend}: generating and evaluating …", flush=True)
        cmd = [sys.executable, __file__, "--child", *_passthrough(args)]
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
        shutil.rmtree(tmp, ignore_errors=True)
        if proc.returncode != 0:
            print(proc.stdout[-3000:], proc.stderr[-5000:], sep="\n")
            results.append({"backend": backend, "failed": True})
            continue
        result = json.loads(proc.stdout.strip().splitlines()[-1])
        results.append(result)
        print(
            f"   {result['backend']}: {result['scorecards']:,} scorecards from "
            f"{result['complaints']:,} complaints ({result['complaints_in_month']:,} in the "
            f"month) and {result['inspections']:,} inspections: SQMS {result['sqms_seconds']} s, "
            f"SQL {result['sql_seconds']} s, ratio {result['ratio']}×, "
            f"{result['mismatches']} totals differing; set-up {result['setup']}",
            flush=True,
        )
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=2))
    bad = any(r.get("failed") or r.get("mismatches") for r in results)
    return 1 if bad else 0


def _passthrough(args: argparse.Namespace) -> list[str]:
    return [
        f"--staff={args.staff}",
        f"--stores={args.stores}",
        f"--complaints={args.complaints}",
        f"--inspections={args.inspections}",
        f"--seed={args.seed}",
    ]


if __name__ == "__main__":
    sys.exit(main())
