#!/usr/bin/env bash
# The browser tests drive Debian's chromium package through Playwright, with no browser download (platform.md).
# Install it when it is missing: CI runs as root on a clean machine where nothing was installed by hand.
set -euo pipefail
[ -x /usr/lib/chromium/chromium ] && exit 0
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "Installing Debian's chromium package for the browser tests (once, ~2 min)…"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
[ -x /usr/lib/chromium/chromium ] || { echo "chromium installed but /usr/lib/chromium/chromium is missing" >&2; exit 1; }
