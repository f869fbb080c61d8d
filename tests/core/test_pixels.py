"""The torch backend of the per-pixel work against OpenCV's, operation by operation: on the CPU, and on
the GPU too where torch sees one."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tinct.core.chroma import apply_chroma, chroma_ratio
from tinct.core.guided import bilateral_fill, push_pull_fill
from tinct.core.pixels import MERGE_CHANNELS, NONLOCAL_LEAST, OPENCV, join_channels
from tinct.core.pixels_torch import TorchPixels
from tinct.core.propagation import patch_agreement

SHAPES = [(48, 64), (48, 64, 3), (48, 64, 1), (5, 7, 2), (3, 4)]


def image(shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).random(shape, dtype=np.float32)


def agree(opencv: np.ndarray, torch_result: torch.Tensor, atol: float = 1e-5) -> None:
    result = torch_result.cpu().numpy()
    assert result.shape == opencv.shape and result.dtype == np.float32
    np.testing.assert_allclose(result, opencv, rtol=0, atol=atol)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("sigma", [1.0, 2.5, 6.0])  # 6.0: a kernel wider than the smallest images
def test_gaussian_blur(shape: tuple[int, ...], sigma: float, torch_pixels: TorchPixels) -> None:
    pixels = image(shape)
    agree(OPENCV.gaussian(pixels, sigma), torch_pixels.gaussian(torch_pixels.upload(pixels), sigma))


@pytest.mark.parametrize("shape", SHAPES)
def test_box_mean(shape: tuple[int, ...], torch_pixels: TorchPixels) -> None:
    pixels = image(shape)
    agree(OPENCV.box(pixels, 7), torch_pixels.box(torch_pixels.upload(pixels), 7))


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("factor", [0.5, 1 / 1.875, 1.0, 2.3])
def test_resize(shape: tuple[int, ...], factor: float, torch_pixels: TorchPixels) -> None:
    pixels = image(shape)
    h, w = shape[:2]
    size = (max(1, round(w * factor)), max(1, round(h * factor)))
    agree(OPENCV.resize(pixels, size), torch_pixels.resize(torch_pixels.upload(pixels), size))
    if factor <= 1.0:  # shrinking by a factor that is not a whole number weighs partly covered pixels
        agree(OPENCV.resize(pixels, size, area=True), torch_pixels.resize(torch_pixels.upload(pixels), size, area=True))


def test_area_resize_only_shrinks(torch_pixels: TorchPixels) -> None:
    with pytest.raises(ValueError, match="shrinks"):
        torch_pixels.resize(torch_pixels.upload(image((4, 4))), (8, 8), area=True)


@pytest.mark.parametrize("shape", [(48, 64), (48, 64, 3), (48, 64, 1), (3, 4)])
@pytest.mark.parametrize("border", [0.0, -1.0, None])
def test_remap(shape: tuple[int, ...], border: float | None, torch_pixels: TorchPixels) -> None:
    pixels = image(shape)
    h, w = shape[:2]
    rng = np.random.default_rng(1)
    coords = OPENCV.grid(h, w) + rng.normal(0.0, 3.0, (h, w, 2)).astype(np.float32)  # many fall outside
    expected = OPENCV.remap(pixels, coords, border)
    agree(expected, torch_pixels.remap(torch_pixels.upload(pixels), torch_pixels.upload(coords), border), atol=5e-5)


def test_remap_of_coordinate_maps_is_exact_bilinear(torch_pixels: TorchPixels) -> None:
    # OpenCV samples two-channel images at 1/32-pixel steps, one channel at a time it does not.
    maps = OPENCV.grid(24, 32) * 0.37 + image((24, 32, 2)) * 5.0
    x = np.random.default_rng(2).uniform(-2, 33, (24, 32)).astype(np.float32)
    y = np.random.default_rng(3).uniform(-2, 25, (24, 32)).astype(np.float32)
    at = np.dstack([x, y])
    channels = [OPENCV.remap(np.ascontiguousarray(maps[..., c]), at) for c in range(2)]
    agree(np.dstack(channels), torch_pixels.remap(torch_pixels.upload(maps), torch_pixels.upload(at)), atol=1e-4)


def test_perspective(torch_pixels: TorchPixels) -> None:
    model = np.array([[1.01, 0.02, 1.5], [0.01, 0.99, -2.0], [1e-4, 2e-4, 1.0]])
    agree(
        OPENCV.perspective(OPENCV.grid(48, 64), model),
        torch_pixels.perspective(torch_pixels.grid(48, 64), model),
        atol=1e-4,
    )


def test_bilateral_grid_slicing(torch_pixels: TorchPixels) -> None:
    layers = image((5, 6, 8, 4))
    guide = image((48, 64), seed=1) * 1.2 - 0.1  # beyond the first and last layers too
    step = np.float32(0.25)
    agree(
        OPENCV.slice_grid(layers, guide, step),
        torch_pixels.slice_grid(torch_pixels.upload(layers), torch_pixels.upload(guide), step),
    )


def test_bilateral_fill(torch_pixels: TorchPixels) -> None:
    guide, values, weights = image((48, 64)), image((48, 64, 3), seed=1), image((48, 64), seed=2) ** 4
    expected = bilateral_fill(guide, values, weights, 8.0, 0.08)
    found = bilateral_fill(*(torch_pixels.upload(a) for a in (guide, values, weights)), 8.0, 0.08, torch_pixels)
    for a, b in zip(expected, found):
        agree(a, b, atol=1e-4)


def test_push_pull_fill(torch_pixels: TorchPixels) -> None:
    values, weights = image((48, 64, 3)), image((48, 64), seed=1)
    weights[10:30, 20:50] = 0.0  # a hole the coarser levels fill
    agree(
        push_pull_fill(values, weights),
        push_pull_fill(torch_pixels.upload(values), torch_pixels.upload(weights), pixels=torch_pixels),
    )


def test_chroma_ratio_and_back(torch_pixels: TorchPixels) -> None:
    rgb, weights = image((48, 64, 3)) * 2.0 - 0.2, np.array([0.2722, 0.6741, 0.0537], np.float32)  # some negative
    ratio = chroma_ratio(rgb, weights)
    agree(ratio, chroma_ratio(torch_pixels.upload(rgb), weights, pixels=torch_pixels))
    y = image((48, 64), seed=1)
    agree(
        apply_chroma(y, ratio, weights),
        apply_chroma(torch_pixels.upload(y), torch_pixels.upload(ratio), weights, torch_pixels),
    )


def test_patch_agreement(torch_pixels: TorchPixels) -> None:
    here = image((48, 64))
    seen = np.roll(here, 1, axis=1) * 0.7 + here * 0.3
    for other in (here, seen, here + 0.01):
        expected = patch_agreement(here, other)
        found = torch_pixels.download(
            patch_agreement(torch_pixels.upload(here), torch_pixels.upload(other), pixels=torch_pixels)
        )
        # A window exactly at a threshold may decide the other way; all others agree closely.
        assert np.mean(np.abs(found - expected) < 1e-4) > 0.999


@pytest.mark.parametrize("shape", SHAPES)
def test_cubic_warp(shape: tuple[int, ...], torch_pixels: TorchPixels) -> None:
    pixels = image(shape)
    h, w = shape[:2]
    rng = np.random.default_rng(4)
    coords = OPENCV.grid(h, w) + rng.normal(0.0, 3.0, (h, w, 2)).astype(np.float32)  # many fall outside
    agree(
        OPENCV.warp_cubic(pixels, coords),
        torch_pixels.warp_cubic(torch_pixels.upload(pixels), torch_pixels.upload(coords)),
    )


def test_cubic_warp_keeps_its_precision_on_a_large_image(torch_pixels: TorchPixels) -> None:
    # Coordinates near 4000 pixels: a normalised sampling grid would be off by 1e-4 pixel.
    pixels = image((3, 4096))
    coords = OPENCV.grid(3, 4096) + np.float32(0.37)
    agree(
        OPENCV.warp_cubic(pixels, coords),
        torch_pixels.warp_cubic(torch_pixels.upload(pixels), torch_pixels.upload(coords)),
    )


@pytest.mark.parametrize("shape", [*SHAPES, (48, 64, 6)])  # six channels: OpenCV warps four at a time
@pytest.mark.parametrize("angle", [0.0, 0.4])
def test_lanczos_affine_warp(shape: tuple[int, ...], angle: float, torch_pixels: TorchPixels) -> None:
    pixels = image(shape)
    c, s = np.cos(np.radians(angle)) * 1.01, np.sin(np.radians(angle))
    matrix = np.array([[c, -s, 1.37], [s, c, -2.61]])  # a shift beyond the smallest images
    agree(OPENCV.warp_lanczos(pixels, matrix), torch_pixels.warp_lanczos(torch_pixels.upload(pixels), matrix))


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("size", [3, 5])
def test_dilate_and_erode(shape: tuple[int, ...], size: int, torch_pixels: TorchPixels) -> None:
    pixels = image(shape)
    agree(OPENCV.dilate(pixels, size), torch_pixels.dilate(torch_pixels.upload(pixels), size), atol=0)
    agree(OPENCV.erode(pixels, size), torch_pixels.erode(torch_pixels.upload(pixels), size), atol=0)
    mask = pixels > 0.9
    np.testing.assert_array_equal(
        torch_pixels.download(torch_pixels.dilate(torch_pixels.upload(mask), size)), OPENCV.dilate(mask, size)
    )


@pytest.mark.parametrize("shape", [*SHAPES, (1, 1), (1, 2), (7, 5, 3)])
def test_pyramid_down(shape: tuple[int, ...], torch_pixels: TorchPixels) -> None:
    pixels = image(shape)
    agree(OPENCV.pyr_down(pixels), torch_pixels.pyr_down(torch_pixels.upload(pixels)))


@pytest.mark.parametrize("shape", [(48, 64), (48, 64, 1), (3, 4)])
def test_table_lookup(shape: tuple[int, ...], torch_pixels: TorchPixels) -> None:
    pixels = image(shape) * 1.5 - 0.2  # beyond the table at both ends
    pixels.flat[:4] = [np.nan, np.inf, 0.5 / 212.5, 2.5 / 212.5]  # not a number; halves round to even
    table = image((256,), seed=3)
    agree(OPENCV.lookup(pixels, table, 212.5), torch_pixels.lookup(torch_pixels.upload(pixels), table, 212.5), atol=0)


@pytest.mark.parametrize("shape", SHAPES)
def test_fast_exp(shape: tuple[int, ...], torch_pixels: TorchPixels) -> None:
    pixels = image(shape) * 8.0 - 6.0
    np.testing.assert_allclose(
        torch_pixels.download(torch_pixels.fast_exp(torch_pixels.upload(pixels))), OPENCV.fast_exp(pixels), rtol=1e-6
    )


def nonlocal_means_by_definition(image: np.ndarray, rate: np.ndarray, radius: int, patch: int) -> np.ndarray:
    """Non-local means pixel by pixel, as :meth:`Pixels.nonlocal_means` defines it."""
    half = patch // 2
    reach = radius + half
    padded = np.pad(image.astype(np.float64), reach, mode="symmetric")  # BORDER_REFLECT: cba|abc
    # Every pixel's patch, and every pixel's value, at (row, column) of the padded image.
    patches = np.lib.stride_tricks.sliding_window_view(padded, (patch, patch))
    out = np.empty(image.shape, np.float64)
    for y, x in np.ndindex(image.shape):
        own = patches[y + radius, x + radius]
        total = weights = 0.0
        for dy, dx in np.ndindex(2 * radius + 1, 2 * radius + 1):
            other = patches[y + dy, x + dx]
            weight = np.exp(max(rate[y, x] * np.sum((own - other) ** 2), NONLOCAL_LEAST))
            total += weight * padded[reach + y + dy - radius, reach + x + dx - radius]
            weights += weight
        out[y, x] = total / weights
    return out


@pytest.mark.parametrize("shape", [(48, 64), (150, 9), (5, 7), (3, 4)])  # 150 rows: several of OpenCV's strips
def test_nonlocal_means(shape: tuple[int, int], torch_pixels: TorchPixels) -> None:
    """Pixels whose patches differ by little join each other; the window and the patches are
    mirrored at the edges, however small the image; torch gives what OpenCV gives."""
    rng = np.random.default_rng(4)
    pixels = (np.indices(shape).sum(axis=0) % 4 < 2).astype(np.float32) + 0.1 * image(shape)  # texture and grain
    rate = -rng.uniform(2.0, 40.0, shape).astype(np.float32)  # a share of the pixels join
    opencv = OPENCV.nonlocal_means(pixels, rate, 3, 3)
    if shape[0] * shape[1] > 1000:  # it smooths, without flattening the texture
        assert 0.01 < np.abs(opencv - pixels).mean() < 0.1
    if shape != (48, 64):  # a few thousand pixels by definition are quick
        np.testing.assert_allclose(opencv, nonlocal_means_by_definition(pixels, rate, 3, 3), rtol=0, atol=2e-6)
    agree(opencv, torch_pixels.nonlocal_means(torch_pixels.upload(pixels), torch_pixels.upload(rate), 3, 3))
    wide = OPENCV.nonlocal_means(pixels, rate, 2, 5)  # another window and patch
    np.testing.assert_allclose(wide, nonlocal_means_by_definition(pixels, rate, 2, 5), rtol=0, atol=2e-6)
    agree(wide, torch_pixels.nonlocal_means(torch_pixels.upload(pixels), torch_pixels.upload(rate), 2, 5))


def test_elementwise_helpers(torch_pixels: TorchPixels) -> None:
    pixels = image((48, 64, 3)) * 4.0 - 2.0
    weights = np.array([0.2722, 0.6741, 0.0537], np.float32)
    agree(OPENCV.dot(pixels, weights), torch_pixels.dot(torch_pixels.upload(pixels), weights))
    agree(OPENCV.float32(pixels.astype(np.float64)), torch_pixels.float32(torch_pixels.upload(pixels).double()), atol=0)
    original = torch_pixels.upload(pixels)
    copied = torch_pixels.copy(original)
    copied += 1.0
    agree(pixels, original, atol=0)
    np.testing.assert_array_equal(torch_pixels.download(torch_pixels.mask((2, 3), True)), OPENCV.mask((2, 3), True))


@pytest.mark.parametrize("channels", [(3, 1), (1,), (2, 1, 1), (3, 1, 4)])
def test_mix_and_joined_channels(channels: tuple[int, ...], torch_pixels: TorchPixels) -> None:
    parts = [image((48, 64, c), seed) for seed, c in enumerate(channels)]
    weight = image((48, 64), 9)
    weight[:4], weight[4:8] = 0.0, 1.0
    joined = OPENCV.concatenate(parts, axis=-1)
    np.testing.assert_array_equal(joined, np.concatenate(parts, axis=-1))
    agree(joined, torch_pixels.concatenate([torch_pixels.upload(p) for p in parts], axis=-1), atol=0)
    a, b = joined, image(joined.shape, 5)
    expected = (1.0 - weight)[..., None] * a + weight[..., None] * b
    on_torch = torch_pixels.mix(torch_pixels.upload(a), torch_pixels.upload(b.copy()), torch_pixels.upload(weight))
    end_b = b[4:8].copy()
    mixed = OPENCV.mix(a, b, weight)
    assert mixed is b  # written into b
    # To the last bit (1 - t) * a + t * b, so the end weights give either image exactly.
    np.testing.assert_array_equal(mixed, expected)
    np.testing.assert_array_equal(mixed[:4], a[:4])
    np.testing.assert_array_equal(mixed[4:8], end_b)
    agree(mixed, on_torch)


def test_joined_channels_beyond_what_opencv_merges_and_of_mixed_types() -> None:
    planes = [image((6, 5, 1), seed) for seed in range(MERGE_CHANNELS + 2)]
    np.testing.assert_array_equal(join_channels(planes), np.concatenate(planes, axis=-1))
    mixed = [planes[0], planes[1].astype(np.float64)]
    assert join_channels(mixed).dtype == np.float64
    np.testing.assert_array_equal(join_channels(mixed), np.concatenate(mixed, axis=-1))
