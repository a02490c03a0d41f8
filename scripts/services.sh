#!/usr/bin/env bash
# Project-local PostgreSQL and Redis on loopback, data under .run/.
# Usage: scripts/services.sh system-deps | start | stop | status
# PostgreSQL keeps fsync on (a crash must not corrupt data); PG_FSYNC=off starts it without
# (throwaway CI runs only). `start` also generates .run/secret_key once.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUN="$ROOT/.run"
PGPORT=${PGPORT:-55432}
REDIS_PORT=${REDIS_PORT:-56379}
PGBIN=${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}
SYSROOT="$RUN/sysroot"
export PATH="$SYSROOT/usr/bin:$PATH"
export LD_LIBRARY_PATH="$SYSROOT/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

log() { printf '[services] %s\n' "$*"; }
is_root() { [ "$(id -u)" = 0 ]; }

apt_install() {  # root: install Debian packages that are missing
    local missing=()
    for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
    [ ${#missing[@]} -eq 0 ] && return 0
    log "installing ${missing[*]} from Debian"
    [ -n "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mmin -1440 2>/dev/null | head -1)" ] || apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

unpack_debs() {  # not root: unpack the .deb files into .run/sysroot
    mkdir -p "$SYSROOT" "$RUN/debs"
    (cd "$RUN/debs" && apt-get download "$@")
    for deb in "$RUN"/debs/*.deb; do dpkg -x "$deb" "$SYSROOT"; done
}

system_deps() {
    if is_root; then
        # pango + CJK fonts: WeasyPrint renders report PDFs (Chinese text included).
        apt_install redis-server gettext libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-cjk ${WITH_BROWSER:+chromium}
    elif ! command -v redis-server >/dev/null; then
        log "not root: unpacking redis into $SYSROOT"
        unpack_debs redis-server redis-tools liblzf1 libjemalloc2
    fi
    [ -x "$PGBIN/initdb" ] || { log "PostgreSQL binaries not found (set PGBIN); install postgresql-15"; exit 1; }
    command -v redis-server >/dev/null || { log "redis-server not found"; exit 1; }
}

# initdb/pg_ctl refuse root: run them as the postgres user, with data where it can reach.
pg_data_dir() {
    if is_root; then
        if [ ! -e "$RUN/pg" ]; then
            local dir="$RUN/pg-data"
            mkdir -p "$dir"
            if ! runuser -u postgres -- test -x "$dir" 2>/dev/null; then
                dir="${TMPDIR:-/tmp}/slaweb-pg-$(printf '%s' "$ROOT" | md5sum | cut -c1-12)"
                mkdir -p "$dir"
            fi
            ln -sfn "$dir" "$RUN/pg"
        fi
        chown postgres "$(readlink -f "$RUN/pg")"
    else
        mkdir -p "$RUN/pg"
    fi
    echo "$RUN/pg"
}

as_pg() { if is_root; then runuser -u postgres -- "$@"; else "$@"; fi; }

start_postgres() {
    local base data sock
    base=$(pg_data_dir); data="$base/data"; sock="$base/sock"
    if "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$PGPORT"; then
        log "PostgreSQL already running on $PGPORT"
    else
        if [ ! -f "$data/PG_VERSION" ]; then
            log "initdb in $data"
            as_pg "$PGBIN/initdb" -D "$data" -U postgres -E UTF8 --locale=C.UTF-8 \
                --auth-local=trust --auth-host=scram-sha-256 >/dev/null
        fi
        as_pg mkdir -p "$sock"
        log "starting PostgreSQL on 127.0.0.1:$PGPORT"
        as_pg "$PGBIN/pg_ctl" -D "$data" -l "$base/postgres.log" -w -t 60 start \
            -o "-p $PGPORT -k $sock -c listen_addresses=127.0.0.1 -c fsync=${PG_FSYNC:-on}" >/dev/null
    fi
    if [ -S "$sock/.s.PGSQL.$PGPORT" ]; then bootstrap_roles "$sock"; fi
}

bootstrap_roles() {  # idempotent: owner role (migrations), app role (no superuser, no BYPASSRLS)
    as_pg "$PGBIN/psql" -q -h "$1" -p "$PGPORT" -U postgres -d postgres -v ON_ERROR_STOP=1 <<'SQL' >/dev/null
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'slaweb_owner') THEN
    CREATE ROLE slaweb_owner LOGIN CREATEDB PASSWORD 'slaweb_owner';
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'slaweb_app') THEN
    CREATE ROLE slaweb_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE PASSWORD 'slaweb_app';
  END IF;
END $$;
SELECT 'CREATE DATABASE slaweb OWNER slaweb_owner' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'slaweb') \gexec
SQL
}

start_redis() {
    if redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1; then
        log "Redis already running on $REDIS_PORT"; return
    fi
    mkdir -p "$RUN/redis"
    log "starting Redis on 127.0.0.1:$REDIS_PORT"
    redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --daemonize yes --dir "$RUN/redis" \
        --pidfile "$RUN/redis/redis.pid" --logfile "$RUN/redis/redis.log" --appendonly yes --save ""
    for _ in $(seq 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && return; sleep 0.1; done
    log "Redis did not start; see $RUN/redis/redis.log"; exit 1
}

secret_key() {  # production settings read it when SECRET_KEY is not set
    local file="$RUN/secret_key"
    [ -s "$file" ] && return 0
    mkdir -p "$RUN"
    (umask 077 && python3 -c 'import secrets; print(secrets.token_urlsafe(64))' >"$file")
    log "generated $file"
}

stop_all() {
    redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 && log "Redis stopped" || true
    if [ -e "$RUN/pg/data/PG_VERSION" ]; then
        as_pg "$PGBIN/pg_ctl" -D "$RUN/pg/data" -m fast stop >/dev/null 2>&1 && log "PostgreSQL stopped" || true
    fi
}

case "${1:-}" in
    system-deps) system_deps ;;
    start) start_postgres; start_redis; secret_key ;;
    stop) stop_all ;;
    status) "$PGBIN/pg_isready" -h 127.0.0.1 -p "$PGPORT"; redis-cli -p "$REDIS_PORT" ping ;;
    *) echo "usage: $0 system-deps|start|stop|status" >&2; exit 2 ;;
esac
