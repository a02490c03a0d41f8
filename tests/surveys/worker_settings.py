"""Settings of the Celery worker process that tests/surveys/test_failures.py starts and
kills: the test settings (the test database comes in DATABASE_URL), mail over SMTP to
the test's aiosmtpd server."""

import os

from slaweb.settings.test import *  # noqa: F403

EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = "127.0.0.1"
EMAIL_PORT = int(os.environ.get("TEST_SMTP_PORT", "1025"))
EMAIL_USE_TLS = False
