#!/usr/bin/env bash
# npm run package: builds dist/<package>-v<version>.lpk (or $LPK_OUT) for Lazycat.
#   bash scripts/package.sh               stage the content dir, then build the .lpk
#   bash scripts/package.sh --stage-only [DIR]  only stage into DIR, default dist/lzc-content
#                                         (lzc-build.yml's buildscript; scripts/lzc-build.mjs passes DIR)
# Network: only the npm registry, for `npm ci` of the production dependencies.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/node24.sh
source "$ROOT/scripts/node24.sh"
STAGE="${2:-$ROOT/dist/lzc-content}"

stage() {
  rm -rf "$STAGE"
  mkdir -p "$STAGE"
  # MIT asks for the license text in every copy, and the box's copy is content.tar.
  cp "$ROOT/package.json" "$ROOT/package-lock.json" "$ROOT/LICENSE" "$STAGE/"
  cp "$ROOT/lzc/run.sh" "$STAGE/run.sh"
  chmod 755 "$STAGE/run.sh"
  # The box runs the compiled JavaScript: no type stripping at run time (and its loader's memory).
  (cd "$ROOT" && npx tsc -p tsconfig.build.json --outDir "$STAGE/dist")
  cp -R "$ROOT/views" "$ROOT/public" "$STAGE/"
  # Exactly the locked production tree. --ignore-scripts: the package ships no native
  # addons (test/package/noNativeAddons.test.ts), so no dependency needs an install step,
  # and the same content.tar then runs on amd64 and arm64, musl and glibc.
  (cd "$STAGE" && npm ci --omit=dev --ignore-scripts --prefer-offline --no-audit --no-fund --loglevel=error)
  # The lock served npm ci; at runtime node_modules/.package-lock.json records the tree.
  rm "$STAGE/package-lock.json"
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
