"""Where colourisation's per-pixel work runs for each --device."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import version

import pytest
import torch

from tests.conftest import TinyShot
from tinct.core.pixels import OPENCV
from tinct.core.pixels_torch import TorchPixels
from tinct.models.errors import ModelError
from tinct.nodes.pixels import pixels_for
from tinct.plugin.cli.main import main

NO_GPU = not torch.cuda.is_available()


def test_cpu_runs_it_in_opencv() -> None:
    assert pixels_for("cpu") is OPENCV


def test_auto_takes_a_cuda_gpu_where_torch_sees_one_and_opencv_elsewhere() -> None:
    chosen = pixels_for("auto")
    if NO_GPU:
        assert chosen is OPENCV
    else:
        assert isinstance(chosen, TorchPixels) and chosen.device.type == "cuda"


@pytest.mark.skipif(not version("torch").endswith("+cpu"), reason="a CUDA build of torch is imported to look for a GPU")
def test_a_cpu_render_does_not_import_torch() -> None:
    # torch costs a second and 200 MB in every worker process; a CPU-only build cannot use a GPU.
    code = (
        "import sys; from tinct.nodes.pixels import pixels_for; pixels_for('auto'); "
        "import tinct.nodes.keyframe_colorize, tinct.nodes.restore, tinct.core.keyframe_colorize, "
        "tinct.core.restore.pipeline; print('torch' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


@pytest.mark.skipif(NO_GPU, reason="needs a CUDA GPU")
def test_cuda_runs_it_in_torch_on_the_gpu() -> None:
    chosen = pixels_for("cuda")
    assert isinstance(chosen, TorchPixels) and chosen.device == torch.device("cuda", 0)


@pytest.mark.skipif(not NO_GPU, reason="this machine has a CUDA GPU")
def test_cuda_without_a_gpu_is_one_clear_message(tiny_shot: TinyShot, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(ModelError, match="CUDA device 0 is not available"):
        pixels_for("cuda")
    args = ["colorize", tiny_shot.grey_pattern, "--keyframes", tiny_shot.keys_pattern, "-o", tiny_shot.out_pattern()]
    assert main([*args, "--device", "cuda"]) == 2
    err = capsys.readouterr().err
    assert "CUDA device 0 is not available" in err and "--device cpu" in err and "Traceback" not in err
