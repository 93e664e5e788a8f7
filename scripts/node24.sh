# Sourced by the other scripts: makes the `node` first on PATH Node.js 24 or newer.
# The machine's own node is used when it is recent enough. Otherwise the official binary for
# this platform and architecture (npm package node-<platform>-<arch>) is installed from the
# npm registry into .tools/, so a bare Linux or macOS machine, x64 or arm64, needs only npm.
# `npm start` and `npm test` do not need this script when the machine's node is recent.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/node-platform.sh
source "$ROOT/scripts/node-platform.sh"
if ! node_is_recent; then
  NODE_PKG="$(node_binary_package)" || return 1
  NODE_BIN="$ROOT/.tools/node_modules/$NODE_PKG/bin"
  if ! node_is_recent "$NODE_BIN/node"; then
    echo "[setup] installing $NODE_PKG@$NODE_MIN_MAJOR (Node.js $NODE_MIN_MAJOR) into .tools/" >&2
    mkdir -p "$ROOT/.tools"
    if ! npm install --silent --no-save --no-package-lock --prefix "$ROOT/.tools" "$NODE_PKG@$NODE_MIN_MAJOR" >&2; then
      echo "[setup] could not install $NODE_PKG@$NODE_MIN_MAJOR from the npm registry." >&2
      echo "[setup] Install Node.js $NODE_MIN_MAJOR or newer yourself, so that \`node\` on PATH is it, and run this again." >&2
      return 1
    fi
    # The Linux packages are built for glibc: on musl (Alpine) the binary does not start.
    if ! node_is_recent "$NODE_BIN/node"; then
      echo "[setup] the Node.js from $NODE_PKG does not run on this machine (a musl system such as Alpine?)." >&2
      echo "[setup] Install Node.js $NODE_MIN_MAJOR or newer with the system's package manager, and run this again." >&2
      return 1
    fi
  fi
  export PATH="$NODE_BIN:$PATH"
fi
# Install dependencies when the lock file changed since the last install.
if [ ! -f "$ROOT/node_modules/.package-lock.json" ] || [ "$ROOT/package-lock.json" -nt "$ROOT/node_modules/.package-lock.json" ]; then
  echo "[setup] npm ci" >&2
  (cd "$ROOT" && npm ci --no-audit --no-fund --loglevel=error >&2)
fi
