#!/usr/bin/env bash
# The browser tests drive Debian's chromium package through Playwright, with no browser download (platform.md), and
# the console's screenshots need a Japanese font (IPA Gothic, Debian's fonts-ipafont-gothic) to show its words.
# Install what is missing: CI runs as root on a clean machine where nothing was installed by hand.
set -euo pipefail
missing=()
[ -x /usr/lib/chromium/chromium ] || missing+=(chromium)
[ -e /usr/share/fonts/opentype/ipafont-gothic/ipag.ttf ] || missing+=(fonts-ipafont-gothic)
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "Installing Debian's ${missing[*]} for the browser tests (once, ~2 min)…"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
[ -x /usr/lib/chromium/chromium ] || { echo "chromium installed but /usr/lib/chromium/chromium is missing" >&2; exit 1; }
