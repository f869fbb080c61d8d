"""Grain and noise: measured from the footage, removed by motion-compensated temporal averaging.

**Measure.** Grain is signal dependent, so its level is measured per frame as a curve over
brightness: the robust spread (MAD) of the difference between a frame and its motion-compensated
neighbour, in flat, well-tracked pixels, binned by brightness. Clean footage measures near zero,
which is what keeps the filter from touching it.

**Average.** Each motion-compensated neighbour joins the frame's own pixel with a weight that
falls as the two patches around it (each pixel weighed by a Gaussian around the patch's centre)
differ by more than the grain explains (a temporal non-local-means): where the motion is right
the grain averages out, where it is wrong (occlusions, new content, a neighbour's own dust) the
neighbour is left out, so real motion is not smeared. A warp of detailed picture is held to a
tighter tolerance than a neighbour taken as it is.

**Smooth what is left.** The grain the average leaves (less where fewer neighbours agreed) is
flattened by a self-guided filter wherever the picture varies no more than that grain; edges and
texture stand out of it and are kept. Then a spatial non-local mean takes out what is left along
and inside texture: each pixel joins the pixels around it whose patches look like its own, within
what that residual grain explains (the filter alone leaves textured picture as grainy as the
average made it).

Signals are (H, W) float32 sqrt luminance (see :mod:`tinct.core.restore.frames`).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

import cv2
import numpy as np

from tinct.core.pixels import OPENCV, Array, Pixels

BINS = np.linspace(0.0, 1.2, 9)
# Floor of the measured grain (half-float EXR quantisation is about 1e-3 of the signal).
MIN_SIGMA = 1e-3
# The patches compared: a Gaussian window of this standard deviation (pixels). A flat 5x5 window
# weighs its rim as much as its centre: in texture, where the motion is a little off at one side
# of the patch, a neighbour that shows the centre well was left out and the grain stayed. On the
# nine real clips against 5x5: the moving cameras +0.06 to +0.20 dB, the still ones -0.03 to
# +0.04. Chosen on 30 frames of six of them (1.0 gave more to the moving cameras and cost the dog
# clip 0.05 dB; 1.5 less to both); blocks, juggle and cereus were kept out: -0.01 to -0.03.
PATCH_SIGMA = 1.25
# Window radius (pixels) of the smoothing of the grain the temporal average leaves.
SMOOTH_RADIUS = 2
# The spatial non-local mean: the 8 pixels around a pixel join it, weighed by how far their 3x3
# patches differ from its own, in the grain variance left there times NONLOCAL_SPREAD per unit
# of strength (0.8 at the default 0.7). Chosen on the first 30 frames of the nine real clips (the
# generator's damage), against none: +0.19 dB on average, no clip losing; spread 0.6 +0.18, 1.0
# +0.20 (juggle -0.01). A 5x5 window at 0.6 +0.21, for 2.5x the time (53 ms a 1080p frame on one
# core against 21); a 7x7 one +0.22, and with it spread 0.4 +0.19, 1.0 +0.21 (juggle -0.10), 1.6
# +0.11 (juggle -0.40), one variance for the whole frame (its median) +0.17, and in place of the
# self-guided filter -0.07.
NONLOCAL_RADIUS = 1
NONLOCAL_PATCH = 3
NONLOCAL_SPREAD = 0.8 / 0.7
# A warp differs from the frame by more than grain where the picture is detailed (its interpolation,
# motion blur that changes from frame to frame and the flow's errors all grow with the detail) in
# ways a patch of a few pixels cannot tell from grain, and averaging it in smears the detail; where
# the picture is flat, or the neighbour is taken as it is, a tight tolerance only drops good
# neighbours for the noise in the patch distance. So a warped pixel's tolerance shrinks towards
# WARPED_TOLERANCE of it as the frame's texture there (its TEXTURE_WINDOW window's variance beyond
# the grain's) grows, half way at TEXTURE_SCALE grain variances. Chosen on the first 100 frames of
# the real clips (the generator's damage): the share for every warped pixel on calendar, dog, driving
# and juggle (0.38, 0.5 and 0.63: +0.21, +0.20 and +0.17 dB on average), which cost cereus (slow,
# mostly flat) 0.20; the scale on calendar and cereus (0.5, 2 and 4: calendar +0.41, +0.37 and
# +0.32, cereus -0.08, -0.02 and 0.00, the still neighbours' tolerance then widened too). On all
# nine +0.11 dB, the 1080p speed clip +0.05; gated by the warp's motion instead (over 2 pixels),
# +0.12 on the nine but -0.25 on the 1080p clip, whose picture is smoother pixel by pixel.
WARPED_TOLERANCE = 0.45
TEXTURE_WINDOW = 5
TEXTURE_SCALE = 2.0


@dataclass(frozen=True)
class NoiseCurve:
    """Grain standard deviation of the signal as a function of the signal."""

    levels: np.ndarray  # (K,) float32 signal values
    sigmas: np.ndarray  # (K,) float32 standard deviations

    def at(self, signal: Array, pixels: Pixels = OPENCV) -> Array:
        """Per-pixel grain std for an (H, W) signal, an array of ``pixels`` (through a 256-entry table)."""
        table = np.interp((np.arange(256) + 0.5) / 255 * BINS[-1], self.levels, self.sigmas).astype(np.float32)
        return pixels.lookup(signal, table, 255.0 / BINS[-1])  # the signal is never negative

    @property
    def typical(self) -> float:
        return float(np.median(self.sigmas))


def measure_noise(centre: Array, seen: Array, valid: Array, pixels: Pixels = OPENCV) -> NoiseCurve:
    """Grain curve of ``centre`` from one motion-compensated neighbour ``seen`` (both (H, W) signals,
    arrays of ``pixels``; measured on the host from a share of their pixels).

    Only pixels the motion explains (``valid`` > 0.9) on flat image areas count; the difference of
    two grainy frames has twice the variance of one.
    """
    step = 3 if centre.shape[0] * centre.shape[1] > 500_000 else 2
    a, b, valid = (pixels.download(x[::step, ::step]) for x in (centre, seen, valid))
    ok = valid > 0.9
    smooth = cv2.GaussianBlur(b, (0, 0), 1.5)
    gradient = np.abs(cv2.Sobel(smooth, cv2.CV_32F, 1, 0)) + np.abs(cv2.Sobel(smooth, cv2.CV_32F, 0, 1))
    if ok.any():
        ok &= gradient <= np.percentile(gradient[ok], 60)
    difference, level = (a - b)[ok], smooth[ok]
    overall = robust_sigma(difference) if difference.size >= 32 else MIN_SIGMA
    levels, sigmas = [], []
    for low, high in pairwise(BINS):
        inside = difference[(level >= low) & (level < high)]
        levels.append(0.5 * (low + high))
        sigmas.append(robust_sigma(inside) if inside.size >= 200 else np.nan)
    sigmas_array = np.asarray(sigmas, np.float64)
    known = np.isfinite(sigmas_array)
    if not known.any():
        sigmas_array[:] = overall
    else:
        sigmas_array = np.interp(levels, np.asarray(levels)[known], sigmas_array[known])
    sigmas_array = np.maximum(sigmas_array / np.sqrt(2.0), MIN_SIGMA)
    return NoiseCurve(np.asarray(levels, np.float32), sigmas_array.astype(np.float32))


def robust_sigma(values: np.ndarray) -> float:
    """The standard deviation of a normal distribution of the same median absolute deviation (host values)."""
    return float(1.4826 * np.median(np.abs(values - np.median(values))))


def patch_distance(a: Array, b: Array, pixels: Pixels = OPENCV) -> Array:
    """(H, W) mean squared difference of the patches of two signals (arrays of ``pixels``), each
    pixel weighed by a Gaussian of :data:`PATCH_SIGMA` around the patch's centre."""
    difference = a - b
    return pixels.gaussian(difference * difference, PATCH_SIGMA)


class TemporalWeight:
    """The weight of a neighbour of a frame: 1 where its patch differs from the frame's by grain alone.

    ``variance`` is the per-pixel grain variance of one frame; two grainy patches differ by twice
    that. Beyond it the weight falls by e for each ``0.5 + 5 * strength`` grain variances of
    distance (``strength`` in (0, 1]) where the neighbour is taken as it is; where it is warped, for
    each :func:`warped_share` of that, less where the frame ``signal`` is detailed. Made once per
    frame for all its neighbours.
    """

    def __init__(self, signal: Array, variance: Array, strength: float, pixels: Pixels = OPENCV) -> None:
        self.explained = 2.0 * variance
        self.rate = -1.0 / ((0.5 + 5.0 * strength) * variance)  # per unit of unexplained distance
        self.warped_rate = self.rate / warped_share(signal, variance, pixels)
        self.pixels = pixels

    def __call__(self, distance: Array, valid: Array, as_is: Array | float = 0.0) -> Array:
        """(H, W) float32 weight of a neighbour at ``distance`` (:func:`patch_distance`) whose motion
        is ``valid``, given the share of each pixel it gives ``as_is``, not warped (a number: the
        same share everywhere, 0 or 1)."""
        if isinstance(as_is, float):
            rate = self.rate if as_is else self.warped_rate
        else:
            rate = self.rate - self.warped_rate
            rate *= as_is
            rate += self.warped_rate
        excess = distance - self.explained
        excess *= rate
        return self.pixels.fast_exp(excess.clip(max=0.0)) * valid


def window_moments(image: Array, size: int, pixels: Pixels = OPENCV) -> tuple[Array, Array]:
    """(mean, variance) of ``image`` (H, W) over the ``size`` x ``size`` window around each pixel
    (:meth:`Pixels.box`; the variance as the mean square less the squared mean, not clipped)."""
    mean = pixels.box(image, size)
    variance = pixels.box(image * image, size)
    variance -= mean * mean
    return mean, variance


def warped_share(signal: Array, variance: Array, pixels: Pixels = OPENCV) -> Array:
    """(H, W) a warped neighbour's share of the temporal weight's tolerance: 1 where the frame's
    ``signal`` is flat, falling towards :data:`WARPED_TOLERANCE` as its texture (the variance of its
    :data:`TEXTURE_WINDOW` window beyond the grain's ``variance``) grows, half way at
    :data:`TEXTURE_SCALE` grain variances."""
    _, texture = window_moments(signal, TEXTURE_WINDOW, pixels)
    texture -= variance
    texture = texture.clip(min=0.0)
    scale = TEXTURE_SCALE * variance
    share = texture * WARPED_TOLERANCE
    share += scale
    texture += scale
    share /= texture
    return share


def smooth_reach(radius: int = SMOOTH_RADIUS) -> int:
    """How far from a pixel :func:`smooth_residual` of that ``radius`` reads: the window models it
    averages are each fitted over a window."""
    return 2 * radius


def smooth_residual(
    fused: Array, variance: Array, strength: float, radius: int = SMOOTH_RADIUS, pixels: Pixels = OPENCV
) -> Array:
    """Edge-preserving spatial smoothing of the grain the temporal average left (a self-guided filter).

    ``variance`` (H, W) is the grain variance left in ``fused``. In each window the signal is
    fitted as ``a * signal + b`` with ``a = var / (var + eps)``: where the window's variance is
    no more than the grain's, it is flattened; across edges and texture it is kept. ``eps`` is the
    grain variance times ``2 * strength``.
    """
    box = lambda x: pixels.box(x, 2 * radius + 1)  # noqa: E731
    # In place where a full-size temporary can be reused (the same values, a fifth less time).
    mean, spread = window_moments(fused, 2 * radius + 1, pixels)
    a = spread.clip(min=0.0)
    eps = box(variance)
    eps *= 2.0 * strength
    eps += a
    eps += 1e-12
    a /= eps
    mean -= a * mean  # b
    smoothed = box(a)
    smoothed *= fused
    smoothed += box(mean)
    return smoothed


def nonlocal_smooth(image: Array, variance: Array, strength: float, pixels: Pixels = OPENCV) -> Array:
    """Spatial non-local means of the grain left in ``image`` (H, W), of per-pixel ``variance``:
    a neighbour's weight falls by e for each ``NONLOCAL_SPREAD * strength`` of that variance its
    patch differs from the pixel's by (mean squared difference)."""
    rate = -1.0 / (NONLOCAL_SPREAD * strength * NONLOCAL_PATCH * NONLOCAL_PATCH) / variance
    return pixels.nonlocal_means(image, pixels.float32(rate), NONLOCAL_RADIUS, NONLOCAL_PATCH)


def spatial_reach() -> int:
    """How far from a pixel :func:`smooth_spatially` reads."""
    return smooth_reach() + NONLOCAL_RADIUS + NONLOCAL_PATCH // 2


def smooth_spatially(fused: Array, variance: Array, strength: float, pixels: Pixels = OPENCV) -> Array:
    """The grain left in ``fused`` (H, W), of per-pixel ``variance``, smoothed where the picture is
    flat (:func:`smooth_residual`), then along and inside texture (:func:`nonlocal_smooth`)."""
    smoothed = smooth_residual(fused, variance, strength, pixels=pixels)
    return nonlocal_smooth(smoothed, variance, strength, pixels)
