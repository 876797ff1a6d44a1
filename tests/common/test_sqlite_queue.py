"""The SQLite backend's writers' queue: a transaction waits in the queue while another holds it,
and enters the moment that one commits, rolls back or closes its connection."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection
from django.db.utils import ConnectionHandler


def _settings(name: str) -> dict:
    # Our backend on a file of its own, whichever database the suite runs on. SQLite's own busy
    # timeout is 50 ms: a writer that waited there instead of in the queue would fail.
    return {
        **connection.settings_dict,
        "ENGINE": "sqms.common.sqlite",
        "NAME": name,
        "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 0.05},
        "TEST": {},
    }


@pytest.fixture
def handler(tmp_path, django_db_blocker):
    with django_db_blocker.unblock():
        yield ConnectionHandler({"default": _settings(str(tmp_path / "queue.sqlite3"))})


def _begin(conn) -> None:
    conn.ensure_connection()
    conn._start_transaction_under_autocommit()


@pytest.mark.parametrize("end", ["commit", "rollback", "close"])
def test_a_waiting_writer_enters_when_the_holder_ends(handler, end):
    holder = handler.create_connection("default")
    _begin(holder)
    holder.cursor().execute("CREATE TABLE t (x INTEGER)")
    entered = threading.Event()
    failures: list[BaseException] = []

    def writer() -> None:
        conn = handler.create_connection("default")
        try:
            _begin(conn)
            entered.set()
            conn.cursor().execute("SELECT 1")
            conn.commit()
        except BaseException as exc:  # reported to the test thread below
            failures.append(exc)
        finally:
            conn.close()

    thread = threading.Thread(target=writer)
    thread.start()
    # Queued behind the holder, not refused and not running beside it.
    assert not entered.wait(0.3)
    getattr(holder, end)()
    assert entered.wait(10)
    thread.join(10)
    assert failures == []
    holder.close()


def test_in_memory_databases_have_no_queue(django_db_blocker):
    conn = ConnectionHandler({"default": _settings(":memory:")}).create_connection("default")
    with django_db_blocker.unblock():
        _begin(conn)
    assert conn._queue_fd is None
    conn.rollback()
    conn.close()


def test_checkpoints_run_beside_the_commits(handler, tmp_path):
    """No commit checkpoints (the automatic checkpoint is off); the process's own thread copies
    the WAL into the database file soon after, so the WAL does not grow without end."""
    import time

    path = tmp_path / "queue.sqlite3"
    conn = handler.create_connection("default")
    conn.ensure_connection()
    cur = conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    assert cur.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0
    cur.execute("CREATE TABLE t (x TEXT)")
    for _ in range(50):
        _begin(conn)
        conn.cursor().execute("INSERT INTO t VALUES (?)", ["x" * 4000])
        conn.commit()
    # 50 rows of 4 kB: only a checkpoint puts them into the database file itself.
    deadline = time.monotonic() + 5
    while path.stat().st_size < 50 * 4000 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert path.stat().st_size >= 50 * 4000
    conn.close()


def test_the_checkpoint_thread_keeps_the_planner_statistics(handler, tmp_path, monkeypatch):
    import time

    from sqms.common.sqlite import base

    monkeypatch.setattr(base, "ANALYZE_FIRST_S", 0)
    conn = handler.create_connection("default")
    conn.ensure_connection()
    cur = conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("CREATE TABLE t (x INTEGER)")
    cur.execute("CREATE INDEX t_x ON t (x)")
    cur.executemany("INSERT INTO t VALUES (?)", [(i % 7,) for i in range(500)])
    deadline = time.monotonic() + 5
    stats: list = []
    while not stats and time.monotonic() < deadline:
        time.sleep(0.1)
        exists = cur.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").fetchall()
        stats = cur.execute("SELECT idx, stat FROM sqlite_stat1").fetchall() if exists else []
    assert ("t_x", "500 72") in stats
    conn.close()


def test_a_write_ahead_log_grown_in_a_burst_is_cut_back(tmp_path, django_db_blocker, settings):
    # The product's own PRAGMAs on a file database: a transaction of 80 MB grows the log past
    # the 64 MB limit. Once the backend's checkpointer has copied it into the database, the
    # next writes start the log again from its beginning and cut the file back.
    name = tmp_path / "wal.sqlite3"
    wal = tmp_path / "wal.sqlite3-wal"
    options = {**settings.SQLITE_OPTIONS, "timeout": 5}
    with django_db_blocker.unblock():
        conn = ConnectionHandler({"default": {**_settings(str(name)), "OPTIONS": options}})[
            "default"
        ]
        try:
            with conn.cursor() as cur:
                cur.execute("PRAGMA journal_mode")
                assert cur.fetchone()[0] == "wal"
                cur.execute("CREATE TABLE t (b BLOB)")
                cur.execute(
                    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 80)"
                    " INSERT INTO t SELECT randomblob(1048576) FROM n"
                )
                assert wal.stat().st_size > 80 * 2**20
                deadline = time.monotonic() + 10
                while wal.stat().st_size > 64 * 2**20 and time.monotonic() < deadline:
                    time.sleep(0.2)
                    cur.execute("INSERT INTO t VALUES (x'00')")
            assert wal.stat().st_size <= 64 * 2**20
        finally:
            conn.close()
