"""Configuration from the environment, checked in fresh interpreters (settings load once)."""

import os
import socket
import subprocess
import sys

import pytest

pytestmark = pytest.mark.cli


def run(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    full.update({"DJANGO_SETTINGS_MODULE": "sqms.settings", **env})
    return subprocess.run(
        [sys.executable, "-c", code], env=full, capture_output=True, text=True, timeout=120
    )


def redis_up() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        return False
    return True


def test_malformed_boolean_stops_with_a_message(tmp_path):
    result = run("import django; django.setup()", SQMS_VAR_DIR=str(tmp_path), SQMS_DEBUG="maybe")
    assert result.returncode != 0
    assert "SQMS_DEBUG must be true or false, not 'maybe'" in result.stderr


def test_https_requires_a_secret_key(tmp_path):
    result = run("import django; django.setup()", SQMS_VAR_DIR=str(tmp_path), SQMS_HTTPS="true")
    assert "SQMS_SECRET_KEY must be set" in result.stderr


def test_https_settings(tmp_path):
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, "
        "s.SECURE_HSTS_SECONDS > 0)"
    )
    result = run(code, SQMS_VAR_DIR=str(tmp_path), SQMS_HTTPS="true", SQMS_SECRET_KEY="x" * 50)
    assert result.stdout.split() == ["True", "True", "True", "True"]


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(tmp_path):
    code = (
        "import django; django.setup(); from django.db import connection; "
        "c = connection.cursor(); c.execute('PRAGMA journal_mode'); print(c.fetchone()[0]); "
        "c.execute('PRAGMA busy_timeout'); print(c.fetchone()[0])"
    )
    result = run(code, SQMS_VAR_DIR=str(tmp_path))
    assert result.stdout.split() == ["wal", "20000"], result.stderr


@pytest.mark.skipif(not redis_up(), reason="Redis not reachable on 127.0.0.1:6379: NOT run")
def test_redis_url_moves_queue_and_cache_to_redis(tmp_path):
    code = (
        "import django; django.setup(); "
        "from huey.contrib.djhuey import HUEY; from django.core.cache import cache; "
        "from django.test import Client; "
        "cache.set('sqms-config-test', 42); "
        "print(type(HUEY).__name__, cache.get('sqms-config-test'), "
        "Client().get('/readyz').json()['checks']['queue'])"
    )
    result = run(code, SQMS_VAR_DIR=str(tmp_path), REDIS_URL="redis://127.0.0.1:6379/15")
    assert result.stdout.split() == ["RedisHuey", "42", "ok"], result.stderr


def test_unreachable_queue_makes_readyz_fail(tmp_path):
    code = (
        "import django; django.setup(); from django.test import Client; "
        "r = Client().get('/readyz'); print(r.status_code, r.json()['checks']['queue'])"
    )
    result = run(code, SQMS_VAR_DIR=str(tmp_path), REDIS_URL="redis://127.0.0.1:1/0")
    assert result.stdout.split() == ["503", "unreachable"], result.stderr
