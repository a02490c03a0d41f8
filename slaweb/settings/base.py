"""Settings shared by every environment; everything site-specific comes from the environment."""

import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


PGPORT = env("PGPORT", "55432")
REDIS_PORT = env("REDIS_PORT", "56379")

SECRET_KEY = env("SECRET_KEY", "")
# Set only when a reverse proxy you run sets X-Forwarded-Proto and X-Forwarded-For: only
# then are those headers trusted (HTTPS detection, client address for rate limits).
BEHIND_PROXY = env_bool("BEHIND_PROXY", False)
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "axes",
    "slaweb.tenancy",
    "slaweb.mail",
    "agreements",
    "metrics",
    "surveys",
    "reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "slaweb.tenancy.middleware.TenantMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks
]

ROOT_URLCONF = "slaweb.urls"
WSGI_APPLICATION = "slaweb.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "slaweb.tenancy.context_processors.tenancy",
            ],
        },
    },
]

# The app connects as a role that is neither superuser, BYPASSRLS nor table owner;
# migrations run through the "owner" alias (`manage.py migrate --database owner`).
DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"postgres://slaweb_app:slaweb_app@127.0.0.1:{PGPORT}/slaweb"),
        conn_max_age=60,
        conn_health_checks=True,
    ),
    "owner": dj_database_url.parse(
        env(
            "DATABASE_OWNER_URL",
            f"postgres://slaweb_owner:slaweb_owner@127.0.0.1:{PGPORT}/slaweb",
        ),
    ),
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL", f"redis://127.0.0.1:{REDIS_PORT}/0")
# Rate-limit counters (login lockouts, API throttles, slaweb.ratelimit) live here.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "slaweb",
    }
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "slaweb.ratelimit.LoginLockoutBackend",  # django-axes: refuses locked-out logins first
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

EMAIL_HOST = env("EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = int(env("EMAIL_PORT", "1025"))
EMAIL_HOST_USER = env("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "slaweb <noreply@slaweb.localhost>")
# Absolute links in mail sent outside a request (survey invitations, escalations).
SITE_URL = env("SITE_URL", "http://localhost:8000")

CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = False
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE: dict = {
    # Agreements past their end date expire (agreements/tasks.py), daily after midnight.
    "agreements.expire_due": {
        "task": "agreements.tasks.expire_agreements_due",
        "schedule": crontab(hour=0, minute=10),
    },
    # Queue again outbox mail whose task was lost; fail stale claims (slaweb/mail).
    "mail.dispatch_outbox": {"task": "mail.dispatch_outbox", "schedule": 60.0},
    # Compliance of the current and previous periods (metrics/tasks.py), nightly.
    "metrics.recompute_open_periods": {
        "task": "metrics.recompute_open_periods",
        "schedule": crontab(hour=0, minute=40),
    },
    # Satisfaction surveys (surveys/tasks.py): due campaigns, reminders, overdue follow-ups.
    "surveys.dispatch": {"task": "surveys.dispatch_due_campaigns", "schedule": 300.0},
    "surveys.reminders": {"task": "surveys.send_reminders", "schedule": 3600.0},
    "surveys.escalate": {"task": "surveys.escalate_overdue_follow_ups", "schedule": 900.0},
    # Warnings before a breach of running ticket clocks (metrics/warnings.py), every minute.
    "metrics.clock_warnings": {"task": "metrics.send_clock_warnings", "schedule": 60.0},
    # Due period reports published and emailed (reports/services/delivery.py), daily.
    "reports.dispatch": {
        "task": "reports.dispatch_due_reports",
        "schedule": crontab(hour=0, minute=50),
    },
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "slaweb.tenancy.api.authentication.TenantTokenAuthentication"
    ],
    "DEFAULT_PERMISSION_CLASSES": ["slaweb.tenancy.api.permissions.TenantRolePermission"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "slaweb.tenancy.api.pagination.StandardPagination",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_THROTTLE_CLASSES": ["slaweb.ratelimit.TokenRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"token": env("API_TOKEN_RATE", "300/min")},
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "slaweb API",
    "DESCRIPTION": "Service level agreements and customer satisfaction. "
    "Authenticate with `Authorization: Token <key>`; a token belongs to one tenant.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # One name for a choice set used by several apps' serializers (else check --deploy warns).
    "ENUM_NAME_OVERRIDES": {"AgreementStatusEnum": "agreements.choices.AgreementStatus"},
}

# Login lockouts (django-axes): an account, and separately an address, is locked after
# AXES_FAILURE_LIMIT failed logins for AXES_COOLOFF_TIME hours; the form says so.
# Attempts are rows (axes tables), so a test's rollback forgets them.
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_DISABLE_ACCESS_LOG = True  # successful logins: the audit trail's business
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_FAILURE_LIMIT = int(env("AXES_FAILURE_LIMIT", "10"))
AXES_COOLOFF_TIME = 0.25
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "slaweb.ratelimit.login_locked_out"
AXES_CLIENT_IP_CALLABLE = "slaweb.ratelimit.client_ip"
AXES_VERBOSE = False
# Password reset requests per address and per email (slaweb.ratelimit.rate_limit).
PASSWORD_RESET_RATE = env("PASSWORD_RESET_RATE", "5/h")

# Content-Security-Policy (django-csp): everything from this site, no inline script or
# style, no framing. htmx's inline indicator style is off (meta htmx-config in base.html).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
}
