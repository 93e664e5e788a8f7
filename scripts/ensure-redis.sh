#!/usr/bin/env bash
# A real redis-server for the Redis session tests (Debian's package).
exec bash "$(dirname "${BASH_SOURCE[0]}")/ensure-apt.sh" redis-server redis-server
