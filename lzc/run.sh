#!/bin/sh
# Started by lzcinit for the exec:// route in lzc-manifest.yml. The content dir is
# read-only and the app resolves views/ and public/ next to its compiled code, so run from
# here; `exec` makes node PID-owned by lzcinit so stop signals reach it directly.
# --max-semi-space-size=16: under a burst of requests V8 grows its young generation to 64 MB semi-spaces,
# and the box shares its memory with dozens of apps: capped, the RSS after 50-connection load is ~80 MB lower
# (300 → 205–225 MB) for 0–25 % more CPU per request under that load, and nothing at a box's usual traffic
# (docs/benchmarks.md). scripts/bench.ts starts the app with the options of this line.
set -e
cd "$(dirname "$0")"
exec node --max-semi-space-size=16 dist/app/server.js
