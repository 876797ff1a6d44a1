"""SQMS's settings plus the floor app, with only /floor/ routed. The middleware, database
(including persistent connections and the SQLite PRAGMAs) and everything else are SQMS's own."""

from sqms.settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "bench.floor"]  # noqa: F405
ROOT_URLCONF = "bench.floor.urls"
