"""Settings come from the environment (django-environ) so that one code base runs the
demo (SQLite, tasks in-process), the test suite (PostgreSQL + Redis) and production."""

from pathlib import Path

import environ

from interventions.schedule import BEAT_SCHEDULE as CHECKS_SCHEDULE
from registers.schedule import RETENTION_SCHEDULE

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env(
    DEBUG=(bool, False),
    ALLOWED_HOSTS=(list, ["127.0.0.1", "localhost"]),
    CSRF_TRUSTED_ORIGINS=(list, []),
    SECURE=(bool, False),
)
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env("DEBUG")
SECRET_KEY = env("SECRET_KEY", default="insecure-demo-key-set-SECRET_KEY-in-production")
ALLOWED_HOSTS = env("ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env("CSRF_TRUSTED_ORIGINS")
TIME_ZONE = env("TIME_ZONE", default="Europe/London")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.forms",
    "rules",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "axes",
    "common",
    "django_ratelimit",
    "registers",
    "lessons",
    "absences",
    "interventions",
    "letters",
    "reports",
    "api",
    "demo",  # above every other app: the demo school `make run` loads
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "attendance_site.urls"
FORM_RENDERER = "common.forms.FormRenderer"
WSGI_APPLICATION = "attendance_site.wsgi.application"
ASGI_APPLICATION = "attendance_site.asgi.application"

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
                "registers.context_processors.staff",
            ],
        },
    },
]

# The demo and `make run` use an SQLite file; CI and production point DATABASE_URL at
# PostgreSQL. SQLite runs in WAL mode with IMMEDIATE transactions so that two writers
# queue for the lock instead of failing half-way through a register.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    # A kept connection is checked before each request uses it, so after a database restart
    # the next request reconnects instead of failing on a dead connection.
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
    # Behind PgBouncer in transaction pooling (DB_POOLER=pgbouncer) a connection may be a
    # different server backend from one transaction to the next: no server-side cursors
    # (`.iterator()` would lose its cursor) and no prepared statements (Django's default with
    # psycopg 3 already: prepare_threshold=None).
    if env("DB_POOLER", default="") == "pgbouncer":
        DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-gb"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env.bool("STATIC_MANIFEST", default=not DEBUG)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = True
# Private files (evidence, letters) live outside any served directory.
PRIVATE_ROOT = Path(env("PRIVATE_ROOT", default=str(BASE_DIR / "var" / "private")))

# E-mail: EMAIL_URL such as smtp+tls://user:password@smtp.example.org:587
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="attendance@school.example")

# Celery: with no broker configured tasks run in-process (the demo); with Redis they run
# on workers. Tasks take ids and are idempotent, so a retry is always safe.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=None)
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BEAT_SCHEDULE = {
    # the threshold checks after each register closes and nightly (crontab entries)
    **CHECKS_SCHEDULE,
    # e-mails a failing mail server held back are sent again (the reports themselves are saved)
    "absences-retry-failed-emails": {"task": "absences.retry_failed_emails", "schedule": 600.0},
    # records past their retention period removed, nightly at 02:45 (registers/retention.py)
    "registers-apply-retention": {"task": "registers.apply_retention", "schedule": RETENTION_SCHEDULE},
    # work the broker could not take when it was written (common.outbox) is sent when it is back
    "common-resend-outbox": {"task": "common.resend_outbox", "schedule": 60.0},
}

# Shared state. With CACHE_URL=redis://host:6379/1 every process (gunicorn workers, several
# web replicas, Celery workers) shares one cache: DRF throttles, the parent portal's rate
# limits, sessions and anything cached. Without it (`make run`, the demo, the test suite)
# the cache is in-process memory, which is right for a single process and nothing else.
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}
SHARED_CACHE = CACHES["default"]["BACKEND"] not in (
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
)
CACHES["default"].setdefault("KEY_PREFIX", env("CACHE_KEY_PREFIX", default="attendance"))
# Sessions: read from the shared cache, written through to the database (so a Redis restart
# signs nobody out); plain database sessions when there is no shared cache.
# (common.sessions: Django's cached_db, carrying on from the database while Redis is down)
SESSION_ENGINE = "common.sessions" if SHARED_CACHE else "django.contrib.sessions.backends.db"

# The client's address behind TRUSTED_PROXY_COUNT reverse proxies that each append to
# X-Forwarded-For (1 behind one TLS proxy; 2 for deploy/docker-compose.scale.yml's load balancer
# and nginx; 0 when nothing is in front). Lockout, rate limits and throttles count by it
# (common/client_address.py); REMOTE_ADDR alone would be the proxy's for everyone.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

# Login lockout (django-axes): five failures lock the username (from any address) and, separately,
# the address (for any username), so one attacker can't guess many passwords from one address or
# one password from many. Counted in the database by default: shared by every process and replica,
# a record in the admin, and still there when Redis is down (the cache handler would turn every
# sign-in into a server error then, and teachers must still sign in to take registers: see
# tests/faults). AXES_HANDLER=axes.handlers.cache.AxesCacheHandler counts in the shared cache
# instead, and is refused without one (a per-process count multiplies the limit).
AXES_HANDLER = env("AXES_HANDLER", default="axes.handlers.database.AxesDatabaseHandler")
if AXES_HANDLER.endswith("AxesCacheHandler") and not SHARED_CACHE:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("AXES_HANDLER=AxesCacheHandler needs a shared cache: set CACHE_URL=redis://…")
AXES_CACHE = "default"
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = 1  # hours
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_CLIENT_IP_CALLABLE = "common.client_address.client_ip"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"

# Rate limits on the public forms (common/ratelimits.py): django-ratelimit in the same cache.
RATELIMIT_USE_CACHE = "default"
# Redis down: the public forms go on without their limits rather than refusing everyone (the
# lockout above still counts, in the database) until it is back
RATELIMIT_FAIL_OPEN = True
RATELIMIT_IP_META_KEY = "common.client_address.client_ip"
SILENCED_SYSTEM_CHECKS = [
    # W001 lists only third-party Redis clients; Django's own RedisCache (CACHE_URL=redis://) adds and
    # increments atomically too.
    "django_ratelimit.W001",
]
if not SHARED_CACHE:
    # `make run`, the demo and the test suite are one process: an in-process count is right there.
    SILENCED_SYSTEM_CHECKS.append("django_ratelimit.E003")

# Content Security Policy: no inline script, no third-party origins.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

SECURE = env("SECURE")
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if SECURE:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

SIMPLE_HISTORY_REVERT_DISABLED = True
# Reasons for changes can be long ("Absence report #12 accepted: illness …"); keep them whole.
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True

# The REST API (api/v1/): the `api` package (api/urls.py; one module per resource).
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "api.permissions.TokenScope",
    ],
    "DEFAULT_THROTTLE_CLASSES": [
        "api.throttling.TokenRateThrottle",
        "api.throttling.SessionUserRateThrottle",
    ],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "api.errors.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 100,
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
    "DEFAULT_THROTTLE_RATES": {"token": env("API_THROTTLE_RATE", default="600/minute"), "user": "1200/minute"},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Attendance API",
    "DESCRIPTION": "Registers, marks, pupils, absence reports and statistics for schools in England.\n\n"
    "Authenticate with a per-integration API token (`Authorization: Bearer <token>`), or with the session of "
    'the product\'s pages. Errors are JSON: `{"message": ..., "errors": [{"field": ..., "reason": ...}]}`.',
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "COMPONENT_SPLIT_PATCH": False,
    "ENUM_NAME_OVERRIDES": {
        "SessionEnum": "registers.models.SESSION_CHOICES",
        "SchoolPhaseEnum": "registers.models.School.Phase",
        "RegisterPhaseEnum": "registers.models.REGISTER_PHASES",
        "SourceEnum": "registers.models.Mark.Source",
        "LessonMarkSourceEnum": "lessons.models.LessonMark.Source",
        "StateEnum": "registers.models.Register.State",
        "LessonRegisterStateEnum": "lessons.models.LessonRegister.State",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.errors.add_error_responses",
    ],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Register entries are kept for at least six years (2024 regulations).
REGISTER_RETENTION_YEARS = 6
# Years each record type is kept after the date of the entry (registers/retention.py): register
# entries never fewer than REGISTER_RETENTION_YEARS; the others are the school's policy.
RETENTION_YEARS = {
    "register_entries": env.int("RETENTION_REGISTER_ENTRIES_YEARS", default=6),
    "letters": env.int("RETENTION_LETTERS_YEARS", default=6),
    "evidence_files": env.int("RETENTION_EVIDENCE_FILES_YEARS", default=6),
    "parents_reports": env.int("RETENTION_PARENTS_REPORTS_YEARS", default=6),
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="WARNING")},
}
