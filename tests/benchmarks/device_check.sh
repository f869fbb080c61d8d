#!/usr/bin/env bash
# Issue #16's checks on a machine with a CUDA GPU, in one run: the torch backend of the per-pixel
# work against OpenCV on that GPU (the backend tests, which run on every device torch sees), then
# frames/s of colorize and restore at 2K with --device cuda.
#
#   tests/benchmarks/device_check.sh [cuda|cpu]      (cpu: the same steps as a dry run, anywhere)
#
# Made for the device tool's machines: Python 3.12 with torch, OpenCV, numpy, scipy and pytest, and
# nothing can be fetched there. What Tinct needs beyond those, and the clip the speed benchmark reads,
# travel with the working tree in .gpu/ (ignored by git). Make it here once, from the repository root:
#   python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
#     --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 -d .gpu/wheels \
#     OpenImageIO==3.2.2.0 opencolorio==2.6.0
#   cp ../shared/data/video/real/driving_redtrees_1080p.mp4 .gpu/
# then run it with the device tool: carry [".gpu"], command "tests/benchmarks/device_check.sh".
# The reports go to $OUT (the device tool's folder), else bench-out/device.
set -euo pipefail
device="${1:-cuda}"
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
python="${PYTHON:-python3}"
out="${OUT:-bench-out/device}"
mkdir -p "$out"
if [ -d .gpu/wheels ]; then
    "$python" -m pip install -q --no-index --no-deps --no-compile --target /tmp/tinct-site .gpu/wheels/*.whl
    export PYTHONPATH="/tmp/tinct-site${PYTHONPATH:+:$PYTHONPATH}"
fi
# Without an installed Tinct, the repository itself is imported as the package tinct.
if ! "$python" -c "import tinct.core" 2>/dev/null; then
    mkdir -p /tmp/tinct-package
    ln -sfn "$PWD" /tmp/tinct-package/tinct
    export PYTHONPATH="/tmp/tinct-package:$PWD${PYTHONPATH:+:$PYTHONPATH}"
fi
clip=../shared/data/video/real/driving_redtrees_1080p.mp4
if [ ! -f "$clip" ] && [ -f .gpu/driving_redtrees_1080p.mp4 ]; then
    mkdir -p "$(dirname "$clip")"
    cp .gpu/driving_redtrees_1080p.mp4 "$clip"
fi
export PYTHONUNBUFFERED=1
"$python" -c "import torch; print('torch', torch.__version__, 'sees a CUDA GPU:', torch.cuda.is_available())" |
    tee "$out/device.txt"
"$python" -m pytest -q -p no:cacheprovider tests/core/test_pixels.py tests/core/test_propagation.py \
    tests/core/test_keyframe_colorize.py tests/core/test_proposed_keyframes.py tests/core/restore \
    tests/nodes/test_pixel_backend_choice.py 2>&1 | tee "$out/tests.txt"
"$python" -m tests.benchmarks.bench_speed --device "$device" --sizes 2k --frames 24 --no-profile \
    --work /tmp/tinct-speed --out "$out/speed.json" 2>&1 | tee "$out/speed.txt"
