"""`make bench`: the org pages and the staff API under load, on SQLite and on PostgreSQL.

    .venv/bin/python bench/run.py [--quick] [--stores N --staff N] [--backends sqlite,postgres]

For each backend, in a fresh database (SQLite: a temporary SQMS_VAR_DIR; PostgreSQL: the
database `sqms_bench`, dropped and created again; skipped with a loud message if the server does
not answer): migrate, generate the synthetic chain (bench/generate.py), create two API tokens,
start `sqms serve --no-worker` (gunicorn, 2 workers x 4 threads) on a free loopback port, wait
for /readyz, log every client in, check that each target answers what the data say it must,
then load each target in turn (bench/load.py) and stop the server.

Prints one table (backend, target, requests, req/s, p50/p95/p99/max ms, errors) and writes
everything, with the machine and the set-up timings, to bench/out/results.json. Exits 1 if any
request failed or a backend failed (a PostgreSQL that does not answer is skipped, not failed).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import math
import os
import platform
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make `bench` importable as a package
    sys.path.insert(0, str(ROOT))

from bench.load import Result, Target, fetch, login_session, run_load  # noqa: E402

OUT_DIR = ROOT / "bench" / "out"
HOST = "127.0.0.1"
PG_URL = os.environ.get("SQMS_BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/sqms_bench")
SQMS = [sys.executable, "-m", "sqms.cli"]
PAGE_SIZE = 50
BUSY_WARN_PCT = 15.0


@dataclass(frozen=True)
class Config:
    stores: int
    staff: int
    seed: int
    clients: int
    duration_s: float
    max_requests: int
    warmup: int
    workers: int
    threads: int
    backends: tuple[str, ...]
    keep: bool


@dataclass
class BackendRun:
    """One backend's set-up timings, data counts and results (or why it was not measured)."""

    backend: str
    database: str = ""
    skipped: str = ""
    failed: str = ""
    setup_s: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    results: list[Result] = field(default_factory=list)
    # Whole-machine CPU use (% of all cores) over 3 s with the server idle, before the load: the
    # machine may be shared, and anything above a few % is someone else's work competing with
    # the server and the clients, which makes every figure pessimistic.
    idle_busy_pct: float | None = None
    # Whole-machine CPU use during each target's measured phase (ours included).
    busy_pct: dict[str, float] = field(default_factory=dict)
    # Each read target's first answer alone (ms), before the load: nothing cached yet, which is
    # what the first user of a page (or of a new filter of the dashboard) waits.
    first_answer_ms: dict[str, float] = field(default_factory=dict)
    # Requests each gunicorn worker answered per target (warm-up included), busiest first: a
    # keep-alive connection stays with the worker that accepted it, and an uneven split leaves
    # a worker's threads idle while the other's queue up.
    worker_share: dict[str, list[int]] = field(default_factory=dict)


class StepFailed(RuntimeError):
    pass


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def free_port() -> int:
    """A port that was free a moment ago on the loopback (the server binds it right after)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def sqms(args: list[str], env: dict[str, str], logfile: Path) -> str:
    """Run an `sqms` command to completion; returns its stdout, raises StepFailed with the tail
    of its output if it fails."""
    proc = subprocess.run(
        [*SQMS, *args], env=env, cwd=ROOT, capture_output=True, text=True, check=False
    )
    with logfile.open("a") as fh:
        fh.write(f"$ sqms {' '.join(args)}\n{proc.stdout}{proc.stderr}\n")
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-15:])
        raise StepFailed(f"sqms {args[0]} failed (exit {proc.returncode}):\n{tail}")
    return proc.stdout


def cpu_times() -> tuple[int, int]:
    """(busy, total) jiffies of all CPUs since boot, from /proc/stat ((0, 0) if unreadable)."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return (0, 0)
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    total = sum(fields[:8])  # guest time is already counted in user/nice
    return (total - idle, total)


def busy_between(a: tuple[int, int], b: tuple[int, int]) -> float:
    """Percent of all CPUs busy between two `cpu_times()` samples."""
    total = b[1] - a[1]
    return round(100 * (b[0] - a[0]) / total, 1) if total > 0 else 0.0


def worker_share(access_log: Path, offset: int) -> list[int]:
    """Requests per gunicorn worker in the access log after byte `offset`, largest first."""
    counts: dict[str, int] = {}
    try:
        with access_log.open("rb") as fh:
            fh.seek(offset)
            for raw in fh:
                pid = raw.split(b" ", 1)[0].decode(errors="replace")
                counts[pid] = counts.get(pid, 0) + 1
    except OSError:
        return []
    return sorted(counts.values(), reverse=True)


def cpu_busy_pct(seconds: float) -> float:
    a = cpu_times()
    time.sleep(seconds)
    return busy_between(a, cpu_times())


def timed(run: BackendRun, name: str, fn: Callable[[], Any]) -> Any:
    t0 = time.perf_counter()
    value = fn()
    run.setup_s[name] = round(time.perf_counter() - t0, 2)
    return value


# --- Databases --------------------------------------------------------------------------------


def postgres_reset(url: str) -> str | None:
    """Drop and create the database named in `url`; returns None, or why it could not."""
    try:
        import psycopg
        from psycopg import sql
        from psycopg.conninfo import conninfo_to_dict, make_conninfo
    except ImportError as exc:
        return f"psycopg is not installed ({exc})"
    params = conninfo_to_dict(url)
    name = str(params.get("dbname") or "")
    if not name:
        return f"no database name in {url}"
    try:
        admin = psycopg.connect(make_conninfo(url, dbname="postgres"), connect_timeout=3)
    except psycopg.Error as exc:
        return f"cannot connect: {str(exc).strip().splitlines()[0]}"
    try:
        with admin:
            admin.autocommit = True
            # FORCE: a server left by an interrupted run must not keep the database alive.
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except psycopg.Error as exc:
        return f"cannot recreate {name}: {str(exc).strip().splitlines()[0]}"
    return None


def postgres_version(url: str) -> str:
    try:
        import psycopg

        with psycopg.connect(url, connect_timeout=3) as conn:
            row = conn.execute("SHOW server_version").fetchone()
            return str(row[0]) if row else "?"
    except Exception:  # only for the report
        return "?"


# --- Server -----------------------------------------------------------------------------------


class Server:
    """`sqms serve --no-worker` in its own process group, so SIGTERM reaches gunicorn too; or,
    with `command`, that command (e.g. gunicorn serving another app) the same way."""

    def __init__(
        self,
        env: dict[str, str],
        port: int,
        workers: int,
        threads: int,
        log_path: Path,
        command: list[str] | None = None,
        cwd: Path = ROOT,
    ) -> None:
        self.port = port
        self._log = log_path.open("ab")
        args = ["serve", "--host", HOST, "--port", str(port), "--no-worker"]
        args += ["--workers", str(workers), "--threads", str(threads)]
        # Our own arguments, no shell.
        self.proc = subprocess.Popen(
            command or [*SQMS, *args],
            env=env,
            cwd=cwd,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def kill(self) -> None:
        """SIGKILL to the whole process group at once (serve, gunicorn master and workers), as a
        power cut or the OOM killer would; returns when they are gone."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        deadline = time.monotonic() + 10
        while _group_alive(self.proc.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        self._log.close()

    def gunicorn_args(self) -> list[str]:
        """The command line of the gunicorn master that `sqms serve` started ([] if not found),
        so that other apps can be served with exactly the same gunicorn settings."""
        try:
            children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text()
        except OSError:
            return []
        for pid in children.split():
            with contextlib.suppress(OSError):
                argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
                args = [a.decode() for a in argv if a]
                if "gunicorn" in args:
                    return args
        return []

    def wait_ready(self, timeout_s: float = 90.0) -> float:
        """Seconds until /readyz answered 200; raises StepFailed if it did not in time."""
        t0 = time.perf_counter()
        while time.perf_counter() - t0 < timeout_s:
            if self.proc.poll() is not None:
                raise StepFailed(f"the server exited with {self.proc.returncode}")
            try:
                status, _body = fetch(HOST, self.port, "/readyz")
                if status == 200:
                    return time.perf_counter() - t0
            except OSError:
                pass
            time.sleep(0.2)
        raise StepFailed(f"/readyz did not answer 200 within {timeout_s:.0f} s")

    def stop(self) -> None:
        """SIGTERM to the process group, SIGKILL after 20 s; returns when the whole group (serve,
        the gunicorn master and its workers) has exited, or 10 s after the SIGKILL."""
        pgid = self.proc.pid  # start_new_session: the group is ours alone
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGTERM)
        started = time.monotonic()
        killed = False
        # poll() first: it reaps `serve`, whose zombie would otherwise keep the group "alive".
        while self.proc.poll() is None or _group_alive(pgid):
            waited = time.monotonic() - started
            if waited > 20 and not killed:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pgid, signal.SIGKILL)
                killed = True
            elif waited > 30:  # only unreaped zombies can be left; they hold no port
                log(f"server process group {pgid} still listed after SIGKILL; going on")
                break
            time.sleep(0.1)
        self.proc.wait()
        self._log.close()


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# --- Targets ----------------------------------------------------------------------------------


def build_targets(
    manifest: dict[str, Any], sessions: list[str], admin_token: str, region_token: str
) -> list[tuple[Target, Callable[[int, bytes], str | None]]]:
    """The measured targets, each with a check of its first answer (None: fine, else why not).

    The staff API is asked for page 1 (what a list screen opens with) and, separately, for
    random pages across the whole list (so deep OFFSETs count as much as page 1); the store
    page for random stores from the manifest's sample."""
    counts = manifest["counts"]
    admin_pages = math.ceil(counts["staff_active"] / PAGE_SIZE)
    region_pages = math.ceil(counts["region_staff_active"] / PAGE_SIZE)
    region_list = f"/api/v1/org/staff?unit={manifest['region']['id']}&subtree=true"
    session_headers = [{"Cookie": s} for s in sessions]

    def json_count(expected: int) -> Callable[[int, bytes], str | None]:
        def check(status: int, body: bytes) -> str | None:
            if status != 200:
                return f"HTTP {status}"
            data = json.loads(body)
            if data.get("count") != expected:
                return f"count {data.get('count')} != {expected}"
            if len(data.get("items", [])) != min(PAGE_SIZE, expected):
                return f"{len(data.get('items', []))} items on page 1"
            return None

        return check

    def contains(text: str) -> Callable[[int, bytes], str | None]:
        def check(status: int, body: bytes) -> str | None:
            if status != 200:
                return f"HTTP {status}"
            return None if text.encode() in body else f"{text!r} not in the page"

        return check

    first_store = manifest["stores"][0]
    return [
        (Target("healthz", ["/healthz"]), contains('"ok"')),
        (Target("org_tree", ["/org/"], session_headers), contains(manifest["root"]["name"])),
        (
            Target(
                "org_store_page",
                [f"/org/units/{s['id']}/" for s in manifest["stores"]],
                session_headers,
            ),
            contains(first_store["code"]),
        ),
        (
            Target(
                "api_staff_page1",
                [f"/api/v1/org/staff?page=1&page_size={PAGE_SIZE}"],
                [{"Authorization": f"Bearer {admin_token}"}],
            ),
            json_count(counts["staff_active"]),
        ),
        (
            Target(
                "api_staff",
                [
                    f"/api/v1/org/staff?page={k}&page_size={PAGE_SIZE}"
                    for k in range(1, admin_pages + 1)
                ],
                [{"Authorization": f"Bearer {admin_token}"}],
            ),
            json_count(counts["staff_active"]),
        ),
        (
            Target(
                "api_staff_region",
                [
                    f"{region_list}&page={k}&page_size={PAGE_SIZE}"
                    for k in range(1, region_pages + 1)
                ],
                [{"Authorization": f"Bearer {region_token}"}],
            ),
            json_count(counts["region_staff_active"]),
        ),
    ]


# --- One backend ------------------------------------------------------------------------------


def bench_env(backend: str, var_dir: Path) -> dict[str, str]:
    """The environment of every `sqms` command and server of a run on `backend`."""
    access_log = var_dir / "access.log"
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(
        DJANGO_SETTINGS_MODULE="sqms.settings",
        SQMS_VAR_DIR=str(var_dir),
        SQMS_LOGIN_LOCKOUT="false",
        SQMS_DEBUG="false",
        SQMS_HTTPS="false",
        SQMS_ACCESS_LOG=str(access_log),
        # gunicorn reads extra settings from here; the worker pid in each access-log line shows
        # how the clients' keep-alive connections were spread over the workers.
        GUNICORN_CMD_ARGS='--access-logformat "%(p)s %(s)s %(U)s"',
        SQMS_LOG_LEVEL="WARNING",
        PYTHONDONTWRITEBYTECODE="1",
    )
    if backend == "postgres":
        env["DATABASE_URL"] = PG_URL
    return env


def bench_backend(backend: str, cfg: Config, run: BackendRun) -> None:
    """Set up, load and tear down one backend, filling `run`. Raises StepFailed on a failure;
    the server is stopped and the temporary directory removed whatever happens."""
    var_dir = Path(tempfile.mkdtemp(prefix=f"sqms-bench-{backend}-"))
    logfile = var_dir / "setup.log"
    access_log = var_dir / "access.log"
    env = bench_env(backend, var_dir)
    if backend == "postgres":
        run.database = PG_URL
    else:
        run.database = str(var_dir / "sqms.sqlite3")
    server: Server | None = None
    try:
        log(f"{backend}: migrate into {run.database}")
        timed(run, "migrate", lambda: sqms(["migrate", "--noinput"], env, logfile))
        timed(run, "createcachetable", lambda: sqms(["createcachetable"], env, logfile))
        timed(run, "collectstatic", lambda: sqms(["collectstatic", "--noinput"], env, logfile))
        log(f"{backend}: generate {cfg.stores} stores, {cfg.staff} staff (seed {cfg.seed})")
        manifest_path = var_dir / "fixture.json"

        def generate() -> None:
            cmd = [sys.executable, str(ROOT / "bench" / "generate.py")]
            cmd += ["--stores", str(cfg.stores), "--staff", str(cfg.staff)]
            cmd += ["--seed", str(cfg.seed), "--manifest", str(manifest_path)]
            proc = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True)
            with logfile.open("a") as fh:
                fh.write(proc.stdout + proc.stderr)
            if proc.returncode != 0:
                raise StepFailed(f"generate failed:\n{proc.stdout}{proc.stderr}")
            print("    " + proc.stdout.strip().replace("\n", "\n    "), flush=True)

        timed(run, "generate", generate)
        manifest = json.loads(manifest_path.read_text())
        run.counts = manifest["counts"]
        logins = manifest["logins"]
        admin_token = sqms(
            ["token", "create", "--user", logins["admin"], "--name", "bench"], env, logfile
        ).strip()
        region_token = sqms(
            ["token", "create", "--user", logins["region"], "--name", "bench"], env, logfile
        ).strip()

        port = free_port()
        log(f"{backend}: serve on {HOST}:{port} ({cfg.workers} workers x {cfg.threads} threads)")
        server = Server(env, port, cfg.workers, cfg.threads, var_dir / "server.log")
        run.setup_s["server_ready"] = round(server.wait_ready(), 2)
        # One session per client, as eight people logged in would have.
        sessions = [
            login_session(HOST, port, logins["admin"], logins["password"])
            for _i in range(cfg.clients)
        ]
        targets = build_targets(manifest, sessions, admin_token, region_token)
        for target, check in targets:
            status, body = fetch(HOST, port, target.paths[0], target.headers[0])
            problem = check(status, body)
            if problem:
                raise StepFailed(f"{target.name} {target.paths[0]}: {problem}")
        run.idle_busy_pct = cpu_busy_pct(3.0)
        log(f"{backend}: machine CPU use with the server idle: {run.idle_busy_pct:.0f} %")
        for target, _check in targets:
            before = cpu_times()
            log_offset = access_log.stat().st_size if access_log.exists() else 0
            result = run_load(
                HOST,
                port,
                target,
                clients=cfg.clients,
                max_requests=cfg.max_requests,
                duration_s=cfg.duration_s,
                warmup_per_client=cfg.warmup,
                seed=cfg.seed,
            )
            run.results.append(result)
            run.busy_pct[target.name] = busy_between(before, cpu_times())
            run.worker_share[target.name] = worker_share(access_log, log_offset)
            log(
                f"{backend}: {target.name:<17} {result.requests:>6} req  {result.rps:>7.1f}/s  "
                f"p50 {fmt(result.p50_ms)}  p95 {fmt(result.p95_ms)}  p99 {fmt(result.p99_ms)} ms"
                f"  errors {result.errors}  (machine CPU {run.busy_pct[target.name]:.0f} %, "
                f"requests per worker {run.worker_share[target.name]}, "
                f"load generator {result.client_cpu_s / result.elapsed_s:.0%} of a core)"
            )
            for sample in result.error_samples:
                log(f"    error: {sample}")
    finally:
        if server is not None:
            server.stop()
        if cfg.keep:
            log(f"{backend}: kept {var_dir}")
        else:
            shutil.rmtree(var_dir, ignore_errors=True)


# --- Report -----------------------------------------------------------------------------------


def fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def table(runs: list[BackendRun]) -> str:
    """The one results table, plain text, one row per backend and target."""
    head = [
        "backend",
        "target",
        "requests",
        "req/s",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "max ms",
        "errors",
    ]
    rows = [
        [
            run.backend,
            r.target,
            str(r.requests),
            f"{r.rps:.1f}",
            fmt(r.p50_ms),
            fmt(r.p95_ms),
            fmt(r.p99_ms),
            fmt(r.max_ms),
            str(r.errors),
        ]
        for run in runs
        for r in run.results
    ]
    for run in runs:
        if run.skipped or run.failed:
            note = f"SKIPPED: {run.skipped}" if run.skipped else f"FAILED: {run.failed}"
            rows.append([run.backend, note.splitlines()[0][:60], "", "", "", "", "", "", ""])
    widths = [max(len(row[i]) for row in [head, *rows]) for i in range(len(head))]

    def line(row: list[str]) -> str:
        pairs = enumerate(zip(row, widths, strict=True))
        cells = [c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in pairs]
        return "  ".join(cells).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(head), rule, *(line(r) for r in rows)])


def machine() -> dict[str, Any]:
    cpu = platform.processor() or ""
    try:
        for raw in Path("/proc/cpuinfo").read_text().splitlines():
            if raw.startswith("model name"):
                cpu = raw.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = 0.0
    with contextlib.suppress(ValueError, OSError):
        mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "memory_gb": round(mem_gb, 1),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
    }


def main(argv: list[str] | None = None) -> int:
    # bench.complaints imports this module's helpers, so it is imported here, not at the top.
    from bench.complaints import SuiteConfig, SuiteRun, run_suite
    from bench.complaints import report as complaints_report
    from bench.complaints import summary as complaints_summary
    from bench.complaints import table as complaints_table

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small data, 3 s per target")
    parser.add_argument("--stores", type=int, help="default 5000 (200 with --quick)")
    parser.add_argument("--staff", type=int, help="default 50000 (2000 with --quick)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients")
    parser.add_argument("--duration", type=float, help="seconds per target (15; 3 with --quick)")
    parser.add_argument("--requests", type=int, help="at most this many per target (20000)")
    parser.add_argument("--warmup", type=int, default=5, help="uncounted requests per client")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)  # as `sqms serve` (session 4)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directories")
    parser.add_argument(
        "--suite",
        choices=["org", "complaints", "inspections", "surveys", "evaluations", "all"],
        default="all",
        help="org pages and staff API, the complaints suite (bench/complaints.py), the surveys "
        "suite (bench/surveys.py), or all; inspections and evaluations run alone",
    )
    parser.add_argument(
        "--complaints",
        type=int,
        help="complaints to generate for the read targets (1000000; 50000 with --quick)",
    )
    parser.add_argument(
        "--intake-clients", default="1,8,32", help="numbers of intake clients, in turn"
    )
    parser.add_argument(
        "--intake-duration", type=float, help="seconds per intake target (10; 3 with --quick)"
    )
    parser.add_argument(
        "--no-helpdesk", action="store_true", help="do not install or measure django-helpdesk"
    )
    parser.add_argument(
        "--kill-after", type=float, default=4.0, help="durability: SIGKILL after this many s"
    )
    parser.add_argument(
        "--dashboard-query",
        default="period=last_3_months",
        help="query of the dashboard targets; {from_} and {to} are 3 months ago and today",
    )
    args = parser.parse_args(argv)
    if args.suite == "inspections":  # its own runner: bench/inspections.py
        from bench.inspections import main as inspections_main

        return inspections_main(["--backends", args.backends, *(["--keep"] if args.keep else [])])

    if args.suite == "evaluations":
        from bench.evaluations import main as evaluations_main

        return evaluations_main([f"--backends={args.backends.replace('postgresql', 'postgres')}"])
    backends = tuple(b.strip() for b in args.backends.split(",") if b.strip())
    unknown = set(backends) - {"sqlite", "postgres"}
    if unknown:
        parser.error(f"unknown backend(s): {', '.join(sorted(unknown))}")
    cfg = Config(
        stores=args.stores or (200 if args.quick else 5000),
        staff=args.staff or (2000 if args.quick else 50000),
        seed=args.seed,
        clients=args.clients,
        duration_s=args.duration or (3.0 if args.quick else 15.0),
        max_requests=args.requests or (2000 if args.quick else 20000),
        warmup=args.warmup,
        workers=args.workers,
        threads=args.threads,
        backends=backends,
        keep=args.keep,
    )
    started = time.perf_counter()
    started_at = dt.datetime.now().astimezone()
    log(
        f"{cfg.stores} stores, {cfg.staff} staff; {cfg.clients} clients, {cfg.duration_s:.0f} s or "
        f"{cfg.max_requests} requests per target; {os.cpu_count()} CPUs"
    )
    # The .mo catalogues are build output (git-ignored); `make run` and `make test` compile
    # them too, and the pages render in zh-hans by default.
    subprocess.run([*SQMS, "compile_translations"], cwd=ROOT, check=False, capture_output=True)

    runs: list[BackendRun] = []
    for backend in backends if args.suite in ("org", "all") else ():
        run = BackendRun(backend)
        runs.append(run)
        if backend == "postgres":
            why = postgres_reset(PG_URL)
            if why:
                run.skipped = f"PostgreSQL not reachable at {PG_URL}: {why}"
                bar = "!" * 78
                print(
                    f"\n{bar}\n!! {run.skipped}\n!! The PostgreSQL benchmark was NOT run.\n{bar}\n",
                    flush=True,
                )
                continue
        try:
            bench_backend(backend, cfg, run)
        except Exception as exc:  # report it, clean up (bench_backend did), go on to the next
            run.failed = (
                f"{type(exc).__name__}: {exc}" if not isinstance(exc, StepFailed) else str(exc)
            )
            log(f"{backend}: FAILED: {run.failed}")
    suite_cfg = SuiteConfig(
        stores=cfg.stores,
        staff=cfg.staff,
        complaints=args.complaints
        if args.complaints is not None
        else (50_000 if args.quick else 1_000_000),
        intake_clients=tuple(int(c) for c in args.intake_clients.split(",") if c.strip()),
        intake_duration_s=args.intake_duration or (3.0 if args.quick else 10.0),
        read_clients=cfg.clients,
        read_duration_s=cfg.duration_s,
        max_requests=cfg.max_requests,
        warmup=cfg.warmup,
        workers=cfg.workers,
        threads=cfg.threads,
        seed=cfg.seed,
        helpdesk=not args.no_helpdesk,
        kill_after_s=args.kill_after,
        dashboard_query=args.dashboard_query,
        keep=cfg.keep,
    )
    suite_runs: list[SuiteRun] = []
    suite_bad = False
    if args.suite in ("complaints", "all"):
        suite_runs, suite_bad = run_suite(suite_cfg, backends, bench_env)
    if args.suite in ("surveys", "all"):  # prints its own figures, writes bench/out/surveys.json
        from bench.surveys import main as surveys_main

        small = ["--responses", "100000", "--db-responses", "2000", "--duration", "5"]
        surveys_args = ["--backends", ",".join(backends), *(small if args.quick else [])]
        suite_bad = surveys_main(surveys_args) != 0 or suite_bad
    total = time.perf_counter() - started

    print()
    if runs:
        print(table(runs))
    if suite_runs:
        print()
        print(complaints_table(suite_runs))
        print()
        print(complaints_summary(suite_runs, suite_cfg))
    print(f"\ntotal {total / 60:.1f} min on {os.cpu_count()} CPUs, {started_at:%Y-%m-%d %H:%M %Z}")
    for run in runs:
        if run.idle_busy_pct is not None and run.idle_busy_pct > BUSY_WARN_PCT:
            print(
                f"WARNING: {run.backend}: the machine was {run.idle_busy_pct:.0f} % busy with the "
                "bench server idle: other work shared the CPUs, so its figures are pessimistic."
            )

    report = {
        "started_at": started_at.isoformat(timespec="seconds"),
        "total_s": round(total, 1),
        "machine": machine(),
        "postgres_version": postgres_version(PG_URL) if "postgres" in backends else None,
        "config": {
            "stores": cfg.stores,
            "staff": cfg.staff,
            "seed": cfg.seed,
            "clients": cfg.clients,
            "duration_s": cfg.duration_s,
            "max_requests": cfg.max_requests,
            "warmup_per_client": cfg.warmup,
            "workers": cfg.workers,
            "threads": cfg.threads,
            "quick": args.quick,
        },
        "suite": args.suite,
        "complaints": complaints_report(suite_runs, suite_cfg) if suite_runs else None,
        "backends": [
            {
                "backend": run.backend,
                "database": run.database,
                "skipped": run.skipped,
                "failed": run.failed,
                "setup_s": run.setup_s,
                "counts": run.counts,
                "results": [r.as_dict() for r in run.results],
                "machine_cpu_pct_idle_server": run.idle_busy_pct,
                "machine_cpu_pct_by_target": run.busy_pct,
                "requests_per_worker_by_target": run.worker_share,
            }
            for run in runs
        ],
    }
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    name = "results-quick.json" if args.quick else "results.json"
    if args.suite != "all":
        name = name.replace(".json", f"-{args.suite}.json")
    (OUT_DIR / name).write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    log(f"wrote {OUT_DIR / name}")
    bad = any(run.failed for run in runs) or any(r.errors for run in runs for r in run.results)
    return 1 if bad or suite_bad else 0


if __name__ == "__main__":
    # Run the copy importable as bench.run, so that bench.complaints shares its classes.
    from bench.run import main as _main

    sys.exit(_main())
