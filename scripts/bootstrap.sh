#!/usr/bin/env bash
# Create .venv (if missing) and install cohortbot into it in editable mode.
#   scripts/bootstrap.sh          the bot
#   scripts/bootstrap.sh test     the bot plus its test tools
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${COHORTBOT_VENV:-$repo/.venv}"
python="${PYTHON:-python3}"
extra="${1:-}"
if [ ! -x "$venv/bin/python" ]; then
  "$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "cohortbot needs Python 3.11 or newer")'
  "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --upgrade pip
fi
stamp="$venv/.cohortbot-installed${extra:+-$extra}"
if [ ! -f "$stamp" ] || [ "$repo/pyproject.toml" -nt "$stamp" ]; then
  spec="$repo"
  [ -n "$extra" ] && spec="$repo[$extra]"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -e "$spec"
  touch "$stamp"
fi
