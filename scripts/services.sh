#!/usr/bin/env bash
# Brings up VulnZero's backing services on a bare Debian machine, in a
# project-local directory and on loopback only: PostgreSQL 15 and Redis.
# Idempotent: a second `up` finds them running and leaves them alone.
#
#   scripts/services.sh up|down|status|env
#
# Writes .vulnzero/services.env (DATABASE_URL, REDIS_URL) for tests and the demo.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE="${VULNZERO_STATE_DIR:-$ROOT/.vulnzero}"
PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
PG_PORT="${VZ_PG_PORT:-55432}"
REDIS_PORT="${VZ_REDIS_PORT:-56379}"
PG_DATA="$STATE/pg/data"
PG_RUN="$STATE/pg/run"
REDIS_DIR="$STATE/redis"
DB_NAME="${VZ_DB_NAME:-vulnzero}"
DB_USER="${VZ_DB_USER:-vulnzero}"
DB_PASS="${VZ_DB_PASSWORD:-vulnzero}"
ENV_FILE="$STATE/services.env"
APT_PACKAGES=(redis-server openssh-server openssh-client postgresql-15 postgresql-client-15 chromium dash sudo mmdebstrap apt-utils dpkg-dev)

log() { printf '[services] %s\n' "$*"; }

missing_packages() {
  local missing=()
  [ -x "$PG_BIN/postgres" ] || missing+=(postgresql-15)
  command -v psql >/dev/null 2>&1 || missing+=(postgresql-client-15)
  command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
  [ -x /usr/sbin/sshd ] || missing+=(openssh-server)
  command -v ssh-keygen >/dev/null 2>&1 || missing+=(openssh-client)
  # Captured values are tested under dash (Debian's /bin/sh) and through sudo, as a `become` runs them.
  command -v dash >/dev/null 2>&1 || missing+=(dash)
  command -v sudo >/dev/null 2>&1 || missing+=(sudo)
  # The web console's browser tests drive Debian's chromium (playwright-core, no download).
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  # Real Debian hosts (test/fleet/debian-fleet.ts): the base is built with mmdebstrap, the local apt
  # repository indexed with apt-ftparchive (apt-utils); dpkg-dev for dpkg-scanpackages when rebuilding by hand.
  command -v mmdebstrap >/dev/null 2>&1 || missing+=(mmdebstrap)
  command -v apt-ftparchive >/dev/null 2>&1 || missing+=(apt-utils)
  command -v dpkg-scanpackages >/dev/null 2>&1 || missing+=(dpkg-dev)
  echo "${missing[@]:-}"
}

install_missing() {
  local missing
  missing="$(missing_packages)"
  [ -z "$missing" ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    log "missing: $missing"
    log "install them with: sudo apt-get update && sudo apt-get install -y $missing"
    exit 1
  fi
  log "installing with apt: $missing"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $missing >/dev/null
  # Debian's packages start their own system-wide daemons; ours run privately.
  if command -v service >/dev/null 2>&1; then
    service redis-server stop >/dev/null 2>&1 || true
    service ssh stop >/dev/null 2>&1 || true
  fi
}

# PostgreSQL refuses to run as root: run it as the `postgres` system user.
pg_user() { if [ "$(id -u)" -eq 0 ]; then echo postgres; else id -un; fi; }
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_running() { [ -f "$PG_DATA/postmaster.pid" ] && as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1; }

pg_up() {
  mkdir -p "$STATE/pg" "$PG_RUN"
  if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
    chown -R postgres "$STATE/pg"
    # The data directory must be reachable by the postgres user.
    local d="$STATE"; while [ "$d" != "/" ]; do chmod o+x "$d" 2>/dev/null || true; d="$(dirname "$d")"; done
  fi
  if [ ! -f "$PG_DATA/PG_VERSION" ]; then
    log "initdb $PG_DATA"
    as_pg "$PG_BIN/initdb" -D "$PG_DATA" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
    cat >>"$PG_DATA/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$PG_RUN'
max_connections = 300
shared_buffers = 256MB
fsync = on
logging_collector = off
CONF
    # Loopback only; password auth for the app role, trust for local admin socket.
    cat >"$PG_DATA/pg_hba.conf" <<HBA
local all postgres trust
host  all all 127.0.0.1/32 scram-sha-256
HBA
  fi
  if pg_running; then
    log "postgresql already running on 127.0.0.1:$PG_PORT"
  else
    log "starting postgresql on 127.0.0.1:$PG_PORT"
    as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$STATE/pg/postgresql.log" -w -t 60 start >/dev/null
  fi
  psql_admin() { as_pg psql -h "$PG_RUN" -p "$PG_PORT" -U postgres -v ON_ERROR_STOP=1 -qtA "$@"; }
  if [ "$(psql_admin -c "select 1 from pg_roles where rolname='$DB_USER'")" != "1" ]; then
    psql_admin -c "create role $DB_USER login createdb password '$DB_PASS'"
  fi
  if [ "$(psql_admin -c "select 1 from pg_database where datname='$DB_NAME'")" != "1" ]; then
    psql_admin -c "create database $DB_NAME owner $DB_USER"
  fi
}

pg_down() {
  if pg_running; then
    log "stopping postgresql"
    as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null
  fi
}

redis_cli() { redis-cli -h 127.0.0.1 -p "$REDIS_PORT" "$@"; }
redis_running() { redis_cli ping >/dev/null 2>&1; }

redis_up() {
  mkdir -p "$REDIS_DIR"
  if redis_running; then
    log "redis already running on 127.0.0.1:$REDIS_PORT"
    return 0
  fi
  log "starting redis on 127.0.0.1:$REDIS_PORT"
  cat >"$REDIS_DIR/redis.conf" <<CONF
bind 127.0.0.1
port $REDIS_PORT
dir $REDIS_DIR
daemonize yes
pidfile $REDIS_DIR/redis.pid
logfile $REDIS_DIR/redis.log
appendonly yes
appendfsync everysec
save ""
maxmemory-policy noeviction
protected-mode yes
CONF
  redis-server "$REDIS_DIR/redis.conf"
  for _ in $(seq 1 50); do redis_running && return 0; sleep 0.1; done
  log "redis did not start; see $REDIS_DIR/redis.log"; exit 1
}

redis_down() {
  if redis_running; then
    log "stopping redis"
    redis_cli shutdown nosave >/dev/null 2>&1 || true
  fi
}

write_env() {
  cat >"$ENV_FILE" <<ENV
DATABASE_URL=postgres://$DB_USER:$DB_PASS@127.0.0.1:$PG_PORT/$DB_NAME
REDIS_URL=redis://127.0.0.1:$REDIS_PORT
ENV
}

status() {
  if pg_running; then echo "postgresql: running (127.0.0.1:$PG_PORT)"; else echo "postgresql: stopped"; fi
  if redis_running; then echo "redis: running (127.0.0.1:$REDIS_PORT)"; else echo "redis: stopped"; fi
  [ -x /usr/sbin/sshd ] && echo "sshd: installed" || echo "sshd: not installed"
}

case "${1:-}" in
  up) install_missing; pg_up; redis_up; write_env; log "ready: $ENV_FILE"; cat "$ENV_FILE" ;;
  down) redis_down; pg_down ;;
  status) status ;;
  env) cat "$ENV_FILE" ;;
  install) install_missing ;;
  *) echo "usage: $0 up|down|status|env|install" >&2; exit 2 ;;
esac
