"""Production: DEBUG off, a real secret key, HTTPS unless told otherwise.

SECRET_KEY comes from the environment, or from the file SECRET_KEY_FILE (default
.run/secret_key, which `make run` generates once); neither -> ImproperlyConfigured.
HTTPS=false serves plain HTTP on loopback (`make run`): no redirect, no secure cookies.
BEHIND_PROXY=true trusts X-Forwarded-Proto from the proxy you run in front.
"""

from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import BASE_DIR, BEHIND_PROXY, env, env_bool


def _secret_key() -> str:
    if env("SECRET_KEY"):
        return env("SECRET_KEY")
    path = Path(env("SECRET_KEY_FILE", str(BASE_DIR / ".run" / "secret_key")))
    return path.read_text().strip() if path.is_file() else ""


SECRET_KEY = _secret_key()
if len(SECRET_KEY) < 50:
    raise ImproperlyConfigured(
        "SECRET_KEY must be set to a random string of 50+ characters "
        "(environment variable SECRET_KEY, or a file named by SECRET_KEY_FILE)."
    )

DEBUG = False
EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")

HTTPS = env_bool("HTTPS", True)
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", HTTPS)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = int(env("SECURE_HSTS_SECONDS", "31536000")) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
CSRF_TRUSTED_ORIGINS = [o for o in (env("CSRF_TRUSTED_ORIGINS", "") or "").split(",") if o]
