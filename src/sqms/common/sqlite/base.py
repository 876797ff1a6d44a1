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

In-memory databases (the test suite) have no file and no queue.
"""

from __future__ import annotations

import fcntl
import os
from typing import Any

from django.db.backends.sqlite3 import base


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._queue_fd: int | None = None
        self._queue_held = False

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
