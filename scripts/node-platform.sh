# Helpers for scripts/node24.sh, in a file of their own so that test/package/node24.test.ts
# can run them with a faked `uname` and `node`.
NODE_MIN_MAJOR=24

# Prints the npm package that holds the official Node.js binary for this machine,
# node-<platform>-<arch>, spelled as Node spells process.platform and process.arch.
# Fails with a message on any other system: there is no such package to install.
node_binary_package() {
  local system machine platform arch
  system="$(uname -s)"
  machine="$(uname -m)"
  case "$system" in
    Linux) platform=linux ;;
    Darwin) platform=darwin ;;
    *) platform="" ;;
  esac
  case "$machine" in
    x86_64 | amd64) arch=x64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) arch="" ;;
  esac
  if [ -z "$platform" ] || [ -z "$arch" ]; then
    echo "[setup] Node.js ${NODE_MIN_MAJOR} can be installed here only on Linux or macOS, x64 or arm64, not on $system $machine." >&2
    echo "[setup] Install Node.js ${NODE_MIN_MAJOR} or newer yourself, so that \`node\` on PATH is it, and run this again." >&2
    return 1
  fi
  echo "node-$platform-$arch"
}

# True when the node given (default: the one on PATH) runs and is NODE_MIN_MAJOR or newer.
node_is_recent() {
  local version major
  version="$("${1:-node}" -v 2>/dev/null)" || return 1
  major="${version#v}"
  major="${major%%.*}"
  [[ "$major" =~ ^[0-9]+$ ]] && [ "$major" -ge "$NODE_MIN_MAJOR" ]
}
