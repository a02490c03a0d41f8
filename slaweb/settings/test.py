from .base import *  # noqa: F403
from .base import env

DEBUG = False
SECRET_KEY = "test-only-insecure-key-0123456789abcdefghijklmnopqrstuvwxyz"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast hashing in tests
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
ALLOWED_HOSTS = ["*"]
CELERY_TASK_ALWAYS_EAGER = env("CELERY_TASK_ALWAYS_EAGER", "0") == "1"
# Serve static files straight from the app folders (no collectstatic outside production).
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# Concurrent test runs on one machine need their own test databases.
DATABASES["owner"]["TEST"] = {"NAME": env("SLAWEB_TEST_DB", "test_slaweb")}  # noqa: F405
# Commits need not wait for the disk in tests (safe: a crash loses the last commits, never
# corrupts); the server itself keeps fsync on.
DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c synchronous_commit=off"  # noqa: F405
# Rate-limit counters per test process, emptied before each test (tests/conftest.py);
# tests of the limits themselves lower the rates or switch to the Redis cache.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
REST_FRAMEWORK = {  # noqa: F405
    **REST_FRAMEWORK,  # noqa: F405
    "DEFAULT_THROTTLE_RATES": {"token": "100000/min"},
}
# Each test run has its own Celery queue too, so one run's worker never takes another's tasks.
CELERY_TASK_DEFAULT_QUEUE = env("SLAWEB_TEST_DB", "test_slaweb")
