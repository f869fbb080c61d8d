"""The torch backend of the per-pixel work, run on the CPU, against OpenCV's operation by operation."""

from __future__ import annotations

import numpy as np
import pytest

from tinct.core.guided import bilateral_fill
from tinct.core.pixels import OPENCV
from tinct.core.pixels_torch import TorchPixels
from tinct.core.propagation import patch_agreement

TORCH = TorchPixels("cpu")
SHAPES = [(48, 64), (48, 64, 3), (48, 64, 1), (5, 7, 2), (3, 4)]


def image(shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).random(shape, dtype=np.float32)


def agree(opencv: np.ndarray, torch_result: object, atol: float = 1e-5) -> None:
    result = TORCH.download(torch_result)
    assert result.shape == opencv.shape and result.dtype == np.float32
    np.testing.assert_allclose(result, opencv, rtol=0, atol=atol)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("sigma", [1.0, 2.5, 6.0])  # 6.0: a kernel wider than the smallest images
def test_gaussian_blur(shape: tuple[int, ...], sigma: float) -> None:
    pixels = image(shape)
    agree(OPENCV.gaussian(pixels, sigma), TORCH.gaussian(TORCH.upload(pixels), sigma))


@pytest.mark.parametrize("shape", SHAPES)
def test_box_mean(shape: tuple[int, ...]) -> None:
    pixels = image(shape)
    agree(OPENCV.box(pixels, 7), TORCH.box(TORCH.upload(pixels), 7))


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("factor", [0.5, 1 / 1.875, 1.0, 2.3])
def test_resize(shape: tuple[int, ...], factor: float) -> None:
    pixels = image(shape)
    h, w = shape[:2]
    size = (max(1, round(w * factor)), max(1, round(h * factor)))
    agree(OPENCV.resize(pixels, size), TORCH.resize(TORCH.upload(pixels), size))
    if factor <= 1.0:  # shrinking by a factor that is not a whole number weighs partly covered pixels
        agree(OPENCV.resize(pixels, size, area=True), TORCH.resize(TORCH.upload(pixels), size, area=True))


def test_area_resize_only_shrinks() -> None:
    with pytest.raises(ValueError, match="shrinks"):
        TORCH.resize(TORCH.upload(image((4, 4))), (8, 8), area=True)


@pytest.mark.parametrize("shape", [(48, 64), (48, 64, 3), (48, 64, 1), (3, 4)])
@pytest.mark.parametrize("border", [0.0, -1.0, None])
def test_remap(shape: tuple[int, ...], border: float | None) -> None:
    pixels = image(shape)
    h, w = shape[:2]
    rng = np.random.default_rng(1)
    coords = OPENCV.grid(h, w) + rng.normal(0.0, 3.0, (h, w, 2)).astype(np.float32)  # many fall outside
    x, y = coords[..., 0], coords[..., 1]
    expected = OPENCV.remap(pixels, x, y, border)
    agree(expected, TORCH.remap(TORCH.upload(pixels), TORCH.upload(x), TORCH.upload(y), border), atol=5e-5)


def test_remap_of_coordinate_maps_is_exact_bilinear() -> None:
    # OpenCV samples two-channel images at 1/32-pixel steps, one channel at a time it does not.
    maps = OPENCV.grid(24, 32) * 0.37 + image((24, 32, 2)) * 5.0
    x = np.random.default_rng(2).uniform(-2, 33, (24, 32)).astype(np.float32)
    y = np.random.default_rng(3).uniform(-2, 25, (24, 32)).astype(np.float32)
    channels = [OPENCV.remap(np.ascontiguousarray(maps[..., c]), x, y) for c in range(2)]
    agree(np.dstack(channels), TORCH.remap(TORCH.upload(maps), TORCH.upload(x), TORCH.upload(y)), atol=1e-4)


def test_perspective() -> None:
    model = np.array([[1.01, 0.02, 1.5], [0.01, 0.99, -2.0], [1e-4, 2e-4, 1.0]])
    agree(OPENCV.perspective(OPENCV.grid(48, 64), model), TORCH.perspective(TORCH.grid(48, 64), model), atol=1e-4)


def test_bilateral_grid_slicing() -> None:
    layers = image((5, 6, 8, 4))
    guide = image((48, 64), seed=1) * 1.2 - 0.1  # beyond the first and last layers too
    step = np.float32(0.25)
    agree(OPENCV.slice_grid(layers, guide, step), TORCH.slice_grid(TORCH.upload(layers), TORCH.upload(guide), step))


def test_bilateral_fill() -> None:
    guide, values, weights = image((48, 64)), image((48, 64, 3), seed=1), image((48, 64), seed=2) ** 4
    expected = bilateral_fill(guide, values, weights, 8.0, 0.08)
    found = bilateral_fill(*(TORCH.upload(a) for a in (guide, values, weights)), 8.0, 0.08, TORCH)
    for a, b in zip(expected, found):
        agree(a, b, atol=1e-4)


def test_patch_agreement() -> None:
    here = image((48, 64))
    seen = np.roll(here, 1, axis=1) * 0.7 + here * 0.3
    for other in (here, seen, here + 0.01):
        expected = patch_agreement(here, other)
        found = TORCH.download(patch_agreement(TORCH.upload(here), TORCH.upload(other), pixels=TORCH))
        # A window exactly at a threshold may decide the other way; all others agree closely.
        assert np.mean(np.abs(found - expected) < 1e-4) > 0.999
