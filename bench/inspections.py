"""The inspections benchmark: period facts over many submitted inspections, set-based, against
the same aggregation written directly in SQL in the same run; and the server time of submitting
an inspection with 30 items and 3 photos from the phone page.

    .venv/bin/python bench/inspections.py [--backends sqlite,postgres] [--inspections 200000]
        [--items 30] [--submits 60] [--repeat 3] [--keep]

Per backend, in a fresh database (SQLite in a temporary directory; PostgreSQL at
SQMS_BENCH_PG_URL, dropped and created again), in a child process of its own:

1. migrate; an organisation of 1 company, 5 regions, 100 stores and 2,000 staff, and one
   checklist of `--items` items (100 points) saved through the services;
2. bulk-insert `--inspections` submitted inspections (half of a staff member, half of a store),
   visited over the first half of 2026, each with its `--items` answers (5% of answers failed,
   1-2 nonconformities): SQLite with executemany in one transaction, PostgreSQL with COPY;
   then ANALYZE;
3. period facts for 2026-01-01..2026-06-30, each `--repeat` times, best and median reported:
   `inspection_scores(subject="staff")`, `inspection_scores(subject="unit")`,
   `inspection_deductions(...)` (sqms.inspections.facts), and the same three aggregations as
   plain SQL through the DB-API cursor (fetching every row), so the ratio says what the ORM and
   the Python objects cost on top of the database's own work; the facts' answers are checked
   against the SQL's;
4. submit: `--submits` drafts of the same checklist, each answered item by item and with 3
   photos (not timed), then POST /inspections/<id>/submit/ through Django's test client with
   every middleware of the real stack (session, CSRF, auth, CSP, htmx); the server time of that
   request is measured (p50, p95, max), and of the answer and photo requests along the way.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

PG_URL = os.environ.get("SQMS_BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/sqms_bench")
GOAL_FACTS_S = 30.0
GOAL_SUBMIT_P95_MS = 200.0
PERIOD = ("2026-01-01", "2026-06-30")


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# --- child: one backend --------------------------------------------------------------------


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sqms.settings")
    import django

    django.setup()


def _org(n_regions: int, n_stores: int, n_staff: int) -> dict[str, Any]:
    import datetime as dt

    from sqms.org import services as org
    from sqms.org.models import OrgUnit, Position, Staff, UnitKind, User
    from sqms.org.roles import Role

    pos = org.position_upsert(actor=None, code="cashier", name_zh="收银员", name_en="Cashier")
    hq = org.unit_create(actor=None, code="HQ", name="总部", kind=UnitKind.COMPANY, parent=None)
    stores = []
    for r in range(n_regions):
        region = org.unit_create(
            actor=None, code=f"R{r:02d}", name=f"区域{r}", kind=UnitKind.REGION, parent=hq
        )
        for s in range(n_stores // n_regions):
            stores.append(
                org.unit_create(
                    actor=None,
                    code=f"S{r:02d}{s:03d}",
                    name=f"门店{r}-{s}",
                    kind=UnitKind.STORE,
                    parent=region,
                )
            )
    staff = [
        Staff(
            employee_no=f"E{i:06d}",
            name=f"员工{i}",
            unit=stores[i % len(stores)],
            position=pos,
            start_date=dt.date(2020, 1, 1),
        )
        for i in range(n_staff)
    ]
    Staff.objects.bulk_create(staff, batch_size=1000)
    inspector = org.user_create(actor=None, username="inspector", password="bench-bench-2026")
    org.role_grant(actor=None, user=inspector, role=Role.QUALITY_MANAGER, unit=hq)
    del Position, User
    return {
        "stores": [s.pk for s in stores],
        "staff": list(Staff.objects.values_list("pk", "unit_id")),
        "inspector": inspector,
        "hq": OrgUnit.objects.get(code="HQ"),
    }


def _checklist(n_items: int) -> Any:
    from sqms.inspections import services
    from sqms.inspections.models import ChecklistTemplate

    per_section = 10
    sections = []
    for s in range((n_items + per_section - 1) // per_section):
        items = []
        for i in range(per_section):
            k = s * per_section + i
            if k >= n_items:
                break
            items.append(
                {
                    "code": f"I{k + 1:02d}",
                    "text": f"检查项 {k + 1}",
                    "points": 100 / n_items,
                    "deduction": 1,
                    "evidence_required": k < 3,
                }
            )
        sections.append({"code": f"S{s + 1}", "title": f"部分 {s + 1}", "items": items})
    services.template_save(
        actor=None,
        spec={
            "code": "bench",
            "name_zh": "基准检查表",
            "subject": "unit",
            "kind": "qc_round",
            "decimals": 1,
            "sections": sections,
        },
    )
    return ChecklistTemplate.objects.get(code="bench")


def _generate(n: int, n_items: int, org: dict[str, Any], template: Any, seed: int) -> float:
    """Bulk-insert n submitted inspections with their answers; returns seconds."""
    import datetime as dt
    from decimal import Decimal

    from django.db import connection, transaction

    from sqms.inspections.models import TemplateItem

    rng = random.Random(seed)
    version = template.current
    items = list(
        TemplateItem.objects.filter(version=version).order_by("order").values_list("pk", "points")
    )
    max_points = float(version.max_points)
    start = dt.datetime(2026, 1, 1, 1, 0, tzinfo=dt.UTC)
    span = 180 * 86400 - 7200
    inspector_id = org["inspector"].pk
    t0 = time.perf_counter()
    inspections: list[tuple[Any, ...]] = []
    answers: list[tuple[Any, ...]] = []
    batch = 20000

    def flush() -> None:
        if not inspections:
            return
        cols_i = (
            "id, version_id, kind, status, unit_id, staff_id, inspector_id, covert, visited_at, "
            "time_slot, area, script, notes, score, max_points, percent, vetoed, "
            "submitted_score, submitted_at, published_at, void_reason, created_at, updated_at"
        )
        cols_a = (
            'inspection_id, item_id, "order", answered, nonconformities, not_applicable, note, '
            "deducted, overturned"
        )
        with connection.cursor() as cur:
            if connection.vendor == "postgresql":
                raw = cur.cursor
                with raw.copy(f"COPY inspections_inspection ({cols_i}) FROM STDIN") as copy:
                    for row in inspections:
                        copy.write_row(row)
                with raw.copy(f"COPY inspections_answer ({cols_a}) FROM STDIN") as copy:
                    for row in answers:
                        copy.write_row(row)
            else:
                cur.executemany(
                    f"INSERT INTO inspections_inspection ({cols_i}) VALUES "
                    f"({', '.join(['%s'] * 23)})",
                    inspections,
                )
                cur.executemany(
                    f"INSERT INTO inspections_answer ({cols_a}) VALUES ({', '.join(['%s'] * 9)})",
                    answers,
                )
        inspections.clear()
        answers.clear()

    staff = org["staff"]
    stores = org["stores"]
    with transaction.atomic():
        for i in range(1, n + 1):
            visited = start + dt.timedelta(seconds=rng.randrange(span))
            if i % 2:
                staff_id, unit_id = staff[rng.randrange(len(staff))]
            else:
                staff_id, unit_id = None, stores[rng.randrange(len(stores))]
            lost = 0.0
            for order, (item_id, points) in enumerate(items):
                n_bad = 0
                if rng.random() < 0.05:
                    n_bad = 1 if rng.random() < 0.7 else 2
                deducted = min(float(points), float(n_bad))
                lost += deducted
                answers.append(
                    (i, item_id, order, True, n_bad, False, "", round(deducted, 2), False)
                )
            score = round(max(max_points - lost, 0.0), 1)
            pct = round(score * 100 / max_points, 2)
            submitted = visited + dt.timedelta(minutes=30)
            inspections.append(
                (
                    i,
                    version.pk,
                    "qc_round",
                    "submitted",
                    unit_id,
                    staff_id,
                    inspector_id,
                    False,
                    visited,
                    "",
                    "",
                    "",
                    "",
                    Decimal(str(score)),
                    Decimal(str(max_points)),
                    Decimal(str(pct)),
                    False,
                    Decimal(str(score)),
                    submitted,
                    submitted,
                    "",
                    submitted,
                    submitted,
                )
            )
            if len(inspections) >= batch:
                flush()
        flush()
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute(
                "SELECT setval(pg_get_serial_sequence('inspections_inspection', 'id'), "
                "(SELECT MAX(id) FROM inspections_inspection))"
            )
    if connection.vendor == "postgresql":
        old = connection.connection.autocommit
        connection.connection.autocommit = True
        with connection.cursor() as cur:
            cur.execute("VACUUM ANALYZE inspections_inspection")
            cur.execute("VACUUM ANALYZE inspections_answer")
        connection.connection.autocommit = old
    else:
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
    return time.perf_counter() - t0


SQL_SCORES = """
SELECT {key}, COUNT(*), AVG(score), AVG(percent), MAX(max_points)
FROM inspections_inspection
WHERE status = 'submitted' AND visited_at >= %s AND visited_at < %s AND staff_id IS {null}
GROUP BY {key} ORDER BY {key}
"""
SQL_DEDUCTIONS = """
SELECT a.inspection_id, a.id, a.item_id, it.code, s.code, t.code, i.unit_id, i.staff_id,
       i.visited_at, a.nonconformities, a.deducted, ap.outcome
FROM inspections_answer a
JOIN inspections_inspection i ON i.id = a.inspection_id
JOIN inspections_templateitem it ON it.id = a.item_id
JOIN inspections_templatesection s ON s.id = it.section_id
JOIN inspections_templateversion v ON v.id = i.version_id
JOIN inspections_checklisttemplate t ON t.id = v.template_id
LEFT JOIN inspections_appeal ap ON ap.answer_id = a.id
WHERE a.deducted > 0 AND a.overturned = %s AND i.status = 'submitted'
  AND i.visited_at >= %s AND i.visited_at < %s
ORDER BY a.inspection_id, a."order"
"""


def _timed(fn: Any, repeat: int) -> tuple[list[float], Any]:
    times = []
    result = None
    for _i in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return times, result


def _facts(repeat: int) -> dict[str, Any]:
    import datetime as dt

    from django.db import connection
    from django.utils import timezone

    from sqms.inspections import facts

    start, end = (dt.date.fromisoformat(d) for d in PERIOD)
    lo = timezone.make_aware(dt.datetime.combine(start, dt.time.min))
    hi = timezone.make_aware(dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min))

    def sql(query: str, params: list[Any]) -> list[Any]:
        with connection.cursor() as cur:
            cur.execute(query, params)
            return cur.fetchall()

    out: dict[str, Any] = {}
    cases = [
        (
            "scores_staff",
            lambda: facts.inspection_scores(start, end, subject="staff"),
            lambda: sql(SQL_SCORES.format(key="staff_id", null="NOT NULL"), [lo, hi]),
        ),
        (
            "scores_unit",
            lambda: facts.inspection_scores(start, end, subject="unit"),
            lambda: sql(SQL_SCORES.format(key="unit_id", null="NULL"), [lo, hi]),
        ),
        (
            "deductions",
            lambda: facts.inspection_deductions(start, end),
            lambda: sql(SQL_DEDUCTIONS, [False, lo, hi]),
        ),
    ]
    for name, orm, raw in cases:
        # Interleaved, so both see the same cache state and machine noise.
        orm_times: list[float] = []
        raw_times: list[float] = []
        orm_rows: Any = None
        raw_rows: Any = None
        for _i in range(repeat):
            t, orm_rows = _timed(orm, 1)
            orm_times += t
            t, raw_rows = _timed(raw, 1)
            raw_times += t
        assert orm_rows is not None and raw_rows is not None
        if name.startswith("scores"):
            agree = len(orm_rows) == len(raw_rows) and all(
                (f.subject_id, f.n) == (r[0], r[1]) for f, r in zip(orm_rows, raw_rows, strict=True)
            )
            n_inspections = sum(f.n for f in orm_rows)
        else:
            agree = len(orm_rows) == len(raw_rows) and all(
                (f.answer_id, float(f.deducted)) == (r[1], float(r[10]))
                for f, r in zip(orm_rows, raw_rows, strict=True)
            )
            n_inspections = len({f.inspection_id for f in orm_rows})
        out[name] = {
            "rows": len(orm_rows),
            "inspections": n_inspections,
            "facts_best_s": round(min(orm_times), 3),
            "facts_median_s": round(statistics.median(orm_times), 3),
            "sql_best_s": round(min(raw_times), 3),
            "sql_median_s": round(statistics.median(raw_times), 3),
            "ratio_median": round(statistics.median(orm_times) / statistics.median(raw_times), 2),
            "agree": agree,
        }
        log(f"  {name}: {out[name]}")
    total = sum(out[k]["facts_median_s"] for k in out)
    out["all_facts_median_s"] = round(total, 3)
    out["all_sql_median_s"] = round(sum(out[k]["sql_median_s"] for k in list(out)[:3]), 3)
    return out


PNG_CACHE: dict[str, bytes] = {}


def _jpeg() -> bytes:
    """A phone-sized photo (1600×1200 JPEG, ~100 KB) stand-in."""
    if "jpeg" not in PNG_CACHE:
        import io

        from PIL import Image, ImageDraw

        img = Image.new("RGB", (1600, 1200), (200, 210, 220))
        draw = ImageDraw.Draw(img)
        rng = random.Random(7)
        for _i in range(400):
            x, y = rng.randrange(1600), rng.randrange(1200)
            draw.ellipse(
                [x, y, x + 40, y + 40],
                fill=(rng.randrange(255), rng.randrange(255), rng.randrange(255)),
            )
        out = io.BytesIO()
        img.save(out, format="JPEG", quality=80)
        PNG_CACHE["jpeg"] = out.getvalue()
    return PNG_CACHE["jpeg"]


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


def _submits(n: int, org: dict[str, Any], template: Any) -> dict[str, Any]:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client

    from sqms.inspections import services
    from sqms.inspections.models import Inspection, Status

    user = org["inspector"]
    client = Client()
    client.force_login(user)
    rng = random.Random(3)
    submit_ms: list[float] = []
    answer_ms: list[float] = []
    photo_ms: list[float] = []
    for k in range(n):
        unit_id = org["stores"][k % len(org["stores"])]
        from sqms.org.models import OrgUnit

        inspection = services.inspection_start(
            actor=user, template=template, unit=OrgUnit.objects.get(pk=unit_id)
        )
        answers = list(inspection.answers.order_by("order").values_list("pk", flat=True))
        for j, answer_id in enumerate(answers):
            action = "more" if j < 3 or rng.random() < 0.1 else "ok"
            t0 = time.perf_counter()
            r = client.post(
                f"/inspections/{inspection.pk}/answers/{answer_id}/",
                {"action": action},
                HTTP_HX_REQUEST="true",
            )
            answer_ms.append((time.perf_counter() - t0) * 1000)
            assert r.status_code == 200, r.status_code
        for j in range(3):
            f = SimpleUploadedFile(f"p{j}.jpg", _jpeg(), content_type="image/jpeg")
            t0 = time.perf_counter()
            r = client.post(
                f"/inspections/{inspection.pk}/photos/",
                {"answer": answers[j], "photo": f},
                HTTP_HX_REQUEST="true",
            )
            photo_ms.append((time.perf_counter() - t0) * 1000)
            assert r.status_code == 200, r.status_code
        t0 = time.perf_counter()
        r = client.post(f"/inspections/{inspection.pk}/submit/")
        submit_ms.append((time.perf_counter() - t0) * 1000)
        assert r.status_code == 302, r.status_code
        assert Inspection.objects.get(pk=inspection.pk).status == Status.SUBMITTED

    def summary(values: list[float]) -> dict[str, float]:
        return {
            "n": len(values),
            "p50_ms": round(_pct(values, 50), 1),
            "p95_ms": round(_pct(values, 95), 1),
            "max_ms": round(max(values), 1),
        }

    return {"submit": summary(submit_ms), "answer": summary(answer_ms), "photo": summary(photo_ms)}


def child(args: argparse.Namespace) -> int:
    _setup_django()
    from django.core.management import call_command
    from django.db import connection

    result: dict[str, Any] = {"backend": args.child, "vendor": connection.vendor}
    t0 = time.perf_counter()
    call_command("migrate", verbosity=0)
    result["migrate_s"] = round(time.perf_counter() - t0, 1)
    t0 = time.perf_counter()
    org = _org(5, 100, 2000)
    template = _checklist(args.items)
    result["org_s"] = round(time.perf_counter() - t0, 1)
    log(f"{args.child}: generating {args.inspections} inspections × {args.items} items")
    result["generate_s"] = round(_generate(args.inspections, args.items, org, template, 1), 1)
    log(f"{args.child}: generated in {result['generate_s']} s; period facts")
    result["facts"] = _facts(args.repeat)
    log(f"{args.child}: submit with {args.items} items and 3 photos × {args.submits}")
    result["submits"] = _submits(args.submits, org, template)
    log(f"  submit: {result['submits']}")
    Path(args.out).write_text(json.dumps(result, indent=2, default=str), encoding="utf-8")
    return 0


# --- parent: one child per backend ---------------------------------------------------------


def run_backend(backend: str, args: argparse.Namespace) -> dict[str, Any] | None:
    tmp = Path(tempfile.mkdtemp(prefix=f"sqms-bench-insp-{backend}-"))
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("SQMS_") or k == "SQMS_BENCH_PG_URL"
    }
    env.pop("DATABASE_URL", None)
    env.update(
        SQMS_VAR_DIR=str(tmp),
        SQMS_MEDIA_ROOT=str(tmp / "media"),
        SQMS_DEBUG="false",
        SQMS_LOG_LEVEL="WARNING",
        SQMS_HUEY_IMMEDIATE="true",
        SQMS_LOGIN_LOCKOUT="false",
    )
    if backend == "postgres":
        from bench.run import postgres_reset

        problem = postgres_reset(PG_URL)
        if problem:
            log(f"postgres SKIPPED: {problem}")
            return None
        env["DATABASE_URL"] = PG_URL
    out = tmp / "result.json"
    cmd = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        backend,
        "--out",
        str(out),
        "--inspections",
        str(args.inspections),
        "--items",
        str(args.items),
        "--submits",
        str(args.submits),
        "--repeat",
        str(args.repeat),
    ]
    t0 = time.perf_counter()
    code = subprocess.call(cmd, env=env, cwd=ROOT)
    if code != 0 or not out.exists():
        log(f"{backend}: FAILED (exit {code})")
        return None
    result = json.loads(out.read_text(encoding="utf-8"))
    result["wall_s"] = round(time.perf_counter() - t0, 1)
    if not args.keep:
        shutil.rmtree(tmp, ignore_errors=True)
    return result


def report(results: list[dict[str, Any]], args: argparse.Namespace) -> str:
    lines = [
        f"inspections suite: {args.inspections:,} inspections × {args.items} items, "
        f"period {PERIOD[0]}..{PERIOD[1]}, median of {args.repeat}",
        "",
        "| backend | facts | rows | facts (s) | plain SQL (s) | ratio | agree |",
        "| --- | --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for r in results:
        for name in ("scores_staff", "scores_unit", "deductions"):
            f = r["facts"][name]
            lines.append(
                f"| {r['backend']} | {name} | {f['rows']:,} | {f['facts_median_s']} | "
                f"{f['sql_median_s']} | {f['ratio_median']} | {'yes' if f['agree'] else 'NO'} |"
            )
        total = r["facts"]["all_facts_median_s"]
        lines.append(
            f"| {r['backend']} | **all three** | | **{total}** | {r['facts']['all_sql_median_s']} "
            f"| {round(total / r['facts']['all_sql_median_s'], 2)} | goal < {GOAL_FACTS_S:.0f} s: "
            f"{'met' if total < GOAL_FACTS_S else 'MISSED'} |"
        )
    lines += [
        "",
        "| backend | request | n | p50 (ms) | p95 (ms) | max (ms) |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        for name in ("submit", "answer", "photo"):
            s = r["submits"][name]
            goal = ""
            if name == "submit":
                goal = f" (goal p95 < {GOAL_SUBMIT_P95_MS:.0f}: " + (
                    "met)" if s["p95_ms"] < GOAL_SUBMIT_P95_MS else "MISSED)"
                )
            lines.append(
                f"| {r['backend']} | {name}{goal} | {s['n']} | {s['p50_ms']} | {s['p95_ms']} | "
                f"{s['max_ms']} |"
            )
    lines.append("")
    lines += [
        f"{r['backend']}: generate {r['generate_s']} s, total {r['wall_s']} s" for r in results
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--inspections", type=int, default=200_000)
    parser.add_argument("--items", type=int, default=30)
    parser.add_argument("--submits", type=int, default=60)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child(args)
    results = []
    for backend in [b.strip() for b in args.backends.split(",") if b.strip()]:
        log(f"== {backend}")
        result = run_backend(backend, args)
        if result is not None:
            results.append(result)
    text = report(results, args)
    print(text)
    out_dir = ROOT / "bench" / "out"
    out_dir.mkdir(exist_ok=True)
    (out_dir / "results-inspections.json").write_text(
        json.dumps({"args": vars(args), "results": results}, indent=2, default=str),
        encoding="utf-8",
    )
    return 0 if len(results) == len(args.backends.split(",")) else 1


if __name__ == "__main__":
    sys.exit(main())
