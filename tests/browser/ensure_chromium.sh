#!/bin/sh
# Make sure Debian's headless Chromium is installed for the Playwright browser tests, and
# HarfBuzz's subsetter for WeasyPrint (without it every PDF test fails on WeasyPrint's warning).
# Playwright drives /usr/bin/chromium directly (executable_path), so `playwright install`
# and its downloaded browsers are never used.
set -eu

if [ -x /usr/bin/chromium ] && ldconfig -p | grep -q libharfbuzz-subset; then
    exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
else
    echo "ensure_chromium: /usr/bin/chromium is missing and we are not root (no sudo)" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y chromium libharfbuzz-subset0
/usr/bin/chromium --version
