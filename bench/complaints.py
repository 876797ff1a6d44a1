"""The complaints suite of `make bench`: intake through the API against the framework floor and
django-helpdesk, reads at scale, and durability under SIGKILL, on SQLite and PostgreSQL.

    .venv/bin/python bench/run.py --suite complaints [--complaints 50000] [--backends sqlite]

Per backend, in a fresh database (the same one for SQMS and the floor; helpdesk has its own):

1. migrate SQMS and the floor app (bench/floor), generate the chain (bench/generate.py) and the
   complaints (bench/generate_complaints.py: pack, store-manager logins, 32 hotline tokens, N
   complaints with clocks);
2. start three servers side by side, each with the same gunicorn command line (read from the
   `sqms serve --no-worker` master: workers, threads, timeouts, keep-alive): SQMS, the floor
   (`bench.floor.wsgi`) and django-helpdesk (bench/helpdesk.py);
3. intake: for each number of clients (1, 8, 32) in turn: the floor, SQMS, then each helpdesk
   creation path, so the figures compared are measured minutes apart;
4. durability: 32 SQMS intake clients, SIGKILL to serve + gunicorn master + workers after
   `--kill-after` seconds, restart, check every acknowledged complaint is there, retry every
   request sent (acknowledged or in flight) with its Idempotency-Key, check nothing doubled,
   and verify the audit chain;
5. reads, last (some pages take minutes at 1,000,000 complaints): each list/dashboard target
   with `--read-clients` (8) clients; a page that answers 404 is reported as "not available
   (404)", one whose first answer takes over 10 s is reported and not loaded.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import http.client
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import helpdesk
from bench.durability import _db_rows, durability
from bench.intake import (
    INTAKE_PATH,
    _basic,
    floor_intake,
    helpdesk_api,
    helpdesk_form,
    sqms_intake,
)
from bench.load import TIMEOUT_S, Result, Target, fetch, login_session, run_load
from bench.run import (
    HOST,
    PG_URL,
    ROOT,
    BackendRun,
    Server,
    StepFailed,
    busy_between,
    cpu_busy_pct,
    cpu_times,
    fmt,
    free_port,
    log,
    postgres_reset,
    sqms,
    timed,
)

PAGE_SIZE = 50
GOAL_FLOOR_RATIO = 0.5
GOAL_HELPDESK_RATIO = 3.0
GOAL_P99_MS_AT_8 = 100.0
GOAL_READ_P95_MS = 300.0
OPEN = ("received", "assigned", "investigating", "replied", "follow_up")  # OPEN_STATUSES


@dataclass(frozen=True)
class SuiteConfig:
    stores: int
    staff: int
    complaints: int
    intake_clients: tuple[int, ...]
    intake_duration_s: float
    read_clients: int
    read_duration_s: float
    max_requests: int
    warmup: int
    workers: int
    threads: int
    seed: int
    helpdesk: bool
    kill_after_s: float
    dashboard_query: str
    keep: bool


@dataclass
class Row:
    """One measured (or skipped) target of the suite."""

    group: str  # "read" or "intake"
    system: str  # sqms, floor, helpdesk
    target: str
    clients: int
    result: Result | None = None
    note: str = ""  # why there is no result


@dataclass
class SuiteRun:
    backend: str
    run: BackendRun  # set-up timings, counts, skipped/failed, busy figures
    rows: list[Row] = field(default_factory=list)
    durability: dict[str, Any] = field(default_factory=dict)
    gunicorn: list[str] = field(default_factory=list)
    helpdesk_versions: dict[str, str] = field(default_factory=dict)
    helpdesk_problem: str = ""


# --- Helpers ----------------------------------------------------------------------------------


def _gunicorn_command(template: list[str], python: str, app: str, port: int, access: Path):
    """`template` (the SQMS master's argv) with another interpreter, app, port and access log."""
    i = next(k for k, a in enumerate(template) if a.endswith(":application"))
    flags = template[i + 1 :]
    out: list[str] = []
    skip = False
    for a in flags:
        if skip:
            skip = False
            continue
        if a in ("--bind", "-b"):
            out += [a, f"{HOST}:{port}"]
            skip = True
        elif a == "--access-logfile":
            out += [a, str(access)]
            skip = True
        else:
            out.append(a)
    return [python, "-m", "gunicorn", app, *out]


def _load(
    port: int, target: Target, clients: int, cfg: SuiteConfig, duration: float, slow: bool = False
) -> Result:
    # Intake warms up with at most 2 requests per client: helpdesk's basic-auth path costs about
    # a second of CPU per request, and 32 clients x 5 would take minutes before measuring; a
    # page that takes over a second warms up with one.
    warmup = cfg.warmup if target.action is None else min(cfg.warmup, 2)
    if slow:
        warmup = min(warmup, 1)
    return run_load(
        HOST,
        port,
        target,
        clients=clients,
        max_requests=cfg.max_requests,
        duration_s=duration,
        warmup_per_client=warmup,
        seed=cfg.seed,
    )


def _describe(r: Result) -> str:
    return (
        f"{r.requests:>6} req {r.rps:>7.1f}/s  p50 {fmt(r.p50_ms)}  p95 {fmt(r.p95_ms)}  "
        f"p99 {fmt(r.p99_ms)} ms  errors {r.errors}"
    )


# --- Reads ------------------------------------------------------------------------------------


def read_targets(
    cm: dict[str, Any], sessions: list[str], admin_token: str, region_token: str, query: str
) -> list[tuple[Target, Callable[[int, bytes], str | None]]]:
    counts = cm["counts"]
    region = cm["region"]
    session_headers = [{"Cookie": s} for s in sessions]
    today = dt.date.today()
    three_months = (today - dt.timedelta(days=91)).isoformat()

    def json_count(expected: int) -> Callable[[int, bytes], str | None]:
        # The API counts up to 10,000 (SQMS_LIST_COUNT_CAP) unless asked for ?count=exact:
        # beyond that it must say the cap and count_exact false.
        cap = 10_000
        want = (expected, True) if expected <= cap else (cap, False)

        def check(status: int, body: bytes) -> str | None:
            if status != 200:
                return f"HTTP {status}"
            data = json.loads(body)
            got = (data.get("count"), data.get("count_exact"))
            if got != want:
                return f"count {got} != {want}"
            return None

        return check

    def page(status: int, body: bytes) -> str | None:
        return None if status == 200 else f"HTTP {status}"

    dash = query.format(from_=three_months, to=today.isoformat())
    return [
        (
            Target(
                "api_complaints_page1",
                [f"{INTAKE_PATH}?page=1&page_size={PAGE_SIZE}"],
                [{"Authorization": f"Bearer {admin_token}"}],
            ),
            json_count(counts["complaints"]),
        ),
        (
            Target(
                "api_complaints_region_open",
                [f"{INTAKE_PATH}?status=open&unit={region['code']}&page=1&page_size={PAGE_SIZE}"],
                [{"Authorization": f"Bearer {region_token}"}],
            ),
            json_count(counts["region_open"]),
        ),
        (Target("list_open", ["/complaints/?status=open"], session_headers), page),
        (
            Target(
                "list_filtered",
                [
                    f"/complaints/?status=open&unit={region['id']}&category=service"
                    f"&received_from={three_months}"
                ],
                session_headers,
            ),
            page,
        ),
        (Target("dashboard_3m", [f"/complaints/dashboard/?{dash}"], session_headers), page),
        (
            Target(
                "dashboard_region",
                [f"/complaints/dashboard/?{dash}&unit={region['id']}"],
                session_headers,
            ),
            page,
        ),
    ]


SLOW_S = 10.0  # a page whose first answer takes longer is not loaded with 8 clients


def live_counts(backend: str, database: str, region_path: str) -> dict[str, int]:
    """The counts the read targets must answer, straight from the database (intake and the
    durability phase have added complaints to the generated ones)."""
    (total,) = _db_rows(backend, database, "SELECT COUNT(*) FROM complaints_complaint")[0]
    statuses = ", ".join(f"'{s}'" for s in OPEN)
    (region_open,) = _db_rows(
        backend,
        database,
        "SELECT COUNT(*) FROM complaints_complaint c"
        " JOIN org_orgunit u ON u.id = c.unit_id"
        " JOIN org_orgunit r ON r.id = c.responsible_unit_id"
        f" WHERE (u.path LIKE ? OR r.path LIKE ?) AND c.status IN ({statuses})",
        (region_path + "%", region_path + "%"),
    )[0]
    return {"complaints": int(total), "region_open": int(region_open)}


def read_one(
    backend: str,
    port: int,
    target: Target,
    check: Callable[[int, bytes], str | None],
    cfg: SuiteConfig,
    sr: SuiteRun,
) -> None:
    """Check a read target's first answer, then load it (or say why not) and add its row."""

    def skip(note: str) -> None:
        sr.rows.append(Row("read", "sqms", target.name, cfg.read_clients, note=note))
        log(f"{backend}: {target.name}: {note}")

    t0 = time.perf_counter()
    try:
        status, body = fetch(HOST, port, target.paths[0], target.headers[0])
    except (OSError, http.client.HTTPException) as exc:
        skip(f"FAILED: first request: {type(exc).__name__}: {exc} (after {TIMEOUT_S:.0f} s)")
        sr.run.failed = sr.run.failed or f"{target.name}: {exc}"
        return
    first_s = time.perf_counter() - t0
    sr.run.first_answer_ms[target.name] = round(first_s * 1000, 1)
    log(f"{backend}: {target.name}: first answer alone {first_s * 1000:.0f} ms")
    if status == 404:
        skip("not available (404)")
        return
    problem = check(status, body)
    if problem:
        skip(f"FAILED check: {problem}")
        sr.run.failed = sr.run.failed or f"{target.name}: {problem}"
        return
    if first_s > SLOW_S:
        skip(f"first answer took {first_s:.1f} s alone: not loaded (> {SLOW_S:.0f} s)")
        return
    before = cpu_times()
    result = _load(port, target, cfg.read_clients, cfg, cfg.read_duration_s, slow=first_s > 1)
    sr.run.busy_pct[target.name] = busy_between(before, cpu_times())
    sr.rows.append(Row("read", "sqms", target.name, cfg.read_clients, result))
    log(f"{backend}: {target.name:<27} {_describe(result)}")
    for sample in result.error_samples:
        log(f"    error: {sample}")


# --- One backend ------------------------------------------------------------------------------


def suite_backend(backend: str, cfg: SuiteConfig, sr: SuiteRun, env_for: Callable) -> None:
    """Set up, measure and tear down the complaints suite on one backend (fills `sr`)."""
    run = sr.run
    var_dir = Path(tempfile.mkdtemp(prefix=f"sqms-bench-complaints-{backend}-"))
    logfile = var_dir / "setup.log"
    env = env_for(backend, var_dir)
    database = PG_URL if backend == "postgres" else str(var_dir / "sqms.sqlite3")
    run.database = database
    servers: dict[str, Server] = {}
    try:
        log(f"{backend}: complaints suite: migrate into {database}")
        timed(run, "migrate", lambda: sqms(["migrate", "--noinput"], env, logfile))
        timed(run, "createcachetable", lambda: sqms(["createcachetable"], env, logfile))
        timed(run, "collectstatic", lambda: sqms(["collectstatic", "--noinput"], env, logfile))
        floor_env = {
            **env,
            "DJANGO_SETTINGS_MODULE": "bench.floor.settings",
            "PYTHONPATH": str(ROOT),
        }

        def migrate_floor() -> None:
            proc = subprocess.run(
                [sys.executable, "-m", "django", "migrate", "floor", "--noinput"],
                env=floor_env,
                cwd=ROOT,
                capture_output=True,
                text=True,
            )
            if proc.returncode != 0:
                raise StepFailed(f"floor migrate failed:\n{proc.stdout}{proc.stderr}")

        timed(run, "migrate_floor", migrate_floor)

        def script(name: str, args: list[str]) -> None:
            proc = subprocess.run(
                [sys.executable, str(ROOT / "bench" / name), *args],
                env=env,
                cwd=ROOT,
                capture_output=True,
                text=True,
            )
            with logfile.open("a") as fh:
                fh.write(proc.stdout + proc.stderr)
            if proc.returncode != 0:
                raise StepFailed(f"{name} failed:\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
            print("    " + proc.stdout.strip().replace("\n", "\n    "), flush=True)

        org_manifest = var_dir / "fixture.json"
        c_manifest = var_dir / "complaints.json"
        log(f"{backend}: generate the chain ({cfg.stores} stores, {cfg.staff} staff)")
        org_args = ["--stores", str(cfg.stores), "--staff", str(cfg.staff), "--seed", str(cfg.seed)]
        timed(
            run,
            "generate_org",
            lambda: script("generate.py", [*org_args, "--manifest", str(org_manifest)]),
        )
        log(f"{backend}: generate {cfg.complaints} complaints")
        timed(
            run,
            "generate_complaints",
            lambda: script(
                "generate_complaints.py",
                [
                    "--complaints",
                    str(cfg.complaints),
                    "--seed",
                    str(cfg.seed),
                    "--manifest",
                    str(c_manifest),
                ],
            ),
        )
        om = json.loads(org_manifest.read_text())
        cm = json.loads(c_manifest.read_text())
        run.counts = {k: v for k, v in cm["counts"].items() if isinstance(v, int)}
        run.counts["by_status"] = cm["counts"]["by_status"]
        intake = cm["intake"]
        logins = om["logins"]
        admin_token = sqms(
            ["token", "create", "--user", logins["admin"], "--name", "bench"], env, logfile
        ).strip()
        region_token = sqms(
            ["token", "create", "--user", logins["region"], "--name", "bench"], env, logfile
        ).strip()

        def start_sqms() -> Server:
            port = free_port()
            server = Server(env, port, cfg.workers, cfg.threads, var_dir / "server.log")
            server.wait_ready()
            return server

        log(f"{backend}: serve SQMS ({cfg.workers} workers x {cfg.threads} threads)")
        servers["sqms"] = start_sqms()
        time.sleep(0.5)  # the master has forked its workers by now; read its command line
        sr.gunicorn = servers["sqms"].gunicorn_args()
        if not sr.gunicorn:
            raise StepFailed("could not read the gunicorn command line of `sqms serve`")
        log(f"{backend}: gunicorn: {' '.join(sr.gunicorn[2:])}")
        port = free_port()
        servers["floor"] = Server(
            floor_env,
            port,
            cfg.workers,
            cfg.threads,
            var_dir / "floor.log",
            command=_gunicorn_command(
                sr.gunicorn,
                sys.executable,
                "bench.floor.wsgi:application",
                port,
                var_dir / "floor-access.log",
            ),
        )
        servers["floor"].wait_ready()

        hd: helpdesk.Helpdesk | None = None
        if cfg.helpdesk:
            try:
                hd = timed(
                    run, "helpdesk_setup", lambda: _setup_helpdesk(backend, var_dir, logfile)
                )
                sr.helpdesk_versions = hd.versions
                port = free_port()
                hd_env = {**hd.env, "GUNICORN_CMD_ARGS": env.get("GUNICORN_CMD_ARGS", "")}
                servers["helpdesk"] = Server(
                    hd_env,
                    port,
                    cfg.workers,
                    cfg.threads,
                    var_dir / "helpdesk.log",
                    command=_gunicorn_command(
                        sr.gunicorn,
                        str(hd.python),
                        "hdbench.wsgi:application",
                        port,
                        var_dir / "helpdesk-access.log",
                    ),
                    cwd=hd.project_dir,
                )
                servers["helpdesk"].wait_ready()
            except (helpdesk.HelpdeskError, StepFailed, OSError) as exc:
                sr.helpdesk_problem = str(exc)
                log(f"{backend}: django-helpdesk NOT measured: {exc}")
                hd = None

        sqms_port = servers["sqms"].port
        run.idle_busy_pct = cpu_busy_pct(3.0)
        log(f"{backend}: machine CPU use with the servers idle: {run.idle_busy_pct:.0f} %")

        # Intake, interleaved per number of clients.
        tag = f"{backend}-{int(time.time())}"
        paths: list[tuple[str, str, int, Callable[..., tuple[int, bytes]]]] = [
            ("floor", "intake_floor", servers["floor"].port, floor_intake(intake)),
            ("sqms", "intake_sqms", sqms_port, sqms_intake(intake, tag)),
        ]
        if hd is not None:
            hp = servers["helpdesk"].port
            paths += [
                ("helpdesk", "helpdesk_form", hp, helpdesk_form(hd.queue_id, intake)),
                (
                    "helpdesk",
                    "helpdesk_api_basic",
                    hp,
                    helpdesk_api(hd.queue_id, intake, _basic(helpdesk.USERNAME, helpdesk.PASSWORD)),
                ),
                (
                    "helpdesk",
                    "helpdesk_api_token",
                    hp,
                    helpdesk_api(hd.queue_id, intake, f"Token {hd.token}"),
                ),
            ]
        for _system, name, port, action in paths:  # check each path once before measuring
            conn = http.client.HTTPConnection(HOST, port, timeout=TIMEOUT_S)
            try:
                status, body = action(conn, 0, 0, random.Random(f"check:{name}"))
            finally:
                conn.close()
            if status != 201:
                raise StepFailed(f"{name}: first request answered {status}: {body[:300]!r}")
        for clients in cfg.intake_clients:
            for system, name, port, action in paths:
                if name == "intake_sqms":  # Idempotency-Keys must not repeat across runs
                    action = sqms_intake(intake, f"{tag}-c{clients}")
                target = Target(f"{name}_c{clients}", action=action)
                before = cpu_times()
                result = _load(port, target, clients, cfg, cfg.intake_duration_s)
                run.busy_pct[target.name] = busy_between(before, cpu_times())
                sr.rows.append(Row("intake", system, name, clients, result))
                log(f"{backend}: {target.name:<27} {_describe(result)}")
                for sample in result.error_samples:
                    log(f"    error: {sample}")

        log(f"{backend}: durability: 32 intake clients, SIGKILL after {cfg.kill_after_s:.0f} s")
        sr.durability, servers["sqms"] = durability(
            backend, database, servers["sqms"], start_sqms, intake, cfg.kill_after_s, env, logfile
        )
        d = sr.durability
        log(
            f"{backend}: durability: acknowledged {d['acknowledged']}, found after restart "
            f"{d['acknowledged_found_after_restart']}; retried {d['retried']} "
            f"(replayed {d['replayed_same_ref']}, created {d['created_on_retry']}, "
            f"errors {d['retry_errors']}); complaints {d['complaints_after_retry']} for "
            f"{d['distinct_keys']} keys; audit verify exit {d['audit_verify_exit']}"
        )

        # Reads last (some pages are slow enough to take minutes), on the restarted server.
        sqms_port = servers["sqms"].port
        sessions = [
            login_session(HOST, sqms_port, logins["admin"], logins["password"])
            for _i in range(cfg.read_clients)
        ]
        live = live_counts(backend, database, cm["region"]["path"])
        log(f"{backend}: complaints now: {live['complaints']} ({live['region_open']} open in P03)")
        for target, check in read_targets(
            {**cm, "counts": {**cm["counts"], **live}},
            sessions,
            admin_token,
            region_token,
            cfg.dashboard_query,
        ):
            read_one(backend, sqms_port, target, check, cfg, sr)
    finally:
        for server in servers.values():
            with contextlib.suppress(Exception):
                server.stop()
        if cfg.keep:
            log(f"{backend}: kept {var_dir}")
        else:
            shutil.rmtree(var_dir, ignore_errors=True)


def _setup_helpdesk(backend: str, var_dir: Path, logfile: Path) -> helpdesk.Helpdesk:
    if backend == "postgres":
        from psycopg.conninfo import make_conninfo

        url = make_conninfo(PG_URL, dbname="helpdesk_bench")
        why = postgres_reset(url)
        if why:
            raise helpdesk.HelpdeskError(f"cannot create helpdesk_bench: {why}")
    else:
        url = f"sqlite:///{var_dir / 'helpdesk.sqlite3'}"
    log(f"{backend}: django-helpdesk: install (once), migrate {url}")
    return helpdesk.setup(var_dir / "helpdesk-project", url, logfile)


# --- Report -----------------------------------------------------------------------------------


def _rps(sr: SuiteRun, name: str, clients: int) -> float | None:
    for row in sr.rows:
        if row.target == name and row.clients == clients and row.result and row.result.requests:
            return row.result.rps
    return None


def _p(sr: SuiteRun, name: str, clients: int, attr: str) -> float | None:
    for row in sr.rows:
        if row.target == name and row.clients == clients and row.result:
            return getattr(row.result, attr)
    return None


def ratios(sr: SuiteRun, clients: tuple[int, ...]) -> list[dict[str, Any]]:
    """Per number of clients: SQMS / floor, SQMS / best helpdesk path, and the goals."""
    out = []
    for c in clients:
        s = _rps(sr, "intake_sqms", c)
        f = _rps(sr, "intake_floor", c)
        hd = {
            n: _rps(sr, n, c) for n in ("helpdesk_form", "helpdesk_api_basic", "helpdesk_api_token")
        }
        best_name, best = max(
            ((n, v) for n, v in hd.items() if v), key=lambda nv: nv[1], default=("", None)
        )
        out.append(
            {
                "clients": c,
                "sqms_rps": s,
                "floor_rps": f,
                "sqms_over_floor": round(s / f, 2) if s and f else None,
                "best_helpdesk_path": best_name,
                "best_helpdesk_rps": best,
                "sqms_over_helpdesk": round(s / best, 2) if s and best else None,
                "sqms_p99_ms": _p(sr, "intake_sqms", c, "p99_ms"),
            }
        )
    return out


def table(runs: list[SuiteRun]) -> str:
    head = [
        "backend",
        "target",
        "clients",
        "requests",
        "req/s",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "max ms",
        "errors",
    ]
    rows: list[list[str]] = []
    for sr in runs:
        for row in sr.rows:
            r = row.result
            if r is None:
                rows.append(
                    [sr.backend, row.target, str(row.clients), row.note, "", "", "", "", "", ""]
                )
                continue
            rows.append(
                [
                    sr.backend,
                    row.target,
                    str(row.clients),
                    str(r.requests),
                    f"{r.rps:.1f}",
                    fmt(r.p50_ms),
                    fmt(r.p95_ms),
                    fmt(r.p99_ms),
                    fmt(r.max_ms),
                    str(r.errors),
                ]
            )
        if sr.run.skipped or sr.run.failed:
            note = f"SKIPPED: {sr.run.skipped}" if sr.run.skipped else f"FAILED: {sr.run.failed}"
            rows.append([sr.backend, "", "", note.splitlines()[0][:100], "", "", "", "", "", ""])
    # A row without figures carries its note in the requests column; it must not widen it.
    measured = [row for row in rows if row[4] or not row[3]]
    widths = [max(len(row[i]) for row in [head, *measured]) for i in range(len(head))]

    def line(row: list[str]) -> str:
        if row[3] and not row[4]:
            return "  ".join(
                [row[0].ljust(widths[0]), row[1].ljust(widths[1]), row[2].rjust(widths[2]), row[3]]
            )
        cells = [
            c.ljust(w) if i < 2 else c.rjust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        return "  ".join(cells).rstrip()

    return "\n".join([line(head), "  ".join("-" * w for w in widths), *(line(r) for r in rows)])


def summary(runs: list[SuiteRun], cfg: SuiteConfig) -> str:
    """The ratios against the goals, the read goal and durability, in plain lines."""

    def x(v: float | None) -> str:
        return "-" if v is None else f"{v:.2f}x"

    lines = []
    for sr in runs:
        if sr.gunicorn:
            lines.append(f"{sr.backend}: gunicorn {' '.join(sr.gunicorn[3:])}")
        if sr.helpdesk_versions:
            vs = ", ".join(f"{k} {v}" for k, v in sr.helpdesk_versions.items())
            lines.append(f"{sr.backend}: helpdesk venv: {vs}")
        if sr.helpdesk_problem:
            lines.append(f"{sr.backend}: django-helpdesk NOT measured: {sr.helpdesk_problem}")
        for r in ratios(sr, cfg.intake_clients):
            floor_ok = r["sqms_over_floor"] is not None and r["sqms_over_floor"] >= GOAL_FLOOR_RATIO
            hd_ok = (
                r["sqms_over_helpdesk"] is not None
                and r["sqms_over_helpdesk"] >= GOAL_HELPDESK_RATIO
            )
            line = (
                f"{sr.backend}: {r['clients']:>2} clients: SQMS/floor {x(r['sqms_over_floor'])} "
                f"({'meets' if floor_ok else 'MISSES'} >= {GOAL_FLOOR_RATIO}x), "
                f"SQMS/helpdesk {x(r['sqms_over_helpdesk'])} vs {r['best_helpdesk_path'] or '-'} "
                f"({'meets' if hd_ok else 'MISSES'} >= {GOAL_HELPDESK_RATIO:.0f}x)"
            )
            if r["clients"] == 8:
                p99 = r["sqms_p99_ms"]
                ok = p99 is not None and p99 < GOAL_P99_MS_AT_8
                verdict = "meets" if ok else "MISSES"
                line += f", p99 {fmt(p99)} ms ({verdict} < {GOAL_P99_MS_AT_8:.0f} ms)"
            lines.append(line)
        for row in sr.rows:
            if row.group == "read" and row.result is not None:
                p95 = row.result.p95_ms
                ok = p95 is not None and p95 < GOAL_READ_P95_MS and not row.result.errors
                lines.append(
                    f"{sr.backend}: read {row.target}: p95 {fmt(p95)} ms "
                    f"({'meets' if ok else 'MISSES'} < {GOAL_READ_P95_MS:.0f} ms)"
                )
        d = sr.durability
        if d:
            lines.append(
                f"{sr.backend}: durability: {d['acknowledged_found_after_restart']}/"
                f"{d['acknowledged']} acknowledged found after SIGKILL + restart; "
                f"{d['retried']} retried ({d['replayed_same_ref']} replayed same ref, "
                f"{d['replayed_other_ref']} other ref, {d['created_on_retry']} created, "
                f"{d['retry_errors']} errors); {d['complaints_after_retry']} complaints for "
                f"{d['distinct_keys']} keys (duplicates {d['duplicates']}); audit chain "
                f"{'intact' if d['audit_verify_exit'] == 0 else 'BROKEN'} -> "
                f"{'OK' if d['ok'] else 'FAILED'}"
            )
    return "\n".join(lines)


def report(runs: list[SuiteRun], cfg: SuiteConfig) -> dict[str, Any]:
    return {
        "config": {
            "complaints": cfg.complaints,
            "intake_clients": list(cfg.intake_clients),
            "intake_duration_s": cfg.intake_duration_s,
            "read_clients": cfg.read_clients,
            "read_duration_s": cfg.read_duration_s,
            "workers": cfg.workers,
            "threads": cfg.threads,
            "warmup_per_client": cfg.warmup,
            "kill_after_s": cfg.kill_after_s,
            "dashboard_query": cfg.dashboard_query,
        },
        "goals": {
            "sqms_over_floor": GOAL_FLOOR_RATIO,
            "sqms_over_helpdesk": GOAL_HELPDESK_RATIO,
            "p99_ms_at_8_clients": GOAL_P99_MS_AT_8,
            "read_p95_ms": GOAL_READ_P95_MS,
        },
        "backends": [
            {
                "backend": sr.backend,
                "database": sr.run.database,
                "skipped": sr.run.skipped,
                "failed": sr.run.failed,
                "setup_s": sr.run.setup_s,
                "counts": sr.run.counts,
                "gunicorn": sr.gunicorn,
                "helpdesk_versions": sr.helpdesk_versions,
                "helpdesk_problem": sr.helpdesk_problem,
                "machine_cpu_pct_idle_servers": sr.run.idle_busy_pct,
                "machine_cpu_pct_by_target": sr.run.busy_pct,
                "first_answer_ms_by_target": sr.run.first_answer_ms,
                "rows": [
                    {
                        "group": row.group,
                        "system": row.system,
                        "target": row.target,
                        "clients": row.clients,
                        "note": row.note,
                        "result": row.result.as_dict() if row.result else None,
                    }
                    for row in sr.rows
                ],
                "ratios": ratios(sr, cfg.intake_clients),
                "durability": sr.durability,
            }
            for sr in runs
        ],
    }


def run_suite(
    cfg: SuiteConfig, backends: tuple[str, ...], env_for: Callable
) -> tuple[list[SuiteRun], bool]:
    """Run the suite on each backend; returns the runs and whether anything failed."""
    runs: list[SuiteRun] = []
    for backend in backends:
        sr = SuiteRun(backend, BackendRun(backend))
        runs.append(sr)
        if backend == "postgres":
            why = postgres_reset(PG_URL)
            if why:
                sr.run.skipped = f"PostgreSQL not reachable at {PG_URL}: {why}"
                log(f"!! {sr.run.skipped}: the PostgreSQL complaints suite was NOT run")
                continue
        try:
            suite_backend(backend, cfg, sr, env_for)
        except Exception as exc:
            sr.run.failed = (
                str(exc) if isinstance(exc, StepFailed) else f"{type(exc).__name__}: {exc}"
            )
            log(f"{backend}: complaints suite FAILED: {sr.run.failed}")
    bad = any(sr.run.failed for sr in runs)
    bad |= any(row.result and row.result.errors for sr in runs for row in sr.rows)
    bad |= any(sr.durability and not sr.durability.get("ok") for sr in runs)
    return runs, bad
