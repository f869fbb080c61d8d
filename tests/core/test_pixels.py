"""The torch backend of the per-pixel work, run on the CPU, against OpenCV's operation by operation."""

from __future__ import annotations

import numpy as np
import pytest

from tinct.core.chroma import apply_chroma, chroma_ratio
from tinct.core.guided import bilateral_fill, push_pull_fill
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


def test_push_pull_fill() -> None:
    values, weights = image((48, 64, 3)), image((48, 64), seed=1)
    weights[10:30, 20:50] = 0.0  # a hole the coarser levels fill
    agree(push_pull_fill(values, weights), push_pull_fill(TORCH.upload(values), TORCH.upload(weights), pixels=TORCH))


def test_chroma_ratio_and_back() -> None:
    rgb, weights = image((48, 64, 3)) * 2.0 - 0.2, np.array([0.2722, 0.6741, 0.0537], np.float32)  # some negative
    ratio = chroma_ratio(rgb, weights)
    agree(ratio, chroma_ratio(TORCH.upload(rgb), weights, pixels=TORCH))
    y = image((48, 64), seed=1)
    agree(apply_chroma(y, ratio, weights), apply_chroma(TORCH.upload(y), TORCH.upload(ratio), weights, TORCH))


def test_patch_agreement() -> None:
    here = image((48, 64))
    seen = np.roll(here, 1, axis=1) * 0.7 + here * 0.3
    for other in (here, seen, here + 0.01):
        expected = patch_agreement(here, other)
        found = TORCH.download(patch_agreement(TORCH.upload(here), TORCH.upload(other), pixels=TORCH))
        # A window exactly at a threshold may decide the other way; all others agree closely.
        assert np.mean(np.abs(found - expected) < 1e-4) > 0.999


@pytest.mark.parametrize("shape", SHAPES)
def test_cubic_warp(shape: tuple[int, ...]) -> None:
    pixels = image(shape)
    h, w = shape[:2]
    rng = np.random.default_rng(4)
    coords = OPENCV.grid(h, w) + rng.normal(0.0, 3.0, (h, w, 2)).astype(np.float32)  # many fall outside
    agree(OPENCV.warp_cubic(pixels, coords), TORCH.warp_cubic(TORCH.upload(pixels), TORCH.upload(coords)))


def test_cubic_warp_keeps_its_precision_on_a_large_image() -> None:
    # Coordinates near 4000 pixels: a normalised sampling grid would be off by 1e-4 pixel.
    pixels = image((3, 4096))
    coords = OPENCV.grid(3, 4096) + np.float32(0.37)
    agree(OPENCV.warp_cubic(pixels, coords), TORCH.warp_cubic(TORCH.upload(pixels), TORCH.upload(coords)))


@pytest.mark.parametrize("shape", [*SHAPES, (48, 64, 6)])  # six channels: OpenCV warps four at a time
@pytest.mark.parametrize("angle", [0.0, 0.4])
def test_lanczos_affine_warp(shape: tuple[int, ...], angle: float) -> None:
    pixels = image(shape)
    c, s = np.cos(np.radians(angle)) * 1.01, np.sin(np.radians(angle))
    matrix = np.array([[c, -s, 1.37], [s, c, -2.61]])  # a shift beyond the smallest images
    agree(OPENCV.warp_lanczos(pixels, matrix), TORCH.warp_lanczos(TORCH.upload(pixels), matrix))


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("size", [3, 5])
def test_dilate_and_erode(shape: tuple[int, ...], size: int) -> None:
    pixels = image(shape)
    agree(OPENCV.dilate(pixels, size), TORCH.dilate(TORCH.upload(pixels), size), atol=0)
    agree(OPENCV.erode(pixels, size), TORCH.erode(TORCH.upload(pixels), size), atol=0)
    mask = pixels > 0.9
    np.testing.assert_array_equal(TORCH.download(TORCH.dilate(TORCH.upload(mask), size)), OPENCV.dilate(mask, size))


@pytest.mark.parametrize("shape", [*SHAPES, (1, 1), (1, 2), (7, 5, 3)])
def test_pyramid_down(shape: tuple[int, ...]) -> None:
    pixels = image(shape)
    agree(OPENCV.pyr_down(pixels), TORCH.pyr_down(TORCH.upload(pixels)))


@pytest.mark.parametrize("shape", [(48, 64), (48, 64, 1), (3, 4)])
def test_table_lookup(shape: tuple[int, ...]) -> None:
    pixels = image(shape) * 1.5 - 0.2  # beyond the table at both ends
    pixels.flat[:4] = [np.nan, np.inf, 0.5 / 212.5, 2.5 / 212.5]  # not a number; halves round to even
    table = image((256,), seed=3)
    agree(OPENCV.lookup(pixels, table, 212.5), TORCH.lookup(TORCH.upload(pixels), table, 212.5), atol=0)


@pytest.mark.parametrize("shape", SHAPES)
def test_fast_exp(shape: tuple[int, ...]) -> None:
    pixels = image(shape) * 8.0 - 6.0
    np.testing.assert_allclose(TORCH.download(TORCH.fast_exp(TORCH.upload(pixels))), OPENCV.fast_exp(pixels), rtol=1e-6)


def test_elementwise_helpers() -> None:
    pixels = image((48, 64, 3)) * 4.0 - 2.0
    weights = np.array([0.2722, 0.6741, 0.0537], np.float32)
    agree(OPENCV.dot(pixels, weights), TORCH.dot(TORCH.upload(pixels), weights))
    agree(OPENCV.float32(pixels.astype(np.float64)), TORCH.float32(TORCH.upload(pixels).double()), atol=0)
    original = TORCH.upload(pixels)
    copied = TORCH.copy(original)
    copied += 1.0
    agree(pixels, original, atol=0)
    np.testing.assert_array_equal(TORCH.download(TORCH.mask((2, 3), True)), OPENCV.mask((2, 3), True))
