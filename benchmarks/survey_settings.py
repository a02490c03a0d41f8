"""Settings of benchmarks/survey_load.py's gunicorn: production-like (DEBUG off), the
answer page's rate limit lifted (every client comes from 127.0.0.1), a floor view."""

from slaweb.settings.dev import *  # noqa: F403

DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
SURVEY_ANSWER_RATE = "1000000/m"
ROOT_URLCONF = "benchmarks.survey_urls"
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
