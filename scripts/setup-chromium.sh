#!/usr/bin/env bash
# Debian's chromium and chromium-driver for the dashboard's browser tests (tests/web/browser.py
# points Selenium at /usr/bin/chromium and /usr/bin/chromedriver; no browser is downloaded).
# Installs them with apt-get when missing (as root, or through sudo without a password); when
# that is not possible, says so: the browser tests then skip with the reason.
set -uo pipefail
if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then
  echo "chromium: $(/usr/bin/chromium --version 2>/dev/null || echo present)"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "chromium: not installed and no apt-get here: the browser tests will skip"
  exit 0
fi
if [ "$(id -u)" = 0 ]; then
  run=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  run=(sudo -n)
else
  echo "chromium: not installed, and installing needs root: the browser tests will skip"
  echo "  (apt-get install chromium chromium-driver)"
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
if "${run[@]}" apt-get install -y -qq chromium chromium-driver >/dev/null 2>&1 \
  || { "${run[@]}" apt-get update -qq >/dev/null 2>&1 \
       && "${run[@]}" apt-get install -y -qq chromium chromium-driver >/dev/null 2>&1; }; then
  echo "chromium: installed $(/usr/bin/chromium --version 2>/dev/null)"
else
  echo "chromium: apt-get could not install chromium chromium-driver: the browser tests will skip"
fi
exit 0
