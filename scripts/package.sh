#!/usr/bin/env bash
# npm run package: builds dist/<package>-v<version>.lpk (or $LPK_OUT) for Lazycat.
#   bash scripts/package.sh               stage the content dir, then build the .lpk
#   bash scripts/package.sh --stage-only [DIR]  only stage into DIR, default dist/lzc-content
#                                         (lzc-build.yml's buildscript; scripts/lzc-build.mjs passes DIR)
# Network: none beyond what scripts/node24.sh needs to bring Node 24 (the bundle comes from the installed node_modules).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/node24.sh
source "$ROOT/scripts/node24.sh"
STAGE="${2:-$ROOT/dist/lzc-content}"

stage() {
  rm -rf "$STAGE"
  mkdir -p "$STAGE"
  # MIT asks for the license text in every copy, and the box's copy is content.tar.
  cp "$ROOT/LICENSE" "$STAGE/"
  cp "$ROOT/lzc/run.sh" "$STAGE/run.sh"
  chmod 755 "$STAGE/run.sh"
  cp -R "$ROOT/views" "$ROOT/public" "$STAGE/"
  # The app bundled with its locked production dependencies (and their licenses): no node_modules, no type
  # stripping at run time. No dependency has a native addon (test/package/noNativeAddons.test.ts), so the
  # same content.tar runs on amd64 and arm64, musl and glibc.
  (cd "$ROOT" && node scripts/bundleApp.ts "$STAGE/dist/lzcapp")
}

if [ "${1:-}" = "--stage-only" ]; then
  stage
  exit 0
fi

VERSION="$(node -p "require('$ROOT/package.json').version")"
OUT="${LPK_OUT:-$ROOT/dist/cloud.lazycat.app.lzc-oidc-v$VERSION.lpk}"
# LpkBuild runs lzc-build.yml's buildscript, which is `package.sh --stage-only`.
LPK="$(node "$ROOT/scripts/lzc-build.mjs" "$ROOT" "$OUT" | tail -n 1)"
echo "package: $LPK ($(du -h "$LPK" | cut -f1))"
