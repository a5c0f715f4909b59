#!/usr/bin/env bash
# `npm test`: the whole suite on a bare machine. Starts PostgreSQL and Redis
# (scripts/services.sh) unless DATABASE_URL and REDIS_URL point elsewhere,
# builds (the e2e suites run the built gateway and worker as real processes),
# then runs the unit, integration and e2e projects, on Node 24 (installed into
# .vulnzero/node24/ by scripts/node24.sh when the machine's node is older).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

. scripts/node24.sh
echo "[test] node $(node --version) ($(command -v node))"
if [ ! -d node_modules ]; then npm ci; fi
vz_node24_check_addons
if [ -z "${DATABASE_URL:-}" ] || [ -z "${REDIS_URL:-}" ]; then
  bash scripts/services.sh up
else
  # The sshd fleet still needs the OpenSSH server binary.
  bash scripts/services.sh install
fi
npm run build
npm run typecheck
npm run lint
# VZ_REQUIRE_NODE: a unit test fails if jest runs on a node older than package.json's engines.
VZ_REQUIRE_NODE=1 npx jest --runInBand --forceExit "$@"
