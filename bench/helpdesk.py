"""django-helpdesk, our nearest peer, set up for the intake comparison (bench only).

It runs in a virtualenv of its own (HELPDESK_VENV, under the git-ignored bench/out/) with the
pinned versions below, never in the project's environment, and in a minimal Django project that
this module writes into a temporary directory: settings (same database tuning as SQMS: persistent
connections, and on SQLite the same WAL/IMMEDIATE/busy-timeout PRAGMAs), urls mounting
helpdesk at the root, and a wsgi module. `setup()` migrates its own database, creates one public
queue and one staff user (the API's TicketViewSet requires is_staff) with a DRF token, and
returns what the load needs.

Creation paths measured (see bench/README.md):
- `form`: the public ticket form, as an anonymous browser uses it: GET /tickets/submit/ for the
  CSRF token, then POST it; success is its 302 to the ticket's page (not followed);
- `api_basic`: POST /api/tickets/ with HTTP basic auth (what its docs show), which makes Django
  check the password, PBKDF2 with 1,000,000 iterations, on every request;
- `api_token`: the same with DRF's TokenAuthentication (a key lookup, like SQMS's API tokens).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HELPDESK_VENV = ROOT / "bench" / "out" / "helpdesk-venv"
# The versions measured (pip resolved these on 2026-11-22; pinned so reruns compare like with
# like). Django, gunicorn and psycopg are the versions SQMS runs on.
PINS = [
    "django-helpdesk==2.6.1",
    "Django==5.2.19",
    "djangorestframework==3.18.3",
    "gunicorn==27.0.1",
    "psycopg[binary]==3.3.9",
    "asgiref==3.13.0",
    "beautifulsoup4==4.15.0",
    "django-cleanup==9.0.0",
    "django-model-utils==5.0.0",
    "email-reply-parser==0.5.12",
    "Markdown==3.11.3",
    "nh3==0.3.8",
    "oauthlib==4.0.1",
    "requests==2.34.2",
    "requests-oauthlib==2.0.0",
    "sqlparse==0.6.1",
]
USERNAME = "bench-helpdesk"
PASSWORD = "bench-pass-2026"
QUEUE_SLUG = "complaints"

SETTINGS = """\
import os

SECRET_KEY = "bench-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "helpdesk",
]
SITE_ID = 1
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
ROOT_URLCONF = "hdbench.urls"
WSGI_APPLICATION = "hdbench.wsgi.application"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]
_url = os.environ["HDBENCH_DATABASE"]
if _url.startswith("sqlite:///"):
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": _url.removeprefix("sqlite:///"),
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                    "PRAGMA busy_timeout=20000; PRAGMA foreign_keys=ON; PRAGMA cache_size=-20000;"
                ),
            },
        }
    }
else:
    from psycopg.conninfo import conninfo_to_dict

    _p = conninfo_to_dict(_url)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": _p.get("dbname", ""),
            "USER": _p.get("user", ""),
            "PASSWORD": _p.get("password", ""),
            "HOST": _p.get("host", ""),
            "PORT": _p.get("port", ""),
        }
    }
DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ.get("SQMS_DB_CONN_MAX_AGE", "600"))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
TIME_ZONE = "Asia/Shanghai"
LANGUAGE_CODE = "en-us"
STATIC_URL = "/static/"
LOGIN_URL = "/login/"
# Mail is rendered (helpdesk builds its notification e-mails) but not sent.
EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
DEFAULT_FROM_EMAIL = "helpdesk@localhost"
HELPDESK_TEAMS_MODE_ENABLED = False
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.BasicAuthentication",
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
}
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
"""

URLS = """\
from django.http import JsonResponse
from django.urls import include, path


def readyz(request):
    return JsonResponse({"status": "ok"})


urlpatterns = [
    path("readyz", readyz),
    path("", include("helpdesk.urls", namespace="helpdesk")),
]
"""

WSGI = """\
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hdbench.settings")
application = get_wsgi_application()
"""

SETUP = """\
import json

from django.contrib.auth import get_user_model
from helpdesk.models import Queue
from rest_framework.authtoken.models import Token

queue = Queue.objects.create(
    title="Complaints", slug=SLUG, allow_public_submission=True, email_address="q@localhost"
)
user = get_user_model().objects.create_user(
    USERNAME, "bench@localhost", PASSWORD, is_staff=True, is_superuser=True
)
token = Token.objects.create(user=user)
print(json.dumps({"queue": queue.pk, "token": token.key}))
"""


class HelpdeskError(RuntimeError):
    pass


@dataclass(frozen=True)
class Helpdesk:
    """A set-up helpdesk project: where it lives and what a client needs."""

    project_dir: Path
    python: Path
    env: dict[str, str]
    queue_id: int
    token: str
    versions: dict[str, str]


def python() -> Path:
    return HELPDESK_VENV / "bin" / "python"


def installed_versions() -> dict[str, str]:
    """{distribution: version} of the helpdesk venv (empty if there is none)."""
    if not python().exists():
        return {}
    code = (
        "import importlib.metadata as m, json;"
        "print(json.dumps({d.metadata['Name'].lower(): d.version for d in m.distributions()}))"
    )
    proc = subprocess.run([str(python()), "-c", code], capture_output=True, text=True)
    return json.loads(proc.stdout) if proc.returncode == 0 else {}


def ensure_venv(log: Path) -> dict[str, str]:
    """Create the helpdesk venv and install the pins unless they are there already; returns the
    installed versions. Raises HelpdeskError (with pip's last lines) if that fails."""
    wanted = {p.split("==")[0].split("[")[0].lower(): p.split("==")[1] for p in PINS}
    have = installed_versions()
    if all(have.get(k) == v for k, v in wanted.items()):
        return have
    if not python().exists():
        subprocess.run([sys.executable, "-m", "venv", str(HELPDESK_VENV)], check=True)
    cmd = [str(python()), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    proc = subprocess.run([*cmd, *PINS], capture_output=True, text=True)
    with log.open("a") as fh:
        fh.write(f"$ pip install {' '.join(PINS)}\n{proc.stdout}{proc.stderr}\n")
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-8:])
        raise HelpdeskError(f"pip install of django-helpdesk failed:\n{tail}")
    return installed_versions()


def write_project(project_dir: Path) -> None:
    pkg = project_dir / "hdbench"
    pkg.mkdir(parents=True, exist_ok=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "settings.py").write_text(SETTINGS)
    (pkg / "urls.py").write_text(URLS)
    (pkg / "wsgi.py").write_text(WSGI)
    (project_dir / "manage.py").write_text(
        textwrap.dedent(
            """\
            import os
            import sys

            from django.core.management import execute_from_command_line

            os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hdbench.settings")
            execute_from_command_line(sys.argv)
            """
        )
    )


def _manage(hd_python: Path, project_dir: Path, env: dict[str, str], args: list[str], log: Path):
    proc = subprocess.run(
        [str(hd_python), "manage.py", *args],
        cwd=project_dir,
        env=env,
        capture_output=True,
        text=True,
    )
    with log.open("a") as fh:
        fh.write(f"$ helpdesk manage.py {' '.join(args)}\n{proc.stdout}{proc.stderr}\n")
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-12:])
        raise HelpdeskError(f"helpdesk manage.py {args[0]} failed:\n{tail}")
    return proc.stdout


def setup(project_dir: Path, database_url: str, log: Path) -> Helpdesk:
    """Install (once), write the project, migrate `database_url` (which must be empty) and create
    the queue, the user and its token."""
    versions = ensure_venv(log)
    write_project(project_dir)
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "SQMS_", "VIRTUAL_ENV", "PYTHONPATH"))
        and k not in {"DATABASE_URL", "REDIS_URL"}
    }
    env.update(
        HDBENCH_DATABASE=database_url,
        DJANGO_SETTINGS_MODULE="hdbench.settings",
        PYTHONDONTWRITEBYTECODE="1",
        SQMS_DB_CONN_MAX_AGE=os.environ.get("SQMS_DB_CONN_MAX_AGE", "600"),
    )
    _manage(python(), project_dir, env, ["migrate", "--noinput"], log)
    code = (
        SETUP.replace("SLUG", repr(QUEUE_SLUG))
        .replace("USERNAME", repr(USERNAME))
        .replace("PASSWORD", repr(PASSWORD))
    )
    out = _manage(python(), project_dir, env, ["shell", "-c", code], log)
    info = json.loads(out.strip().splitlines()[-1])
    return Helpdesk(
        project_dir=project_dir,
        python=python(),
        env=env,
        queue_id=int(info["queue"]),
        token=str(info["token"]),
        versions={
            k: versions.get(k, "?")
            for k in ("django-helpdesk", "django", "djangorestframework", "gunicorn", "psycopg")
        },
    )
