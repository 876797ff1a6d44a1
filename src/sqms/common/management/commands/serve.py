"""`sqms serve`: the web server (gunicorn) and the Huey worker, side by side, until Ctrl-C.

Both are separate processes, as in production, so nothing relies on sharing memory with the web
server. If either dies, the other is stopped too and the command exits with an error.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


def default_workers() -> int:
    """Two processes per core: one can wait on the database while the other computes."""
    return max(2, 2 * (os.cpu_count() or 1))


class Command(BaseCommand):
    help = "Serve SQMS: gunicorn on HOST:PORT plus the background worker."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.environ.get("SQMS_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        # Processes, not threads: a request is mostly Python, and threads of one process take
        # turns on its interpreter lock. A thread holding SQLite's write lock then waits for
        # the others' turns, every writer behind it waits too, and at 8 clients intake ran at
        # 120/s with 4 threads against 190/s with 1 (bench/README.md, session 4).
        parser.add_argument(
            "--workers",
            type=int,
            default=int(os.environ.get("SQMS_WEB_WORKERS", str(default_workers()))),
        )
        parser.add_argument(
            "--threads", type=int, default=int(os.environ.get("SQMS_WEB_THREADS", "1"))
        )
        parser.add_argument("--no-worker", action="store_true", help="do not start the Huey worker")

    def handle(self, *args: Any, **options: Any) -> None:
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "sqms.settings"}
        web_cmd = [
            sys.executable,
            "-m",
            "gunicorn",
            "sqms.wsgi:application",
            "--bind",
            f"{options['host']}:{options['port']}",
            "--workers",
            str(options["workers"]),
            "--threads",
            str(options["threads"]),
            "--access-logfile",
            os.environ.get("SQMS_ACCESS_LOG", "-"),
            "--timeout",
            "120",
            "--graceful-timeout",
            "10",
            # One shared control socket under ~/.gunicorn would make two servers on one machine
            # (a test run beside `make run`) trip over each other.
            "--no-control-socket",
            # gunicorn's 2 s default closed kept-alive connections under queueing (bench/README).
            "--keep-alive",
            os.environ.get("SQMS_WEB_KEEPALIVE", "30"),
        ]
        # Arguments are ours, not user input; no shell is involved.
        procs = [subprocess.Popen(web_cmd, env=env)]
        if not options["no_worker"]:
            worker_cmd = [sys.executable, "-m", "sqms.cli", "run_huey"]
            procs.append(subprocess.Popen(worker_cmd, env=env))

        def stop(*_args: Any) -> None:
            for p in procs:
                if p.poll() is None:
                    p.send_signal(signal.SIGTERM)

        signal.signal(signal.SIGTERM, stop)
        try:
            while all(p.poll() is None for p in procs):
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            stop()
            for p in procs:
                try:
                    p.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    p.kill()
        codes = [p.returncode for p in procs]
        if any(c not in (0, -signal.SIGTERM, -signal.SIGINT, None) for c in codes):
            raise CommandError(f"a server process stopped unexpectedly (exit codes {codes})")
