"""Django settings for buurtkit. Everything configurable comes from :mod:`buurtkit.conf.env`."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from buurtkit.conf.env import ConfigError, Env

env = Env.from_os()
PACKAGE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env.bool("DEBUG", False)
DEMO_MODE = env.bool("BUURTKIT_DEMO", False)
DATA_DIR = env.path("BUURTKIT_DATA_DIR", "./var")

SECRET_KEY = env.str("SECRET_KEY")
if not SECRET_KEY:
    if DEBUG or DEMO_MODE:
        # A random key made once per data dir: no shared, public key even for a demo on a LAN.
        _key_file = DATA_DIR / "secret_key"
        if not _key_file.exists():
            import secrets

            DATA_DIR.mkdir(parents=True, exist_ok=True)
            _key_file.write_text(secrets.token_urlsafe(50))
            _key_file.chmod(0o600)
        SECRET_KEY = _key_file.read_text().strip()
    else:
        raise ConfigError(
            "SECRET_KEY is not set. Set SECRET_KEY to a long random value "
            "(only `buurtkit demo` and DEBUG=1 run without one)."
        )

ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS",
    # The demo may be opened from another device on the local network (a tablet at the counter).
    ["*"] if DEMO_MODE else ["127.0.0.1", "localhost", "[::1]", "testserver"],
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", [])

# Behind HTTPS (the default outside demo/debug) cookies are secure-only.
HTTPS = env.bool("BUURTKIT_HTTPS", not (DEBUG or DEMO_MODE))
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# Digipunten are shared public computers: a session ends when the browser closes and after
# four hours at most, so the next visitor is not signed in as the previous resident.
SESSION_COOKIE_AGE = 60 * 60 * 4
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# Where residents reach buurtkit (used in e-mailed links instead of the request's Host header).
PUBLIC_URL = env.str("BUURTKIT_PUBLIC_URL").rstrip("/")
# Printed QR codes and call webhooks need it: without it, `buurtkit serve` and `buurtkit worker`
# refuse to print codes or place calls (core/public_url.py). `buurtkit demo` derives it from
# --host/--port; DEBUG=1 falls back to a local address.
PUBLIC_URL_REQUIRED = env.bool("BUURTKIT_PUBLIC_URL_REQUIRED", not (DEBUG or DEMO_MODE))
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
BEHIND_PROXY = env.bool("BUURTKIT_BEHIND_PROXY", False)
# The load balancer's address; `buurtkit serve` trusts its X-Forwarded-* headers only from there,
# so login throttling counts the real client address.
TRUSTED_PROXY = env.str("BUURTKIT_TRUSTED_PROXY", "127.0.0.1")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", False)
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = True
# HSTS: browsers that reached us over HTTPS come back only over HTTPS for a year. Django sends
# the header only on secure requests (behind a proxy: X-Forwarded-Proto https from the trusted
# proxy, see BUURTKIT_BEHIND_PROXY), so plain-HTTP demos and development never get it.
# SECURE_HSTS_SECONDS=0 turns it off (first weeks of a new domain, if HTTPS is not settled yet).
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)

# Content-Security-Policy on every response (django-csp's CSPMiddleware): scripts and styles
# only from our own static files, no inline code, no plugins, forms post only to us, and no
# framing. A view can change it with the decorators in buurtkit.web.decorators (``embeddable``
# for a widget shown in other sites' iframes, ``csp_override`` for anything else); a view
# that sets the header itself keeps its own. docs/operations.md, "Security headers".
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# Where an ``embeddable`` view may be framed: the neighbourhood websites that show a widget.
EMBED_FRAME_ANCESTORS = env.list("BUURTKIT_EMBED_ORIGINS", ["https:"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "ninja",
    "csp",
    "django_tasks",
    "django_tasks_db",
    "axes",
    "buurtkit.core",
    "buurtkit.audit",
    "buurtkit.people",
    "buurtkit.messaging",
    "buurtkit.places",
    "buurtkit.qrcodes",
    "buurtkit.telephony",
    "buurtkit.ledger",
    "buurtkit.lending",
    "buurtkit.activities",
    "buurtkit.helpdesk",
    "buurtkit.neighbours",
    "buurtkit.web",
]

MIDDLEWARE = [
    "buurtkit.web.middleware.ApiErrorShapeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Page-only middleware ("Pages…") lets API calls signed with a key go past (web/middleware).
    "buurtkit.web.middleware.PagesSessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "buurtkit.web.middleware.PagesCommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "buurtkit.web.middleware.PagesAuthenticationMiddleware",
    "buurtkit.web.middleware.PagesMessageMiddleware",
    "buurtkit.web.middleware.PagesXFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
    "buurtkit.web.middleware.ServiceErrorMiddleware",
]

ROOT_URLCONF = "buurtkit.conf.urls"
WSGI_APPLICATION = "buurtkit.conf.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "buurtkit.web.context.buurtkit",
            ],
        },
    }
]

# --- Database: SQLite in the data dir unless DATABASE_URL says otherwise -------------
DATABASE_URL = env.str("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)
    }
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # Django's backend with a health check that skips connections in use a moment ago.
        DATABASES["default"]["ENGINE"] = "buurtkit.core.db.postgresql"
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(DATA_DIR / "buurtkit.sqlite3"),
            # IMMEDIATE: writers take the lock at BEGIN, so two writers never deadlock
            # upgrading a read lock; WAL lets readers run beside one writer.
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: cache and task queue when REDIS_URL is set --------------------------------
REDIS_URL = env.str("REDIS_URL")
# The RQ apps are always installed so the same code path exists on every install; they are
# only used when REDIS_URL is set (or when a test points TASKS at them).
RQ_QUEUES = {"default": {"URL": REDIS_URL or "redis://127.0.0.1:6379/0", "DEFAULT_TIMEOUT": 600}}
INSTALLED_APPS += ["django_rq", "django_tasks_rq"]
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

SESSION_ENGINE = "django.contrib.sessions.backends.db"

# --- Auth -------------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "buurtkit.people.auth.UsernameOrPhoneBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:home"

# Login throttling (django-axes): 5 failures per username+address, 15 minutes cool-off.
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_CALLABLE = "buurtkit.people.auth.throttle_key"  # one budget per account
AXES_LOCKOUT_TEMPLATE = "web/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

# --- Internationalisation ---------------------------------------------------------------
LANGUAGE_CODE = "nl"
LANGUAGES = [("nl", _("Dutch")), ("en", _("English")), ("fr", _("French"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
# Dates and numbers per language (conf/formats: English dates day-first with a 24-hour clock).
FORMAT_MODULE_PATH = ["buurtkit.conf.formats"]
USE_I18N = True
TIME_ZONE = "Europe/Brussels"
USE_TZ = True
PHONE_DEFAULT_REGION = env.str("PHONE_DEFAULT_REGION", "BE")

# --- Static files (whitenoise; no CDN) ----------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = True
# Files browsers ask for at the site's root (/favicon.ico, /apple-touch-icon.png): served by
# whitenoise like static files, so no page logs a 404 for them.
WHITENOISE_ROOT = PACKAGE_DIR / "web" / "static" / "root"  # (packaged with static/)
MEDIA_ROOT = DATA_DIR / "media"

# --- Request limits -----------------------------------------------------------------------
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("MAX_REQUEST_BYTES", 2 * 1024 * 1024)
NINJA_PAGINATION_MAX_LIMIT = 200  # no bulk download of personal data through one request

# --- QR codes (docs/qrcodes.md) ------------------------------------------------------------
QR_SCAN_RECORDING = env.str("QR_SCAN_RECORDING", "buffered")
QR_SCAN_FLUSH_SECONDS = env.int("QR_SCAN_FLUSH_SECONDS", 1)
QR_SCAN_BUFFER_SIZE = env.int("QR_SCAN_BUFFER_SIZE", 2000)
QR_CACHE_SECONDS = env.int("QR_CACHE_SECONDS", 2)
QR_WEBHOOK_ALLOW_PRIVATE = env.bool("QR_WEBHOOK_ALLOW_PRIVATE", False)

# --- Messaging ------------------------------------------------------------------------------
EMAIL_BACKEND = env.str("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = str(DATA_DIR / "outbox" / "email")
EMAIL_HOST = env.str("EMAIL_HOST", "localhost")
EMAIL_PORT = env.int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", "buurtkit <noreply@localhost>")
# Inbound e-mail (messaging/inbound.py, docs/mail.md): limits per mail, where attachments are
# kept (outside the web root: never under MEDIA_ROOT or STATIC_ROOT), and the domain of the
# Message-IDs of the mails we send.
MAIL_DIR = DATA_DIR / "mail"
MAIL_MAX_BYTES = env.int("MAIL_MAX_BYTES", 25 * 1024 * 1024)
MAIL_ATTACHMENT_MAX_BYTES = env.int("MAIL_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)
MAIL_ATTACHMENTS_MAX = env.int("MAIL_ATTACHMENTS_MAX", 20)
MAIL_ALLOW_PLAIN_IMAP = env.bool("MAIL_ALLOW_PLAIN_IMAP", False)
MAIL_MESSAGE_ID_DOMAIN = env.str("MAIL_MESSAGE_ID_DOMAIN")
SMS_PROVIDER = env.str("SMS_PROVIDER", "file")
SMS_FILE_PATH = str(DATA_DIR / "outbox" / "sms.log")
TELEPHONY_PROVIDER = env.str("TELEPHONY_PROVIDER", "simulator")
TWILIO_ACCOUNT_SID = env.str("TWILIO_ACCOUNT_SID")
TWILIO_AUTH_TOKEN = env.str("TWILIO_AUTH_TOKEN")
TWILIO_FROM_NUMBER = env.str("TWILIO_FROM_NUMBER")
# The simulator signs its webhooks with this token (empty: derived from SECRET_KEY), calls
# TELEPHONY_SIMULATOR_BASE_URL (empty: BUURTKIT_PUBLIC_URL, else http://127.0.0.1:8000) and
# waits TELEPHONY_SIMULATOR_PACE_MS between steps so a demo shows calls progressing.
# How long a web process may keep trusting an API key it checked (seconds). The process that
# revokes a key refuses it at once; other processes within this time. 0: read it every request.
API_KEY_CACHE_SECONDS = env.int("API_KEY_CACHE_SECONDS", 5)
TELEPHONY_SIMULATOR_TOKEN = env.str("TELEPHONY_SIMULATOR_TOKEN")
TELEPHONY_SIMULATOR_BASE_URL = env.str("TELEPHONY_SIMULATOR_BASE_URL")
TELEPHONY_SIMULATOR_PACE = env.int("TELEPHONY_SIMULATOR_PACE_MS", 0) / 1000
# Simulated residents run in threads beside the server (two calls can then wait for each other
# in a conference room); the tests run them one after the other instead.
TELEPHONY_SIMULATOR_THREADS = env.bool("TELEPHONY_SIMULATOR_THREADS", True)
# Buurbel's inbound line puts callers through to this number (E.164) during office hours
# (Europe/Brussels; days 1 = Monday); outside them callers are promised a call back.
BUURBEL_OFFICE_NUMBER = env.str("BUURBEL_OFFICE_NUMBER")
# Which community's line a number is, when several communities share this installation:
# "rabot=+3293001122,heuvelwijk=+3293001133". With one community it may stay empty.
BUURBEL_LINES = {
    number.strip(): slug.strip()
    for slug, _sep, number in (
        part.partition("=") for part in env.str("BUURBEL_LINES").split(",") if "=" in part
    )
}
BUURBEL_OFFICE_HOURS = [
    {"days": [1, 2, 3, 4, 5], "from": "09:00", "to": "12:00"},
    {"days": [1, 2, 3, 4, 5], "from": "13:00", "to": "16:00"},
]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
CSRF_FAILURE_VIEW = "buurtkit.web.views.errors.csrf_failure"
