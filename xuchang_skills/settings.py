"""Settings for the Xuchang skills system: one file, read through django-environ.

With nothing set it runs on the embedded default (SQLite file, Celery eager, DEBUG on, a
generated development secret). Setting ``DATABASE_URL``, ``CELERY_BROKER_URL``, ``SECRET_KEY``,
``ALLOWED_HOSTS`` and ``DEBUG=false`` runs it the production way. `.env.example` lists every
variable.
"""

import secrets
from pathlib import Path

import environ
from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A developer's .env is read if present; real deployments set the environment.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# ------------------------------------------------------------------------------
# Core
# ------------------------------------------------------------------------------
DEBUG = env.bool("DEBUG", default=True)


def _development_secret() -> str:
    """A secret generated once per checkout, so sessions survive a restart in development."""
    path = BASE_DIR / ".dev-secret"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
    return path.read_text().strip()


SECRET_KEY = env("SECRET_KEY", default="") or (_development_secret() if DEBUG else "")
if not SECRET_KEY:
    raise environ.ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
USE_X_FORWARDED_FOR = env.bool("USE_X_FORWARDED_FOR", default=False)
# How many proxies of ours append to X-Forwarded-For (nginx: 1); the client address is that many
# entries from the right. Entries further left are the client's own claim and never trusted.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=1)
# A demo clock (DEBUG only): "now" for the campaign pages, so a demo can stand in 2014.
APP_TODAY = env("APP_TODAY", default="") if DEBUG else ""

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_tables2",
    "django_filters",
    "csp",
    "core",
    "training",
    "appraisal",
    "subsidies",
    "awards",
    "dashboard",
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
    "core.middleware.SessionTimeoutMiddleware",
    "core.middleware.PrivatePagesMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "core.middleware.RequestContextMiddleware",
    # Last, so it is the first to see a view's exception: a lost database connection → 503.
    "core.resilience.DatabaseUnavailableMiddleware",
]

ROOT_URLCONF = "xuchang_skills.urls"
WSGI_APPLICATION = "xuchang_skills.wsgi.application"

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
                "core.context_processors.navigation",
            ],
        },
    },
]

# ------------------------------------------------------------------------------
# Database
# ------------------------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Behind PgBouncer in transaction pooling: no server-side cursors (README, city scale).
DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = env.bool(
    "DISABLE_SERVER_SIDE_CURSORS", default=False
)
DATABASES["default"]["TEST"] = {"NAME": env("TEST_DATABASE_NAME", default=None)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Read replica (core.db_router): with DATABASE_REPLICA_URL set, GET requests to these paths read
# the campaign's data from the replica; sessions, users and every write stay on the primary.
REPLICA_READ_APPS = ["training", "appraisal", "dashboard", "subsidies", "awards"]
REPLICA_READ_PATHS = env.list("REPLICA_READ_PATHS", default=["/progress/", "/bulletins/"])
if env("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = env.db("DATABASE_REPLICA_URL")
    DATABASES["replica"]["CONN_MAX_AGE"] = DATABASES["default"]["CONN_MAX_AGE"]
    DATABASES["replica"]["CONN_HEALTH_CHECKS"] = True
    # Tests read the replica alias from the test database itself.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["core.db_router.ReplicaRouter"]
    # Outermost: it only marks the request; the others keep their places.
    MIDDLEWARE.insert(0, "core.db_router.ReplicaReadsMiddleware")

# ------------------------------------------------------------------------------
# Authentication
# ------------------------------------------------------------------------------
AUTH_USER_MODEL = "core.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard:home"
LOGOUT_REDIRECT_URL = "login"
# Django's model backend behind the login throttle (core.auth).
AUTHENTICATION_BACKENDS = ["core.auth.ThrottledModelBackend"]
# Lock a typed user name after this many consecutive failures, for this long (never for ever).
LOGIN_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
LOGIN_LOCKOUT_SECONDS = env.int("LOGIN_LOCKOUT_SECONDS", default=30 * 60)
# Password spraying: this many failures from one address, across names, within the window lock
# the address for LOGIN_IP_LOCKOUT_SECONDS.
LOGIN_IP_FAILURE_LIMIT = env.int("LOGIN_IP_FAILURE_LIMIT", default=20)
LOGIN_IP_WINDOW_SECONDS = env.int("LOGIN_IP_WINDOW_SECONDS", default=15 * 60)
LOGIN_IP_LOCKOUT_SECONDS = env.int("LOGIN_IP_LOCKOUT_SECONDS", default=15 * 60)
# Failure counters with no lock in force and no failure for this long are deleted (daily job).
LOGIN_THROTTLE_RETENTION_SECONDS = env.int("LOGIN_THROTTLE_RETENTION_SECONDS", default=24 * 60 * 60)
# Optional second factor (authenticator app, RFC 6238) for these roles; the code must follow the
# password within TOTP_PENDING_SECONDS.
TOTP_ROLES = env.list("TOTP_ROLES", default=["office", "finance"])
TOTP_PENDING_SECONDS = env.int("TOTP_PENDING_SECONDS", default=5 * 60)
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# ------------------------------------------------------------------------------
# Language and time
# ------------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# ------------------------------------------------------------------------------
# Static and media files
# ------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(BASE_DIR / "media")))
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
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# ------------------------------------------------------------------------------
# Security (production values whenever DEBUG is off; `check --deploy` is clean)
# ------------------------------------------------------------------------------
# Sessions live in the database, so ending a person's sessions (deactivation) is a delete.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=12 * 60 * 60)
# core.middleware.SessionTimeoutMiddleware: staff (every role but a worker-only account) are
# signed out after this long idle; everyone this long after login, however active.
SESSION_IDLE_TIMEOUT_SECONDS = env.int("SESSION_IDLE_TIMEOUT_SECONDS", default=30 * 60)
SESSION_ABSOLUTE_TIMEOUT_SECONDS = env.int("SESSION_ABSOLUTE_TIMEOUT_SECONDS", default=12 * 60 * 60)
# The last-seen stamp is rewritten at most this often (not on every request).
SESSION_ACTIVITY_RESOLUTION_SECONDS = 60
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Content-Security-Policy (django-csp): scripts only from our own static files, never inline.
# Inline style *attributes* stay allowed (layout widths in templates; htmx's indicator style):
# they cannot run code. Nothing may frame the site.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    # nginx terminates TLS and tells us so.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Key for field-level encryption of ID and account numbers; derived from SECRET_KEY when unset
# (development), set explicitly in production so SECRET_KEY can rotate independently.
FIELD_ENCRYPTION_KEY = env("FIELD_ENCRYPTION_KEY", default="")
# Keys being rotated out: still accepted for decryption until `rotate_field_keys` has run.
FIELD_ENCRYPTION_OLD_KEYS = env.list("FIELD_ENCRYPTION_OLD_KEYS", default=[])
# The keyed hash that makes protected values unique must never rotate; defaults to the first key.
FIELD_HASH_KEY = env("FIELD_HASH_KEY", default="")
# A person may reveal at most this many full ID / account numbers in 24 hours (core.reveal).
REVEAL_DAILY_LIMIT = env.int("REVEAL_DAILY_LIMIT", default=50)

# ------------------------------------------------------------------------------
# Celery
# ------------------------------------------------------------------------------
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="")
# Without a broker the quick start runs every task in-process; beat does not run then, so every
# scheduled job also has a management command and an office button.
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=None)
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 30 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 25 * 60
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 2 * 60 * 60}
# With CELERY_REPORTS_QUEUE set (docker-compose.yml: "reports"), reports and exports go to that
# queue, served by workers of their own (`celery worker -Q reports`); unset, one queue does all.
CELERY_REPORTS_QUEUE = env("CELERY_REPORTS_QUEUE", default="")
CELERY_TASK_ROUTES = (
    {
        name: {"queue": CELERY_REPORTS_QUEUE}
        for name in (
            "training.tasks.compute_monthly_progress",
            "training.tasks.run_institution_assessment",
            "core.tasks.run_export_job",
        )
    }
    if CELERY_REPORTS_QUEUE
    else {}
)
# The static schedule; each entry names a task that is idempotent per period.
CELERY_BEAT_SCHEDULE = {
    "monthly-return-reminders": {
        "task": "training.tasks.send_return_reminders",
        # Daily at 09:00: the task itself acts only on the 1st and on the campaign's due day,
        # so the due day stays data.
        "schedule": crontab(minute=0, hour=9),
    },
    "close-expired-unlocks": {
        "task": "training.tasks.close_expired_unlocks",
        "schedule": crontab(minute="*/15"),
    },
    "monthly-progress-report": {
        "task": "training.tasks.compute_monthly_progress",
        # Daily at 00:05; the task acts only on the day after the campaign's due day (data).
        "schedule": crontab(minute=5, hour=0),
    },
    "flush-outbox": {
        "task": "core.tasks.flush_outbox",
        # Every minute: follow-up work stored while the broker was down (core.outbox) is sent
        # as soon as this message itself gets through again.
        "schedule": crontab(minute="*"),
    },
    "close-due-notices": {
        "task": "core.tasks.close_due_notices",
        # Daily at 01:00 Beijing time: public notices past their last day close (公示期满).
        "schedule": crontab(minute=0, hour=1),
    },
    "purge-login-throttles": {
        "task": "core.tasks.purge_login_throttles",
        # Daily at 03:30: stale failed-login counters (core.auth.login_throttles_purge).
        "schedule": crontab(minute=30, hour=3),
    },
    "annual-institution-assessment": {
        "task": "training.tasks.run_institution_assessment",
        # 15 January at 02:00: the previous year's assessment of every designated institution.
        "schedule": crontab(minute=0, hour=2, day_of_month=15, month_of_year=1),
    },
}

# ------------------------------------------------------------------------------
# Mail
# ------------------------------------------------------------------------------
EMAIL_BACKEND = env(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="技能振兴专项活动 <noreply@xuchang.invalid>")

# ------------------------------------------------------------------------------
# Third-party apps
# ------------------------------------------------------------------------------
CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"
DJANGO_TABLES2_TEMPLATE = "django_tables2/bootstrap5.html"

# ------------------------------------------------------------------------------
# Logging
# ------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
}
