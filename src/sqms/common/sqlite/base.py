"""Django's SQLite backend with a fair queue for writers.

SQMS's SQLite transactions are IMMEDIATE: each takes the database's write lock at BEGIN. A writer
that finds the lock taken waits in SQLite's busy handler, which sleeps 1, 2, 5, 10 … 100 ms
between tries. When the holder commits, the waiters are asleep: the lock stays idle until one of
them wakes, and an unlucky one keeps losing — at 8 concurrent intakes that made p99 a second,
although each transaction holds the lock for a few milliseconds.

So each transaction first takes an exclusive `flock` on a file beside the database. Waiters block
in the kernel and the next one runs the moment the lock is released: no idle lock, no polling.
The file lock covers every SQMS process on the machine (SQLite itself must be on one machine).
It is released when the transaction ends (commit, rollback or a closed connection). SQLite's own
lock and busy timeout stay underneath for anything that does not take this queue (writes in
autocommit mode, the sqlite3 shell, the online backup).

Checkpoints run beside the requests, not in them. SQLite's automatic checkpoint runs inside the
commit that crosses 1,000 pages of WAL: that commit copies the pages into the database file and
waits for two fsyncs while it still holds the writers' lock, so one request in every few dozen
took tens of milliseconds more. Here each process turns the automatic checkpoint off for its
connections and runs a passive checkpoint from a thread of its own twice a second (it blocks no
reader and no writer). Commits stay as durable as before: they are in the WAL either way. The
same thread refreshes the query planner's statistics (a sampled ANALYZE) ten minutes after the
process starts and every six hours.

In-memory databases (the test suite) have no file, no queue and no checkpoints.
"""

from __future__ import annotations

import fcntl
import logging
import os
import sqlite3
import threading
import time
from typing import Any

from django.db.backends.sqlite3 import base

log = logging.getLogger(__name__)
CHECKPOINT_EVERY_S = 0.5
# The query planner's statistics (sqlite_stat1), sampled from at most ANALYZE_ROWS rows of each
# index: without them SQLite picks the first index that fits, and a filtered list over a
# million complaints took five times as long.
ANALYZE_FIRST_S = 600
ANALYZE_EVERY_S = 6 * 3600
ANALYZE_ROWS = 1000
_checkpointers: dict[str, int] = {}  # database file -> pid of the process whose thread runs
_checkpointers_lock = threading.Lock()


def _checkpoint_forever(path: str) -> None:
    conn = sqlite3.connect(path, timeout=5, isolation_level=None, check_same_thread=False)
    next_analyze = time.monotonic() + ANALYZE_FIRST_S
    try:
        while True:
            time.sleep(CHECKPOINT_EVERY_S)
            try:
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                if time.monotonic() >= next_analyze:
                    next_analyze = time.monotonic() + ANALYZE_EVERY_S
                    conn.execute(f"PRAGMA analysis_limit={ANALYZE_ROWS}")
                    conn.execute("ANALYZE")
            except sqlite3.Error as exc:  # busy, or the file went away: try again later
                log.debug("checkpoint of %s: %s", path, exc)
    finally:  # pragma: no cover - a daemon thread ends with its process
        conn.close()


def ensure_checkpointer(path: str) -> None:
    """One checkpointing thread per database file and process (a forked worker starts its own)."""
    pid = os.getpid()
    with _checkpointers_lock:
        if _checkpointers.get(path) == pid:
            return
        _checkpointers[path] = pid
    threading.Thread(
        target=_checkpoint_forever, args=(path,), name="sqlite-checkpoint", daemon=True
    ).start()


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._queue_fd: int | None = None
        self._queue_held = False

    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        conn = super().get_new_connection(conn_params)
        name = str(self.settings_dict["NAME"])
        if not self.creation.is_in_memory_db(name):
            conn.execute("PRAGMA wal_autocheckpoint=0")
            ensure_checkpointer(name)
        return conn

    def _queue_path(self) -> str | None:
        name = str(self.settings_dict["NAME"])
        if self.creation.is_in_memory_db(name):
            return None
        return f"{name}-writers.lock"

    def _queue_enter(self) -> None:
        if self._queue_held:
            return
        if self._queue_fd is None:
            path = self._queue_path()
            if path is None:
                return
            self._queue_fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(self._queue_fd, fcntl.LOCK_EX)
        self._queue_held = True

    def _queue_leave(self) -> None:
        if self._queue_held and self._queue_fd is not None:
            fcntl.flock(self._queue_fd, fcntl.LOCK_UN)
        self._queue_held = False

    def _start_transaction_under_autocommit(self) -> None:
        self._queue_enter()
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._queue_leave()
            raise

    def _commit(self) -> None:
        try:
            super()._commit()
        finally:
            self._queue_leave()

    def _rollback(self) -> None:
        try:
            super()._rollback()
        finally:
            self._queue_leave()

    def _close(self) -> None:
        try:
            super()._close()
        finally:
            self._queue_leave()
            if self._queue_fd is not None:
                os.close(self._queue_fd)
                self._queue_fd = None
