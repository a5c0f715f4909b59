#!/usr/bin/env bash
# `npm run demo`: the whole product on this machine, from a bare clone.
# Installs what is missing (apt, as root), starts PostgreSQL and Redis,
# builds, migrates, then scripts/demo.ts brings up a 12-host sshd fleet, the
# gateway and a worker, and walks through scan → canary → automatic rollback.
# Patches are written by the admin and approved by a second user, "approver"
# (REQUIRE_SEPARATE_APPROVER=true, the default: nobody approves their own patch).
#   npm run demo             stops everything at the end (Ctrl-C while it waits)
#   npm run demo -- --keep   leaves gateway, worker and fleet running
# Runs on Node 24: scripts/node24.sh installs it into .vulnzero/node24/ when
# the machine's node is older.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. scripts/node24.sh
echo "[demo] node $(node --version)"
if [ ! -d node_modules ]; then npm ci --no-audit --no-fund; fi
vz_node24_check_addons
bash scripts/services.sh up >/dev/null
echo "[demo] services up (PostgreSQL, Redis): .vulnzero/services.env"
if [ -z "${DATABASE_URL:-}" ] || [ -z "${REDIS_URL:-}" ]; then
  set -a; . .vulnzero/services.env; set +a
fi
# The demo keeps to a database and a Redis db of its own, so it never meets
# an installation's users or data (and can be run again and again).
DATABASE_URL="${DATABASE_URL%/*}/vulnzero_demo"
REDIS_URL="$(printf %s "$REDIS_URL" | sed -E 's#^(rediss?://[^/]+).*#\1#')/9"
export DATABASE_URL REDIS_URL
psql "${DATABASE_URL%/*}/postgres" -qtAc "SELECT 1 FROM pg_database WHERE datname = 'vulnzero_demo'" | grep -q 1 ||
  psql "${DATABASE_URL%/*}/postgres" -qc "CREATE DATABASE vulnzero_demo" >/dev/null
if [ "${VZ_DEMO_SKIP_BUILD:-}" != 1 ]; then
  echo "[demo] building…"
  npm run build --silent >/dev/null
fi
node dist/libs/database/src/run-migrations.js
exec node dist/scripts/demo.js "$@"
