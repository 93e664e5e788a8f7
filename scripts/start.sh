#!/usr/bin/env bash
# Runs the app. With nothing configured (and NODE_ENV not production) it starts an embedded
# development provider with demo users, so the first run needs no setup at all.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/node24.sh"
cd "$ROOT"
exec node src/app/server.ts
