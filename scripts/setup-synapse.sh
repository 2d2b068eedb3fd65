#!/usr/bin/env bash
# Install a real Synapse homeserver into its own venv for the Matrix end-to-end tests
# (tests/e2e). Idempotent: does nothing when the venv already runs Synapse.
#
#   scripts/setup-synapse.sh            # venv at <repo>/.venv-synapse
#   COHORTBOT_SYNAPSE_VENV=/x scripts/setup-synapse.sh
#   PYTHON=python3.12 scripts/setup-synapse.sh
#
# Installs exactly requirements/synapse.txt (every package pinned and checked by hash; written by
# scripts/lock). Needs only PyPI (matrix-synapse ships binary wheels for its Rust parts).
set -euo pipefail

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_dir="$(cd "${script_dir}/.." && pwd)"
venv="${COHORTBOT_SYNAPSE_VENV:-${repo_dir}/.venv-synapse}"
python_bin="${PYTHON:-python3}"
lock="${repo_dir}/requirements/synapse.txt"
# shellcheck source=scripts/lib/uv.sh
. "${script_dir}/lib/uv.sh"

start=$(date +%s)
report() {
    local end
    end=$(date +%s)
    echo "setup-synapse: $1 in $((end - start)) s (venv: ${venv})"
}

synapse_works() {
    [ -x "${venv}/bin/python" ] &&
        [ "${venv}/.installed" -nt "${lock}" ] &&
        "${venv}/bin/python" -m synapse.app.homeserver --help >/dev/null 2>&1
}

synapse_version() {
    "${venv}/bin/python" -c \
        'from importlib.metadata import version; print(version("matrix-synapse"))'
}

if synapse_works; then
    report "Synapse $(synapse_version) already installed"
    exit 0
fi

if [ ! -x "${venv}/bin/python" ]; then
    echo "setup-synapse: creating venv ${venv} with ${python_bin}"
    "${python_bin}" -m venv "${venv}"
fi

echo "setup-synapse: installing ${lock#"${repo_dir}/"}"
uv="$(ensure_uv "${venv}")"
"${uv}" pip sync --quiet --require-hashes --python "${venv}/bin/python" "${lock}"
touch "${venv}/.installed"

if ! synapse_works; then
    echo "setup-synapse: Synapse installed but 'python -m synapse.app.homeserver --help' fails:" >&2
    "${venv}/bin/python" -m synapse.app.homeserver --help >&2 || true
    exit 1
fi
report "installed Synapse $(synapse_version)"
