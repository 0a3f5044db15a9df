"""Settings for the order back office, driven by environment variables (see README)."""

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", default=False)
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG and env_bool("REQUIRE_SECRET_KEY", default=False):
        raise ImproperlyConfigured("SECRET_KEY must be set")
    # Local runs only: production sets SECRET_KEY (README, deployment).
    SECRET_KEY = "insecure-local-development-key-change-me"
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_q",
    "django_countries",
    "channels",
    "customers",
    "orders",
    "coldstorage",
    "automation",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]


def _database(url_var: str, sqlite_name: str) -> dict:
    url = env_str(url_var)
    if not url:
        # The zero-setup default: SQLite files under var/ (git-ignored, so made on first use).
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{VAR_DIR / sqlite_name}"
    try:
        config = dj_database_url.parse(url)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{url_var} is not a valid database URL: {exc}") from None
    engine = config["ENGINE"]
    options = config.setdefault("OPTIONS", {})
    if engine == "django.db.backends.sqlite3":
        # Web server and worker share the file: WAL lets readers run beside the writer,
        # IMMEDIATE takes the write lock up front instead of failing on upgrade.
        options.update(
            {
                "timeout": 30,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            }
        )
        config["CONN_MAX_AGE"] = 0
        # A file, not memory, so that live-server and worker processes in tests share it.
        config["TEST"] = {"NAME": str(VAR_DIR / f"test_{sqlite_name}")}
    elif engine == "django.db.backends.postgresql":
        # JIT turned a 10k-row UPDATE from 4 s into 273 s here (STACK-NOTES).
        options.setdefault("options", "-c jit=off")
        config["CONN_MAX_AGE"] = env_int("CONN_MAX_AGE", 60)
        config["CONN_HEALTH_CHECKS"] = True
    else:
        raise ImproperlyConfigured(f"{url_var}: only PostgreSQL and SQLite are supported")
    return config


DATABASES = {
    "default": _database("DATABASE_URL", "orderdesk.sqlite3"),
    "coldstorage": _database("COLDSTORAGE_DATABASE_URL", "coldstorage.sqlite3"),
}
DATABASE_ROUTERS = ["coldstorage.routers.ColdStorageRouter"]
# Covering indexes (INCLUDE) serve PostgreSQL; SQLite, the zero-setup default, just ignores them.
SILENCED_SYSTEM_CHECKS = ["models.W040"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "orders:list"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "de"
LANGUAGES = [("de", _("Deutsch")), ("en", _("Englisch"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Berlin"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env_bool("STATIC_MANIFEST", default=False)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# Cold storage keys: "id:base64key,id2:base64key"; the first encrypts, all decrypt.
COLDSTORAGE_KEYS = env_str("COLDSTORAGE_KEYS")
COLDSTORAGE_KEY_FILE = Path(env_str("COLDSTORAGE_KEY_FILE", str(VAR_DIR / "coldstorage.keys")))

PRIVACY_CHUNK_SIZE = env_int("PRIVACY_CHUNK_SIZE", 2000)
# Chunks of one job processed at once on PostgreSQL (one connection each); SQLite uses one.
PRIVACY_JOB_THREADS = env_int("PRIVACY_JOB_THREADS", 2)
# A job whose heartbeat is older than this is resumed by the reconciler.
PRIVACY_JOB_LEASE_SECONDS = env_int("PRIVACY_JOB_LEASE_SECONDS", 120)
# The worker supervisor (`manage.py run_worker`) sends a probe task through the queue this often,
# restarts the cluster when no probe got through for WORKER_STALL_SECONDS (a frozen cluster:
# django-q2 issue #23), and stops it with TERM, then KILL after WORKER_STOP_GRACE_SECONDS.
WORKER_PROBE_SECONDS = env_int("WORKER_PROBE_SECONDS", 30)
WORKER_STALL_SECONDS = env_int("WORKER_STALL_SECONDS", 120)
WORKER_STOP_GRACE_SECONDS = env_int("WORKER_STOP_GRACE_SECONDS", 20)
AUTO_ANONYMIZE_TIME = env_str("AUTO_ANONYMIZE_TIME", "02:30")
PURGE_TIME = env_str("PURGE_TIME", "03:30")

Q_CLUSTER = {
    "name": "orderdesk",
    "orm": "default",
    "workers": env_int("Q_WORKERS", 2),
    "timeout": env_int("Q_TIMEOUT", 3600),
    "retry": env_int("Q_TIMEOUT", 3600) + 600,
    "max_attempts": 3,
    "poll": 0.2,
    "catch_up": False,
    "save_limit": 1000,
    "ack_failures": True,
    "sync": env_bool("Q_SYNC", default=False),
    "label": "Django Q2",
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
