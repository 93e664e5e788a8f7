#!/usr/bin/env bash
# The whole test suite, on a bare machine: Node 24, dependencies, Redis and Chromium are
# installed when missing, then type-check and every vitest suite (in parallel processes).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/node24.sh"
cd "$ROOT"
bash scripts/ensure-redis.sh
bash scripts/ensure-chromium.sh
# The packaging test makes a self-signed certificate for its TLS-terminating proxy.
bash scripts/ensure-apt.sh openssl openssl
npm test
