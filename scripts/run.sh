#!/usr/bin/env bash
# Web, Celery worker and Celery beat in the foreground; Ctrl-C stops all three.
#   scripts/run.sh      the product as users get it: gunicorn + whitenoise, production
#                       settings (DEBUG off), the secret key from .run/secret_key
#   scripts/run.sh dev  Django's autoreloading development server, DEBUG on
set -uo pipefail
cd "$(dirname "$0")/.."
mode=${1:-prod}
mkdir -p .run
port=${WEB_PORT:-8000}
if [ "$mode" = dev ]; then
    export DJANGO_SETTINGS_MODULE=slaweb.settings.dev
else
    export DJANGO_SETTINGS_MODULE=slaweb.settings.production
    export SECRET_KEY_FILE=${SECRET_KEY_FILE:-$PWD/.run/secret_key}
    # Loopback, plain HTTP: no HTTPS redirect or secure-only cookies; mail to the console.
    export HTTPS=${HTTPS:-false}
    export ALLOWED_HOSTS=${ALLOWED_HOSTS:-localhost,127.0.0.1,[::1]}
    export EMAIL_BACKEND=${EMAIL_BACKEND:-django.core.mail.backends.console.EmailBackend}
    [ -s "$SECRET_KEY_FILE" ] || { echo "no secret key in $SECRET_KEY_FILE (run 'make services')" >&2; exit 1; }
    # collectstatic compresses every file (slow): only when the static sources changed.
    stamp=$( (cat requirements.lock; find static -type f -printf '%P %T@\n' | sort) | sha256sum)
    if [ "$stamp" != "$(cat .run/static-stamp 2>/dev/null)" ] || [ ! -f staticfiles/staticfiles.json ]; then
        echo "collecting static files..."
        .venv/bin/python manage.py collectstatic --noinput -v 0 || exit 1
        echo "$stamp" > .run/static-stamp
    fi
fi
pids=()
cleanup() {
    trap - INT TERM EXIT
    echo "stopping web, worker and beat..."
    kill "${pids[@]}" 2>/dev/null
    wait "${pids[@]}" 2>/dev/null
    echo "stopped (PostgreSQL and Redis keep running; 'make stop' stops them)"
}
trap cleanup INT TERM EXIT
if [ "$mode" = dev ]; then
    .venv/bin/python manage.py runserver "127.0.0.1:$port" & pids+=($!)
else
    .venv/bin/gunicorn slaweb.wsgi:application --bind "127.0.0.1:$port" --workers "${WEB_WORKERS:-3}" \
        --access-logfile - --graceful-timeout 10 & pids+=($!)
fi
.venv/bin/celery -A slaweb worker --loglevel=INFO --concurrency=2 & pids+=($!)
.venv/bin/celery -A slaweb beat --loglevel=INFO --schedule=.run/celerybeat-schedule & pids+=($!)
echo "slaweb ($mode): http://127.0.0.1:$port/  (demo logins: see README)"
wait -n "${pids[@]}"
