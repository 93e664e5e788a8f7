#!/usr/bin/env bash
# Debian's Chromium for the real-browser tests (never a test tool's own browser download);
# CJK fonts so the zh-CN pages render in screenshots.
exec bash "$(dirname "${BASH_SOURCE[0]}")/ensure-apt.sh" /usr/bin/chromium chromium fonts-noto-cjk
