#!/bin/sh
# Started by lzcinit for the exec:// route in lzc-manifest.yml. The content dir is
# read-only and the app resolves views/ and public/ next to its code, so run from
# here; `exec` makes node PID-owned by lzcinit so stop signals reach it directly.
# dist/lzcapp/server.mjs is the app bundled into one file (scripts/bundleApp.ts): an idle app
# then holds ~8 MB less than when Node loads its 260 modules one by one (docs/benchmarks.md).
# The box shares its memory with dozens of apps, so V8 is told to keep its heap near what is live
# (docs/benchmarks.md; scripts/bench.ts starts the app with the options of this line):
# --max-semi-space-size=8: under a burst of requests V8 grows its young generation to 64 MB semi-spaces;
#   capped at 16 MB the RSS after 50-connection load was ~80 MB lower (300 → 205–225 MB), and at 8 MB it is
#   another ~13 MB lower (152–155 → 138–144 MB) with no CPU cost that alternating runs could see.
# --heap-growing-percent=30: under load V8 otherwise lets the old generation grow to up to 4× what survives
#   a full collection (measured: 70–100 MB of heap for ~12 MB live); at 1.3× the RSS after the same load is
#   another ~45 MB lower (195 → 150 MB). Together they cost 0–15 % more CPU per request under that load, and
#   nothing at a box's usual traffic.
set -e
cd "$(dirname "$0")"
exec node --max-semi-space-size=8 --heap-growing-percent=30 dist/lzcapp/server.mjs
