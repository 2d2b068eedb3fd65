# Sourced by the install scripts: `ensure_uv VENV` puts the pinned uv (requirements/uv.txt,
# checked by hash) into VENV/tools and prints its path. It lives outside site-packages, so a
# `uv sync` of VENV never removes it.
export UV_PYTHON_DOWNLOADS=never  # the machine's Python, never a downloaded one

ensure_uv() {
  local venv="$1" repo want have
  repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
  want="$(sed -n 's/^uv==\([^ ]*\).*/\1/p' "$repo/requirements/uv.txt")"
  have="$("$venv/tools/bin/uv" --version 2>/dev/null | cut -d' ' -f2 || true)"
  if [ "$have" != "$want" ]; then
    rm -rf "$venv/tools"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps \
      --require-hashes --target "$venv/tools" -r "$repo/requirements/uv.txt" >&2
  fi
  printf '%s\n' "$venv/tools/bin/uv"
}
