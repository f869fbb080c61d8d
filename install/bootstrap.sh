#!/usr/bin/env bash
# Set up Tinct in ./.venv (idempotent) and run one job in it.
#   install/bootstrap.sh demo    set up, then colourise the built-in sample shot
#   install/bootstrap.sh test    set up, then run the test suite
#   install/bootstrap.sh         set up only
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${TINCT_VENV:-$repo/.venv}"
python="${PYTHON:-python3}"

if [ ! -x "$venv/bin/python" ]; then
    echo "tinct: creating $venv"
    "$python" -m venv "$venv"
fi
stamp="$venv/.tinct-installed"
if [ ! -f "$stamp" ] || [ "$repo/pyproject.toml" -nt "$stamp" ] || [ "$repo/install/constraints.txt" -nt "$stamp" ]; then
    echo "tinct: installing dependencies (torch CPU build pinned in install/constraints.txt)"
    "$venv/bin/python" -m pip install --quiet --upgrade pip
    "$venv/bin/python" -m pip install --quiet -c "$repo/install/constraints.txt" torch
    "$venv/bin/python" -m pip install --quiet -c "$repo/install/constraints.txt" -e "$repo[dev]"
    touch "$stamp"
fi

case "${1:-}" in
    demo) shift; cd "$repo"; exec "$venv/bin/tinct" demo "$@" ;;
    test) shift; cd "$repo"; exec "$venv/bin/python" -m pytest -q -m "not benchmark" "$@" ;;
    "") echo "tinct: ready. Activate with: source $venv/bin/activate" ;;
    *) echo "usage: install/bootstrap.sh [demo|test] [args...]" >&2; exit 2 ;;
esac
