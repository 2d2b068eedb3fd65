#!/usr/bin/env bash
# Install the Node packages of the Matrix end-to-end tests (tests/e2e/js: matrix-js-sdk, whose
# Rust crypto judges the bot's cross-signing as Element does) exactly as package-lock.json pins
# them, from the npm registry. Idempotent. Without Node (>= 20) it says so and does nothing; the
# test that needs it is then skipped.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="$repo/tests/e2e/js"
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "setup-js: no node/npm here: the matrix-js-sdk check will be skipped"
  exit 0
fi
if [ -f "$dir/node_modules/.package-lock.json" ] && [ "$dir/node_modules/.package-lock.json" -nt "$dir/package-lock.json" ]; then
  echo "setup-js: up to date"
  exit 0
fi
start=$(date +%s)
npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error --engine-strict=false
echo "setup-js: installed in $(( $(date +%s) - start )) s"
