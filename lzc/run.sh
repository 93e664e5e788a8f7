#!/bin/sh
# Started by lzcinit for the exec:// route in lzc-manifest.yml. The content dir is
# read-only and the app resolves views/ and public/ next to its compiled code, so run from
# here; `exec` makes node PID-owned by lzcinit so stop signals reach it directly.
set -e
cd "$(dirname "$0")"
exec node dist/app/server.js
