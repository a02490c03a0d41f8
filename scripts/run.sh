#!/usr/bin/env bash
# Web, Celery worker and Celery beat in the foreground; Ctrl-C stops all three.
set -uo pipefail
cd "$(dirname "$0")/.."
export DJANGO_SETTINGS_MODULE=${DJANGO_SETTINGS_MODULE:-slaweb.settings.dev}
mkdir -p .run
pids=()
cleanup() {
    trap - INT TERM EXIT
    echo "stopping web, worker and beat..."
    kill "${pids[@]}" 2>/dev/null
    wait "${pids[@]}" 2>/dev/null
    echo "stopped (PostgreSQL and Redis keep running; 'make stop' stops them)"
}
trap cleanup INT TERM EXIT
.venv/bin/python manage.py runserver 127.0.0.1:${WEB_PORT:-8000} & pids+=($!)
.venv/bin/celery -A slaweb worker --loglevel=INFO --concurrency=2 & pids+=($!)
.venv/bin/celery -A slaweb beat --loglevel=INFO --schedule=.run/celerybeat-schedule & pids+=($!)
echo "slaweb: http://127.0.0.1:${WEB_PORT:-8000}/  (demo logins: see README)"
wait -n "${pids[@]}"
