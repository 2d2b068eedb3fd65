#!/usr/bin/env bash
# Create .venv (if missing) and install exactly what uv.lock pins (every dependency, direct and
# transitive, checked by hash), with cohortbot itself in editable mode.
#   scripts/bootstrap.sh          the bot
#   scripts/bootstrap.sh test     the bot plus its test tools
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${COHORTBOT_VENV:-$repo/.venv}"
python="${PYTHON:-python3}"
extra="${1:-}"
# shellcheck source=scripts/lib/uv.sh
. "$repo/scripts/lib/uv.sh"
if [ ! -x "$venv/bin/python" ]; then
  "$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "cohortbot needs Python 3.11 or newer")'
  "$python" -m venv "$venv"
fi
uv="$(ensure_uv "$venv")"
# --frozen: install the lock as it is (never re-resolve); --inexact: leave the test tools in
# place when the bot alone is asked for.
UV_PROJECT_ENVIRONMENT="$venv" "$uv" sync --quiet --frozen --inexact --project "$repo" \
  --python "$venv/bin/python" ${extra:+--extra "$extra"}
