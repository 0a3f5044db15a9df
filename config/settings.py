"""Settings for the order back office, driven by environment variables (see README)."""

import datetime
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from config.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", default=False)
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        # A fixed key is public (it is in this file): sessions and password-reset links signed
        # with it could be forged.
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. With DEBUG off OrderDesk does not start with a publicly known "
            "key: set SECRET_KEY to a long random value (README, Production deployment), e.g. "
            "python -c 'import secrets; print(secrets.token_urlsafe(50))'. For a local run set "
            "DEBUG=true (make start does)."
        )
    # Local runs only (DEBUG on, `make start`).
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
    "documents",
    "notifications",
    "privacyoffice",
    "demo",
    "axes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "config.middleware.refuse_null_characters",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "config.middleware.no_store_when_signed_in",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as its documentation asks: turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
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
                "django.template.context_processors.csp",
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
# Axes counts failed logins (site and admin) and refuses further tries; it must come first.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "orders:list"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "de"
LANGUAGES = [("de", _("Deutsch")), ("en", _("Englisch"))]
#: Our own English formats (a 24-hour clock); German is Django's own.
FORMAT_MODULE_PATH = ["config.formats"]
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

# --- E-mail (docs/notifications.md) ------------------------------------------------------------
# Mail goes out through the merchant's first active SMTP server (Einstellungen → E-Mail-Versand);
# without one, through these default settings: the console in development.
_EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
MAILERS = {
    "default": {
        "BACKEND": _EMAIL_BACKEND,
        "OPTIONS": {"host": env_str("EMAIL_HOST", "localhost"), "port": env_int("EMAIL_PORT", 25)}
        if _EMAIL_BACKEND.endswith(".smtp.EmailBackend")
        else {},
    }
}
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "orderdesk@localhost")
# Where "E-Mail an mich" goes when the company settings have no e-mail address.
NOTIFICATIONS_MERCHANT_EMAIL = env_str("NOTIFICATIONS_MERCHANT_EMAIL", "")
# A private CA's certificates (PEM) that TLS/STARTTLS servers may present; else the system's.
SMTP_CA_FILE = env_str("SMTP_CA_FILE", "")
SMTP_TIMEOUT = env_int("SMTP_TIMEOUT", 20)
# A server that fails this many times in a row is switched off (and the merchant sees why).
SMTP_MAX_FAILURES = env_int("SMTP_MAX_FAILURES", 5)
# A mail is tried this often, waiting MAIL_RETRY_BASE_SECONDS × 4^(n-1) after the n-th failure.
MAIL_MAX_ATTEMPTS = env_int("MAIL_MAX_ATTEMPTS", 5)
MAIL_RETRY_BASE_SECONDS = env_int("MAIL_RETRY_BASE_SECONDS", 60)
# How long a sender holds the mails it claimed; a sender killed meanwhile leaves them to the next
# one after this (the one mail in its SMTP conversation may then go out twice: at least once).
MAIL_CLAIM_SECONDS = env_int("MAIL_CLAIM_SECONDS", 300)

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

# --- Login throttling (django-axes; README, Configuration) -------------------------------------
# Five wrong passwords for one username from one address lock that pair out for 15 minutes; a
# colleague at the same address and the same user elsewhere can still log in. Unlock earlier with
# `manage.py axes_reset_username NAME` (or `axes_reset` for everyone).
# No "AXES: BEGIN …" line on every start of every command.
AXES_VERBOSE = False
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env_int("LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "config.lockout.login_locked_out"
AXES_USERNAME_CALLABLE = "config.lockout.login_username"
# Successful logins need no record of their own (fewer user names and addresses stored).
AXES_DISABLE_ACCESS_LOG = True
AXES_COOLOFF_MESSAGE = _(
    "Zu viele fehlgeschlagene Anmeldeversuche. Die Anmeldung ist vorübergehend gesperrt; bitte "
    "versuchen Sie es später erneut."
)

# --- HTTPS, cookies, sessions, CSP (README, Production deployment) ----------------------------
# With DEBUG on (make start) the site runs on plain http; everything else is production.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=not DEBUG)
if env_bool("SECURE_PROXY_SSL_HEADER", default=False):
    # Behind a proxy that terminates TLS and sets X-Forwarded-Proto (and strips it from clients).
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=False)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SESSION_COOKIE_HTTPONLY = True
# htmx sends the token from the page (hx-headers on <body>); no script reads the cookie.
CSRF_COOKIE_HTTPONLY = True
# A working day, and gone with the browser: a forgotten session does not stay open for weeks.
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 60 * 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = env_bool("SESSION_EXPIRE_AT_BROWSER_CLOSE", default=True)
# Scripts and styles come from our own static files only (no inline code, no eval); the nonce is
# for the script tags django-htmx and the admin render.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
# Preloading is a commitment made by submitting the domain to the browsers' preload list; the
# header alone does not preload. Set SECURE_HSTS_PRELOAD=true when you submit it.
SILENCED_SYSTEM_CHECKS += ["security.W021"]

# The list's privacy actions accept up to orders.privacy.selection.MAX_PRIVACY_SELECTION (200,000) ticked ids,
# each a form field: the limits leave room for them, so that more ids get the product's own
# message instead of a bare 400 (tests/test_hostile_input.py holds the two together).
DATA_UPLOAD_MAX_NUMBER_FIELDS = 201_000
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# The CSV import (Einstellungen → Import): the largest file accepted, read in memory only (never a
# temporary file: it holds personal data), and how long an upload waits for its confirmation.
IMPORT_MAX_BYTES = env_int("IMPORT_MAX_MB", 20) * 1024 * 1024
IMPORT_UPLOAD_MAX_AGE = datetime.timedelta(minutes=env_int("IMPORT_UPLOAD_MAX_MINUTES", 60))
FILE_UPLOAD_HANDLERS = ["config.uploads.InMemoryUploadHandler"]

# No personal data in logs (config/log_filters.py): database errors lose their DETAIL/CONTEXT
# and quoted values, 4xx answers their traceback, logged request lines their search terms.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"personal_data": {"()": "config.log_filters.RedactPersonalData"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["personal_data"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        # Django's own defaults would add handlers without the filter (and mail_admins).
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.db.backends": {"level": "INFO"},
        # WeasyPrint (documents) reports every rendering step at INFO, also while it imports.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
