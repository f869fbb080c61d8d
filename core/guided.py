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


def _box(image: np.ndarray, radius: int) -> np.ndarray:
    return cv2.boxFilter(image, -1, (2 * radius + 1, 2 * radius + 1), normalize=True, borderType=cv2.BORDER_REFLECT)


def push_pull_fill(values: np.ndarray, weights: np.ndarray, min_weight: float = 1e-3) -> np.ndarray:
    """Fill low-weight pixels of ``values`` (H, W, C) from weighted neighbours at ever coarser scales.

    ``weights`` (H, W) in [0, 1]. Pixels with weight 1 keep their value; where weights vanish the
    result is a smooth interpolation of the surrounding weighted values.
    """
    values = values.astype(np.float32, copy=False)
    weights = np.clip(weights.astype(np.float32, copy=False), 0.0, 1.0)
    nums, dens = [values * weights[..., None]], [weights]
    while min(dens[-1].shape[:2]) > 4 and dens[-1].min() < min_weight:
        nums.append(cv2.pyrDown(nums[-1]))
        dens.append(cv2.pyrDown(dens[-1]))
        if nums[-1].ndim == 2:  # cv2 drops a trailing axis of size 1
            nums[-1] = nums[-1][..., None]
    coarse = nums[-1] / np.maximum(dens[-1], min_weight)[..., None]
    for num, den in zip(reversed(nums[:-1]), reversed(dens[:-1])):
        up = cv2.resize(coarse, (den.shape[1], den.shape[0]), interpolation=cv2.INTER_LINEAR)
        if up.ndim == 2:
            up = up[..., None]
        # A pixel trusts its own level in proportion to the weight it gathered there.
        trust = np.clip(den / 0.5, 0.0, 1.0)[..., None]
        coarse = trust * num / np.maximum(den, min_weight)[..., None] + (1.0 - trust) * up
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
    guide: np.ndarray, values: np.ndarray, weights: np.ndarray, sigma_space: float, sigma_range: float
) -> tuple[np.ndarray, np.ndarray]:
    """Edge-aware normalised convolution -> (filled values (H, W, C), gathered weight (H, W)).

    guide (H, W) float32 in [0, 1]; values (H, W, C); weights (H, W) in [0, 1]. ``sigma_space`` is
    in full-size pixels, ``sigma_range`` in guide units. The gathered weight tells how much
    confident, similar evidence each pixel found (near 0: none; fall back to a coarser fill).
    """
    h, w = guide.shape
    scale = min(1.0, 2.0 / max(sigma_space, 1e-6))  # a grid cell per half sigma is plenty
    size = (max(4, round(w * scale)), max(4, round(h * scale)))
    small_guide = cv2.resize(guide, size, interpolation=cv2.INTER_AREA)
    small_values = cv2.resize(values * weights[..., None], size, interpolation=cv2.INTER_AREA).reshape(
        size[1], size[0], -1
    )
    small_weights = cv2.resize(weights, size, interpolation=cv2.INTER_AREA)
    sigma = sigma_space * scale
    centres = np.linspace(0.0, 1.0, max(2, int(np.ceil(1.0 / sigma_range)) + 1), dtype=np.float32)
    # The grid: per luminance centre, the blurred weight and weighted values, one layer each.
    layers = []
    for centre in centres:
        membership = np.exp(-0.5 * ((small_guide - centre) / sigma_range) ** 2).astype(np.float32)
        den = cv2.GaussianBlur(small_weights * membership, (0, 0), sigma)
        num = cv2.GaussianBlur(small_values * membership[..., None], (0, 0), sigma).reshape(den.shape + (-1,))
        layers.append(np.concatenate([num, den[..., None]], axis=-1))
    sliced = _slice(np.stack(layers), guide, centres[1] - centres[0])
    out_num, out_den = sliced[..., :-1], sliced[..., -1]
    filled = out_num / np.maximum(out_den, 1e-6)[..., None]
    return filled.astype(np.float32), np.ascontiguousarray(out_den)


def _slice(grid: np.ndarray, guide: np.ndarray, step: float) -> np.ndarray:
    """Read a bilateral grid (K, h, w, C) at every full-size pixel's own place and luminance ->
    (H, W, C): bilinear in space (cv2.resize's pixel-centre convention), linear between the two
    luminance layers around the guide's value (``step`` apart, the first at 0).

    The layers are stacked into one tall image, each with its edge rows repeated above and below,
    so that two remaps (the layer below each pixel's luminance, and the one above) read them all.
    """
    layers, gh, gw, channels = grid.shape
    height, width = guide.shape
    padded = np.concatenate([grid[:, :1], grid, grid[:, -1:]], axis=1)  # (K, gh + 2, gw, C)
    atlas = padded.reshape(layers * (gh + 2), gw, channels)
    xs = np.clip((np.arange(width, dtype=np.float32) + 0.5) * (gw / width) - 0.5, 0.0, gw - 1.0)
    ys = np.clip((np.arange(height, dtype=np.float32) + 0.5) * (gh / height) - 0.5, 0.0, gh - 1.0) + 1.0
    position = np.clip(guide / np.float32(step), 0.0, layers - 1.0)
    below = np.minimum(position.astype(np.int32), layers - 2)
    above_share = (position - below)[..., None]
    map_x = np.broadcast_to(xs, (height, width))
    map_y = ys[:, None] + (below * (gh + 2)).astype(np.float32)
    out = np.empty((height, width, channels), np.float32)
    # cv2.remap reads at most four channels at a time.
    for first in range(0, channels, 4):
        part = np.ascontiguousarray(atlas[..., first : first + 4])
        low = cv2.remap(part, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        high = cv2.remap(part, map_x, map_y + np.float32(gh + 2), cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        low, high = low.reshape(height, width, -1), high.reshape(height, width, -1)
        out[..., first : first + 4] = low + (high - low) * above_share
    return out
