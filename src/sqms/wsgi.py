"""WSGI entry point for gunicorn: `gunicorn sqms.wsgi`. Each worker imports it once, before it
accepts a connection, and warms up there (sqms.common.warm)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sqms.settings")
application = get_wsgi_application()

from sqms.common.warm import warm  # noqa: E402 - Django is set up by the line above

warm()
