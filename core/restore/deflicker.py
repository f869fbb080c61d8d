"""Flicker: frame-to-frame exposure changes, global and regional, removed; real lighting kept.

1. **Measure each step.** Between consecutive frames, the motion-compensated log ratio of their
   luminance, taken robustly (medians, so dust, occlusions and moving lights barely count) in the
   cells of a coarse grid, is the *exposure step* of the frame: how much brighter it is than the
   previous one, region by region. Motion does not change it; exposure does.
2. **Follow the exposure.** Summing the steps over a window of frames gives the exposure track of
   each cell. Real lighting changes (a fade, a cloud, a lamp dimming) are smooth along it; flicker
   is the frame-to-frame jitter around it.
3. **Smooth and correct.** A straight line fitted to the track's *gain* (``exp`` of the log
   exposure) over the window, bent once where a fade or a lamp starts inside it, is the exposure
   the frame should have had; the correction is the difference. A line fits a linear fade
   exactly, so a fade to black stays a fade.

Windows stop at scene cuts; one cut short ahead (the shot ends, or cuts, a few frames after the
frame) reaches as many frames more before it, so its line is fitted through as many frames as in
the middle of a shot. Arrays: steps (gy, gx) float32 log gains of luminance.
"""

from __future__ import annotations

import numpy as np

from tinct.core.pixels import OPENCV, Array, Pixels

# Signal (sqrt luminance) below which a pixel is too dark to measure exposure.
DARK = 0.04
# How many measured pixels a grid cell needs before its own value outweighs the global one.
CELL_PRIOR = 64
# F statistic above which a bent line explains an exposure track better than a straight one.
BEND_F = 12.0


def grid_shape(regions: int, height: int, width: int) -> tuple[int, int]:
    """Rows and columns of the regional grid: ``regions`` columns, rows by the frame's aspect."""
    if regions <= 1:
        return 1, 1
    return max(1, round(regions * height / width)), regions


def exposure_step(
    current: np.ndarray, previous_seen: np.ndarray, valid: np.ndarray, grid: tuple[int, int]
) -> np.ndarray:
    """Log luminance gain of ``current`` over the motion-compensated previous frame, per grid cell.

    ``current``, ``previous_seen``: (h, w) float32 signals (sqrt luminance), the second warped onto
    the first; ``valid`` (h, w) in [0, 1] marks pixels the motion explains. Returns (gy, gx) float32.
    """
    if current.size > 40_000:  # medians of a quarter of the pixels are as good and four times quicker
        current, previous_seen, valid = current[::2, ::2], previous_seen[::2, ::2], valid[::2, ::2]
    usable = (valid > 0.5) & (current > DARK) & (previous_seen > DARK)
    ratio = 2.0 * (np.log(np.maximum(current, DARK)) - np.log(np.maximum(previous_seen, DARK)))
    values = ratio[usable]
    if values.size < 16:
        return np.zeros(grid, np.float32)
    overall = float(np.median(values))
    gy, gx = grid
    h, w = current.shape
    rows = np.minimum((np.arange(h) * gy) // h, gy - 1)
    cols = np.minimum((np.arange(w) * gx) // w, gx - 1)
    cell = (rows[:, None] * gx + cols[None, :])[usable]
    step = np.full(gy * gx, overall, np.float32)
    if gy * gx > 1:
        order = np.argsort(cell, kind="stable")
        bounds = np.searchsorted(cell[order], np.arange(gy * gx + 1))
        for k in range(gy * gx):
            inside = values[order[bounds[k] : bounds[k + 1]]]
            if inside.size:
                share = inside.size / (inside.size + CELL_PRIOR)
                step[k] = overall + share * (float(np.median(inside)) - overall)
    return step.reshape(grid)


def track(steps: list[np.ndarray]) -> np.ndarray:
    """Exposure track of a window: ``steps[i]`` is frame i's step over frame i - 1 (``steps[0]`` unused).

    Returns (n, gy, gx) float64 log exposures, the first frame at 0.
    """
    out = np.zeros((len(steps), *steps[0].shape), np.float64)
    for i in range(1, len(steps)):
        out[i] = out[i - 1] + steps[i]
    return out


def correction(exposure: np.ndarray, centre: int, strength: float) -> np.ndarray:
    """(gy, gx) float32 log gain that moves frame ``centre`` of the track onto its smooth exposure.

    ``exposure`` (n, gy, gx) log exposures of consecutive frames of one scene. The smooth exposure
    is a line fitted to the gains by least squares, or a line with one bend where that explains
    the track significantly better (an F test): a fade or a lamp that starts inside the window
    bends the track, and a straight line through the bend would lag behind it. A constant with
    fewer than four frames; nothing with one.
    """
    n = exposure.shape[0]
    if n < 2 or strength <= 0:
        return np.zeros(exposure.shape[1:], np.float32)
    # Relative to the centre frame, so the fit works on gains near 1.
    gains = np.exp(exposure - exposure[centre]).reshape(n, -1)
    if n < 4:
        smooth = gains.mean(axis=0)
    else:
        t = np.arange(n, dtype=np.float64)
        straight, straight_error = _fit(np.stack([np.ones(n), t], axis=1), gains)
        smooth = np.array([1.0, centre]) @ straight
        best = straight_error.copy()
        for knee in range(2, n - 2):
            coefficients, error = _fit(np.stack([np.ones(n), t, np.maximum(t - knee, 0.0)], axis=1), gains)
            bends = (error < best) & ((straight_error - error) * (n - 3) > BEND_F * error)
            smooth[bends] = (np.array([1.0, centre, max(centre - knee, 0.0)]) @ coefficients)[bends]
            best[bends] = error[bends]
    return (strength * np.log(np.maximum(smooth, 1e-3))).reshape(exposure.shape[1:]).astype(np.float32)


def _fit(design: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Least squares of (n, k) values on an (n, p) design -> (p, k) coefficients, (k,) squared error."""
    coefficients = np.linalg.lstsq(design, values, rcond=None)[0]
    return coefficients, np.sum((values - design @ coefficients) ** 2, axis=0)


def gain_field(log_gain: np.ndarray, height: int, width: int, pixels: Pixels = OPENCV) -> Array:
    """(gy, gx) log gains of the grid cells -> (height, width) float32 smooth gain field, an array of ``pixels``.

    Bilinear between cell centres (the resize maps cell centres onto them), constant beyond the
    outer centres.
    """
    gain = np.exp(log_gain.astype(np.float32))
    if gain.size == 1:
        return pixels.ones((height, width)) * float(gain[0, 0])
    return pixels.resize(pixels.upload(gain), (width, height))
