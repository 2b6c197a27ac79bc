"""Digest's one settings file, read from the environment with development-friendly defaults."""

import ipaddress
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEBUG = env.bool("DJANGO_DEBUG", default=True)


def _secret_key_from_file(path):
    """The key kept in `path`, made there on first use (`make run` keeps one out of git)."""
    if not path:
        return ""
    path = Path(path)
    if not path.exists():
        import secrets

        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(50))
    return path.read_text().strip()


if DEBUG:
    # Only ever used on a developer's machine: production refuses to start without a real key.
    SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="insecure-development-key-not-for-production")
    ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
else:
    SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="") or _secret_key_from_file(
        env.str("DJANGO_SECRET_KEY_FILE", default="")
    )
    ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=[])
    if not SECRET_KEY or not ALLOWED_HOSTS:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY and DJANGO_ALLOWED_HOSTS must be set when DJANGO_DEBUG is off."
        )

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "nested_admin",
    "reversion",
    "markdownx",
    "csp",
    "axes",
    "anymail",
    "django_tasks",
    "django_tasks_db",
    "issues",
    "delivery",
]

MIDDLEWARE = [
    "digest.middleware.RequestLogMiddleware",
    "digest.middleware.DatabaseUnavailableMiddleware",
    # Before anything reads X-Forwarded-Proto or -For: only our proxies may send them.
    "issues.web.client.ForwardedHeadersMiddleware",
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
    # Last, as django-axes asks: it turns a locked-out login into the lockout answer.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    # Counts failed logins and refuses locked-out ones before the password is even checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "digest.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.i18n",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "digest.wsgi.application"

DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Reuse connections, but check them first so a restarted server is survived.
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web and the task workers share one file: WAL lets readers run beside the writer,
    # IMMEDIATE takes the write lock when a transaction starts (no upgrade deadlocks), and a
    # writer waits for the lock instead of failing at once.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;"
        ),
    }

CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://digest")}
# Public pages are cached whole (issues.caching); off only to measure or debug.
DIGEST_PAGE_CACHE = env.bool("DIGEST_PAGE_CACHE", default=True)
DIGEST_PAGE_CACHE_TIMEOUT = env.int("DIGEST_PAGE_CACHE_TIMEOUT", default=24 * 3600)
# Where HTML pages are written for nginx to serve without Django; empty: not written.
DIGEST_PAGE_DIR = env.str("DIGEST_PAGE_DIR", default="")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("DJANGO_TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("DJANGO_STATIC_ROOT", default=BASE_DIR / "staticfiles")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# In development WhiteNoise serves straight from the app folders, so no collectstatic is needed.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("DJANGO_MEDIA_ROOT", default=BASE_DIR / "media")

# Absolute links in feeds and exports when no request is at hand (commands, emails).
SITE_URL = env.str("DIGEST_SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
SITE_NAME = env.str("DIGEST_SITE_NAME", default="Digest")

ARCHIVE_PAGE_SIZE = 20

# The issue form posts about six fields per item: Django's default limit (1,000 fields) refused
# the save of a 300-item issue with a 400. Sized for 1,000 items.
DATA_UPLOAD_MAX_NUMBER_FIELDS = 8000

# Reports: how many one client may send per hour, and (0 = off) after how many reports from
# distinct clients an item is hidden pending review.
DIGEST_REPORTS_PER_HOUR = env.int("DIGEST_REPORTS_PER_HOUR", default=5)
DIGEST_AUTO_HIDE_AFTER_REPORTS = env.int("DIGEST_AUTO_HIDE_AFTER_REPORTS", default=0)

# Mail: EMAIL_URL (smtp://user:pass@host:587, smtp+tls://…, smtp+ssl://…, consolemail://,
# filemail:////absolute/folder) or, for an ESP through django-anymail, DJANGO_EMAIL_BACKEND
# (e.g. anymail.backends.amazon_ses.EmailBackend) with its ANYMAIL_* settings. In development,
# mail is written to files in MAIL_DIR (./mail/), one file per connection.
MAIL_DIR = env.path("DIGEST_MAIL_DIR", default=BASE_DIR / "mail")
EMAIL_FILE_PATH = str(MAIL_DIR)  # where the file backend writes (make run)
if env.str("EMAIL_URL", default=""):
    globals().update(env.email_url("EMAIL_URL"))
elif DEBUG and not env.str("DJANGO_EMAIL_BACKEND", default=""):
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = str(MAIL_DIR)
else:
    EMAIL_BACKEND = env.str(
        "DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend"
    )
    EMAIL_HOST = env.str("DJANGO_EMAIL_HOST", default="localhost")
    EMAIL_PORT = env.int("DJANGO_EMAIL_PORT", default=25)
DEFAULT_FROM_EMAIL = env.str("DJANGO_DEFAULT_FROM_EMAIL", default="digest@localhost")
# A mail server that accepts and never answers must not hold a worker for long.
EMAIL_TIMEOUT = env.int("DJANGO_EMAIL_TIMEOUT", default=10)
ANYMAIL = {
    # Basic-auth "user:password" that the ESP's tracking webhook must present.
    "WEBHOOK_SECRET": env.str("DIGEST_ANYMAIL_WEBHOOK_SECRET", default="") or None,
}

# Background work (django-tasks, database backend): `manage.py db_worker` runs it.
TASKS = {
    "default": {
        "BACKEND": env.str("DIGEST_TASKS_BACKEND", default="django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default", "delivery"],
    }
}
# Newsletter sending: messages per second across all workers (0: no limit), messages one
# task claims at once, and how long a claim holds before another worker may take the rows.
DIGEST_SEND_RATE = env.float("DIGEST_SEND_RATE", default=50)
# An address for `List-Unsubscribe: <mailto:…>` beside the one-click link; empty: link only.
DIGEST_UNSUBSCRIBE_MAILTO = env.str("DIGEST_UNSUBSCRIBE_MAILTO", default="")
DIGEST_SEND_BATCH = env.int("DIGEST_SEND_BATCH", default=50)
DIGEST_SEND_LEASE_SECONDS = env.int("DIGEST_SEND_LEASE_SECONDS", default=60)
DIGEST_SEND_WORKERS = env.int("DIGEST_SEND_WORKERS", default=2)
DIGEST_SUBSCRIBES_PER_HOUR = env.int("DIGEST_SUBSCRIBES_PER_HOUR", default=5)
# How long a confirmation link works.
DIGEST_CONFIRM_DAYS = env.int("DIGEST_CONFIRM_DAYS", default=7)

# The markdownx live preview renders through the same function as the public pages.
MARKDOWNX_MARKDOWNIFY_FUNCTION = "issues.text.markdown.render_markdown"
MARKDOWNX_UPLOAD_MAX_SIZE = 2 * 1024 * 1024
MARKDOWNX_UPLOAD_CONTENT_TYPES = ["image/jpeg", "image/png", "image/gif", "image/webp"]
MARKDOWNX_MEDIA_PATH = "markdownx/"

# Content-Security-Policy on every response, the admin and the markdownx editor included: no
# inline script, no eval, no inline style (a browser test records violations and finds none).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "https:", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

# Failed logins: lock a username from one client after 5 failures, for 15 minutes.
AXES_FAILURE_LIMIT = env.int("DIGEST_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("DIGEST_LOGIN_COOLOFF_HOURS", default=0.25)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "lockout.html"
# The client address as our proxy saw it (issues.web.client), not the proxy's; an IPv6 client
# by its /64, as the report limit counts it.
AXES_CLIENT_IP_CALLABLE = "issues.web.client.login_client_address"

# After a login whose `next=` was refused (another site, a bad URL): the admin, never Django's
# default /accounts/profile/, which does not exist here.
LOGIN_REDIRECT_URL = "admin:index"

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# The proxies in front of Django (addresses or networks). From a peer in this list, and only
# from one, X-Forwarded-For names the client (rate limits, report hashes, login throttling) and
# X-Forwarded-Proto the scheme (nginx terminates TLS); from any other peer both are dropped
# (issues.web.client). The default is a proxy on this machine: deploy/gunicorn.conf.py binds
# loopback and reads the same variable. Empty: no proxy, no forwarded header is believed.
for _old in ("DIGEST_BEHIND_PROXY", "DJANGO_BEHIND_PROXY"):
    if _old in env:
        raise ImproperlyConfigured(
            f"{_old} is gone: list the proxies in front of Django in DIGEST_TRUSTED_PROXIES "
            "(default 127.0.0.1,::1; empty for none)."
        )
DIGEST_TRUSTED_PROXIES = env.list("DIGEST_TRUSTED_PROXIES", default=["127.0.0.1", "::1"])
for _proxy in DIGEST_TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_proxy, strict=False)
    except ValueError as _error:
        raise ImproperlyConfigured(
            f"DIGEST_TRUSTED_PROXIES: {_proxy!r} is not an IP address or network."
        ) from _error
if DIGEST_TRUSTED_PROXIES:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
# Load balancers probe over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=0 if DEBUG else 365 * 24 * 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_HSTS_PRELOAD", default=False)
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
# Asking browsers to preload HSTS binds the whole domain for months: its owner opts in.
SILENCED_SYSTEM_CHECKS = ["security.W021"]

# One JSON line per request on stdout (digest.middleware.RequestLogMiddleware).
DIGEST_REQUEST_LOG = env.bool("DIGEST_REQUEST_LOG", default=not DEBUG)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"bare": {"format": "%(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler"},
        "stdout": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": "bare",
        },
    },
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
    "loggers": {
        "digest.requests": {"handlers": ["stdout"], "level": "INFO", "propagate": False},
        # Each request is logged once, by digest.requests; Django's own lines would repeat it.
        "django.request": {"level": "ERROR"},
    },
}
AXES_VERBOSE = False  # no banner on every start
