#!/usr/bin/env bash
# Usage: ensure-apt.sh <command-or-path> <debian-package>...
# Installs the Debian packages only when the command is missing, so a bare CI machine gets what
# the tests need (Redis, Chromium) and a prepared one pays nothing.
set -euo pipefail
probe="$1"; shift
if command -v "$probe" >/dev/null 2>&1 || [ -x "$probe" ]; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "$probe is missing and apt-get is not available: install $* by hand" >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "[setup] installing $* (Debian packages)" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >&2
$SUDO apt-get install -y -qq --no-install-recommends "$@" >&2
