#!/usr/bin/env bash
# `npm test`: the whole suite on a bare machine. Starts PostgreSQL and Redis
# (scripts/services.sh) unless DATABASE_URL and REDIS_URL point elsewhere,
# builds (the e2e suites run the built gateway and worker as real processes),
# then runs the unit, integration and e2e projects.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [ ! -d node_modules ]; then npm ci; fi
if [ -z "${DATABASE_URL:-}" ] || [ -z "${REDIS_URL:-}" ]; then
  bash scripts/services.sh up
else
  # The sshd fleet still needs the OpenSSH server binary.
  bash scripts/services.sh install
fi
npm run build
npm run typecheck
npm run lint
npx jest --runInBand --forceExit "$@"
