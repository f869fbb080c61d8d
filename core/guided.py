"""Edge-aware filtering of sparse, confidence-weighted fields (chroma, mattes) under a guide image.

Three operations, all built from separable filters at reduced resolution, so they run at 2K on a
CPU in tens of milliseconds:

- :func:`push_pull_fill` fills holes of any size by a normalised-convolution image pyramid;
- :func:`bilateral_fill` is a normalised convolution in a bilateral grid (space x luminance): an
  unsure pixel takes the colour of confident pixels that are near it *and* of similar luminance,
  so fills stop at luminance edges instead of bleeding across them;
- :func:`weighted_guided_filter` is He et al.'s guided filter with per-pixel weights: in each window
  it fits ``value ~ a * guide + b`` to the confident pixels only.
"""

from __future__ import annotations

import cv2
import numpy as np

from tinct.core.pixels import OPENCV, Array, Pixels


def _box(image: np.ndarray, radius: int) -> np.ndarray:
    return cv2.boxFilter(image, -1, (2 * radius + 1, 2 * radius + 1), normalize=True, borderType=cv2.BORDER_REFLECT)


def push_pull_fill(values: Array, weights: Array, min_weight: float = 1e-3, pixels: Pixels = OPENCV) -> Array:
    """Fill low-weight pixels of ``values`` (H, W, C) from weighted neighbours at ever coarser scales.

    ``weights`` (H, W) in [0, 1], arrays of ``pixels``. Pixels with weight 1 keep their value; where
    weights vanish the result is a smooth interpolation of the surrounding weighted values.
    """
    values = pixels.float32(values)
    weights = pixels.float32(weights).clip(0.0, 1.0)
    nums, dens = [values * weights[..., None]], [weights]
    while min(dens[-1].shape[:2]) > 4 and dens[-1].min() < min_weight:
        nums.append(pixels.pyr_down(nums[-1]))
        dens.append(pixels.pyr_down(dens[-1]))
    coarse = nums[-1] / dens[-1].clip(min=min_weight)[..., None]
    for num, den in zip(reversed(nums[:-1]), reversed(dens[:-1])):
        up = pixels.resize(coarse, (den.shape[1], den.shape[0]))
        # A pixel trusts its own level in proportion to the weight it gathered there.
        trust = (den / 0.5).clip(0.0, 1.0)[..., None]
        coarse = trust * num / den.clip(min=min_weight)[..., None] + (1.0 - trust) * up
    return coarse


def weighted_guided_filter(
    guide: np.ndarray, values: np.ndarray, weights: np.ndarray, radius: int, eps: float
) -> np.ndarray:
    """Confidence-weighted guided filter.

    guide (H, W) float32 (e.g. sRGB-encoded luminance in [0, 1]); values (H, W, C) float32;
    weights (H, W) >= 0, must be > 0 somewhere in every window (fill holes first). ``eps`` is the
    regularisation in guide units squared: larger smooths across weaker edges.
    """
    guide = guide.astype(np.float32, copy=False)
    w = np.maximum(weights.astype(np.float32, copy=False), 1e-6)
    w_mean = _box(w, radius)
    g_mean = _box(w * guide, radius) / w_mean
    g_var = _box(w * guide * guide, radius) / w_mean - g_mean * g_mean
    out = np.empty_like(values, dtype=np.float32)
    for c in range(values.shape[-1]):
        v = values[..., c]
        v_mean = _box(w * v, radius) / w_mean
        cov = _box(w * guide * v, radius) / w_mean - g_mean * v_mean
        a = cov / (np.maximum(g_var, 0.0) + eps)
        b = v_mean - a * g_mean
        # Average the window models, each weighted by the confidence it was fitted on.
        out[..., c] = (_box(w_mean * a, radius) * guide + _box(w_mean * b, radius)) / _box(w_mean, radius)
    return out


def bilateral_fill(
    guide: Array,
    values: Array,
    weights: Array,
    sigma_space: float,
    sigma_range: float,
    pixels: Pixels = OPENCV,
) -> tuple[Array, Array]:
    """Edge-aware normalised convolution -> (filled values (H, W, C), gathered weight (H, W)).

    guide (H, W) float32 in [0, 1]; values (H, W, C); weights (H, W) in [0, 1], arrays of ``pixels``.
    ``sigma_space`` is in full-size pixels, ``sigma_range`` in guide units. The gathered weight
    tells how much confident, similar evidence each pixel found (near 0: none; fall back to a
    coarser fill).
    """
    h, w = guide.shape
    scale = min(1.0, 2.0 / max(sigma_space, 1e-6))  # a grid cell per half sigma is plenty
    size = (max(4, round(w * scale)), max(4, round(h * scale)))
    small_guide = pixels.resize(guide, size, area=True)
    small_values = pixels.resize(values * weights[..., None], size, area=True)
    small_weights = pixels.resize(weights, size, area=True)
    sigma = sigma_space * scale
    centres = np.linspace(0.0, 1.0, max(2, int(np.ceil(1.0 / sigma_range)) + 1), dtype=np.float32)
    # The grid: per luminance centre, the blurred weight and weighted values, one layer each.
    layers = []
    for centre in centres:
        membership = pixels.exp(-0.5 * ((small_guide - float(centre)) / sigma_range) ** 2)
        den = pixels.gaussian(small_weights * membership, sigma)
        num = pixels.gaussian(small_values * membership[..., None], sigma)
        layers.append(pixels.concatenate([num, den[..., None]], axis=-1))
    sliced = pixels.slice_grid(pixels.stack(layers), guide, centres[1] - centres[0])
    out_num, out_den = sliced[..., :-1], sliced[..., -1]
    filled = out_num / out_den.clip(min=1e-6)[..., None]
    return filled, pixels.contiguous(out_den)
