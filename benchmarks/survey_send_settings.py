"""Settings of benchmarks/survey_send.py (its process and its Celery worker): DEBUG off,
mail over SMTP to the benchmark's sink (EMAIL_PORT), a Celery queue of its own."""

import os

from slaweb.settings.dev import *  # noqa: F403

DEBUG = False
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = "127.0.0.1"
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "1025"))
EMAIL_USE_TLS = False
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("BENCH_SEND_QUEUE", "bench-survey-send")
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
if os.environ.get("BENCH_ASYNC_COMMIT") == "1":  # diagnosis only: commits without fsync
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c synchronous_commit=off"  # noqa: F405
