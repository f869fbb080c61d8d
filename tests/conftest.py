"""Shared fixtures: tiny synthetic shots made at test time (64x48, a handful of frames)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import torch

from tinct.core.colour import ColourManager
from tinct.core.imageio import write_exr
from tinct.core.pixels import OPENCV
from tinct.core.pixels_torch import TorchPixels

# Where the torch backend of the per-pixel work is tested: the CPU, and a CUDA GPU where torch sees one.
TORCH_DEVICES = ("cpu", *(("cuda",) if torch.cuda.is_available() else ()))
# A test marked with this runs on every backend of the per-pixel work, given to it as ``pixels``.
ALL_BACKENDS = pytest.mark.parametrize(
    "pixels",
    [OPENCV, *(TorchPixels(device) for device in TORCH_DEVICES)],
    ids=["opencv", *(f"torch-{device}" for device in TORCH_DEVICES)],
)

# The luminance weights the engine uses for ACEScg (derived from the built-in studio config).
RED = np.array([1.2, 0.12, 0.06], np.float32)
ACESCG_Y = ColourManager().luminance_weights().astype(np.float32)


@dataclass
class TinyShot:
    root: Path
    truth: list[np.ndarray]  # ACEScg colour frames
    first: int

    @property
    def grey_pattern(self) -> str:
        return str(self.root / "grey" / "shot.####.exr")

    @property
    def keys_pattern(self) -> str:
        return str(self.root / "keys" / "shot.####.exr")

    def out_pattern(self, name: str = "out") -> str:
        return str(self.root / name / "shot.####.exr")


def make_frames(count: int, width: int = 64, height: int = 48, step: int = 2, seed: int = 7) -> list[np.ndarray]:
    """A textured colourful background panning slowly, with a bright red square (distinct in luminance) moving right ``step`` px/frame."""
    rng = np.random.default_rng(seed)
    big = np.zeros((height + 8, width + 16, 3), np.float32)
    yy, xx = np.mgrid[0 : height + 8, 0 : width + 16].astype(np.float32)
    big[..., 0] = 0.05 + 0.25 * (xx / xx.max())
    big[..., 1] = 0.08 + 0.2 * (yy / yy.max())
    big[..., 2] = 0.3 - 0.2 * (xx / xx.max())
    big *= 1.0 + 0.5 * rng.random((height + 8, width + 16, 1)).astype(np.float32)
    frames = []
    for t in range(count):
        frame = big[4 : 4 + height, t : t + width].copy()
        x0 = 10 + step * t
        frame[18:30, x0 : x0 + 12] = RED
        frames.append(frame)
    return frames


def write_shot(root: Path, frames: list[np.ndarray], keys: list[int], first: int = 1001) -> TinyShot:
    for i, rgb in enumerate(frames):
        y = (rgb @ ACESCG_Y)[..., None]
        write_exr(
            root / "grey" / f"shot.{first + i:04d}.exr",
            np.repeat(y, 3, -1),
            ["R", "G", "B"],
            pixel_type="float",
            attributes={"oiio:ColorSpace": "lin_ap1_scene"},
        )
        if i in keys:
            write_exr(
                root / "keys" / f"shot.{first + i:04d}.exr",
                rgb,
                ["R", "G", "B"],
                pixel_type="float",
                attributes={"oiio:ColorSpace": "lin_ap1_scene"},
            )
    return TinyShot(root, frames, first)


@pytest.fixture
def tiny_shot(tmp_path: Path) -> TinyShot:
    """Six frames 1001-1006, keyframes on 1001 and 1006."""
    return write_shot(tmp_path, make_frames(6), keys=[0, 5])


@pytest.fixture(params=TORCH_DEVICES, ids=lambda device: f"torch-{device}")
def torch_pixels(request: pytest.FixtureRequest) -> TorchPixels:
    """The torch backend of the per-pixel work, on each device of :data:`TORCH_DEVICES`."""
    return TorchPixels(request.param)
