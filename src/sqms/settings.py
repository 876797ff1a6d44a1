"""SQMS settings: one module, configured from environment variables.

Every variable is documented in the README. Helpers fail loudly on a malformed value, so a typo in
a deployment shows at start-up rather than as odd behaviour later.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent.parent


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def envbool(name: str, default: str = "false") -> bool:
    value = os.environ.get(name, default).strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def envint(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from exc


VAR_DIR = Path(env("SQMS_VAR_DIR", str(PROJECT_DIR / "var"))).resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = envbool("SQMS_DEBUG", "false")
# Behind HTTPS in production: secure cookies and HSTS. Plain HTTP for `make run` on a laptop.
HTTPS = envbool("SQMS_HTTPS", "false")

_secret = env("SQMS_SECRET_KEY")
if not _secret:
    if HTTPS:
        raise ImproperlyConfigured("SQMS_SECRET_KEY must be set when SQMS_HTTPS is on")
    # Development: a key generated once per var/ directory, so sessions survive restarts.
    _key_file = VAR_DIR / "secret_key"
    if not _key_file.exists():
        from django.core.management.utils import get_random_secret_key

        _key_file.write_text(get_random_secret_key())
        _key_file.chmod(0o600)
    _secret = _key_file.read_text().strip()
SECRET_KEY = _secret

ALLOWED_HOSTS = [h.strip() for h in env("SQMS_ALLOWED_HOSTS", "*").split(",") if h.strip()]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in env("SQMS_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "huey.contrib.djhuey",
    "axes",
    "csp",
    "sqms.common",
    "sqms.org",
    "sqms.complaints",
    "sqms.inspections",
    "sqms.surveys",
    "sqms.metrics",
    "sqms.evaluations",
    "sqms.packs",
    "sqms.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "sqms.urls"
WSGI_APPLICATION = "sqms.wsgi.application"
AUTH_USER_MODEL = "org.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "sqms.navigation.navigation",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# SQLite under var/ by default; PostgreSQL through DATABASE_URL in production and CI.
# WAL lets readers run beside the writer; IMMEDIATE transactions take the write lock at BEGIN,
# so two writers queue on the busy timeout instead of failing with "database is locked" when
# a read transaction tries to upgrade. Persistent connections keep the PRAGMAs set once.
# journal_size_limit: a write-ahead log that grew in a burst (an import, a bench) is cut back
# to 64 MB when it is next reset, instead of keeping its largest size on disk for good.
SQLITE_OPTIONS = {
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
    "init_command": (
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;"
        "PRAGMA foreign_keys=ON; PRAGMA cache_size=-20000;"
        "PRAGMA journal_size_limit=67108864;"
    ),
}
DATABASE_URL = env("DATABASE_URL", f"sqlite:///{VAR_DIR / 'sqms.sqlite3'}")
_db = dj_database_url.parse(DATABASE_URL, conn_max_age=envint("SQMS_DB_CONN_MAX_AGE", 600))
_db["CONN_HEALTH_CHECKS"] = True
if _db["ENGINE"] == "django.db.backends.sqlite3":
    # Our backend queues writers fairly in front of SQLite's lock (sqms/common/sqlite/base.py).
    _db["ENGINE"] = "sqms.common.sqlite"
    # The test suite's database lives in memory (what Django does for its own SQLite engine).
    _db["TEST"] = {"NAME": ":memory:"}
    _db["OPTIONS"] = SQLITE_OPTIONS
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (rate limits and login lockout counters must be shared between processes) ----------
REDIS_URL = env("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "sqms_cache",
            # Django's default (300 entries, then a third dropped at random) would drop the
            # public forms' used one-time stamps and the rate-limit counters at a busy store,
            # letting a form be sent twice. Stamps and counters expire on their own within hours.
            "OPTIONS": {"MAX_ENTRIES": 200_000},
        }
    }
# The database cache's increment is not atomic: two requests racing on one counter can make it
# fail, which django-ratelimit would read as "limited" and answer 429 to a legitimate visitor.
# A failed count lets the request through; the limit still holds for every counted request.
RATELIMIT_FAIL_OPEN = True

# --- Background work ------------------------------------------------------------------------
HUEY = {
    "name": "sqms",
    "immediate": envbool("SQMS_HUEY_IMMEDIATE", "false"),
    "consumer": {"workers": envint("SQMS_WORKERS", 2), "worker_type": "thread"},
}
if REDIS_URL:
    HUEY["huey_class"] = "huey.RedisHuey"
    HUEY["url"] = REDIS_URL
else:
    HUEY["huey_class"] = "huey.SqliteHuey"
    HUEY["filename"] = str(VAR_DIR / "huey.sqlite3")

# --- Authentication and security ----------------------------------------------------------
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "sqms.org.backends.ScopedRoleBackend",
]
AXES_FAILURE_LIMIT = envint("SQMS_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = envint("SQMS_LOGIN_LOCKOUT_MINUTES", 15) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_ENABLED = envbool("SQMS_LOGIN_LOCKOUT", "true")

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = envint("SQMS_SESSION_HOURS", 12) * 3600
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie; kept default
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if HTTPS:
    SECURE_SSL_REDIRECT = envbool("SQMS_SSL_REDIRECT", "true")
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = envint("SQMS_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True

# Everything is served from our own origin: no CDN, no inline script.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = env("SQMS_LANGUAGE", "zh-hans")
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env("SQMS_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# --- Static and media -----------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env("SQMS_MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "/media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# --- E-mail ---------------------------------------------------------------------------------
EMAIL_BACKEND = env("SQMS_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env("SQMS_EMAIL_HOST", "localhost")
EMAIL_PORT = envint("SQMS_EMAIL_PORT", 25)
DEFAULT_FROM_EMAIL = env("SQMS_EMAIL_FROM", "sqms@localhost")

# --- API --------------------------------------------------------------------------------------
NINJA_PAGINATION_PER_PAGE = 50
NINJA_PAGINATION_MAX_LIMIT = 500
SQMS_API_PAGE_MAX = 500
# Lists on pages count at most this many rows ("more than 10,000": narrow the filter).
SQMS_LIST_COUNT_CAP = 10_000
SQMS_IDEMPOTENCY_HOURS = envint("SQMS_IDEMPOTENCY_HOURS", 24)
# The address people reach SQMS at: links in e-mails and on the printed QR posters.
SQMS_BASE_URL = env("SQMS_BASE_URL", f"http://127.0.0.1:{env('PORT', '8000')}")
# Public complaint form: submissions per IP address (django-ratelimit rate, e.g. "10/h").
SQMS_PUBLIC_RATE = env("SQMS_PUBLIC_RATE", "10/h")
SQMS_PUBLIC_MIN_SECONDS = envint("SQMS_PUBLIC_MIN_SECONDS", 3)  # sent faster: a bot
# Survey answers per address and hour on the public survey pages: higher than the complaint
# form's, since a store's customers often share its Wi-Fi address.
SQMS_SURVEY_RATE = env("SQMS_SURVEY_RATE", "60/h")
SQMS_ATTACHMENT_MAX_MB = envint("SQMS_ATTACHMENT_MAX_MB", 10)

SQMS_SITE_NAME = _("Service Quality Management System")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("SQMS_LOG_LEVEL", "INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        # The Huey consumer installs its own handler; propagating would print every line twice.
        "huey": {"level": "INFO", "propagate": False},
    },
}
