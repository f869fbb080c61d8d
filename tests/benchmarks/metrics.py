"""Quality metrics of keyframe colourisation, as the field reports them (docs/FIELD.md).

All metrics compare *display* images: scene-linear ACEScg frames turned into sRGB-encoded Rec.709
clamped to [0, 1] by :func:`to_display`, i.e. the "8-bit-range sRGB image" of the literature, kept
in float (data range 1.0, no 8-bit rounding except inside the CDC histograms).

- :func:`psnr`: 10 log10(1 / MSE) over all pixels and channels, capped at :data:`PSNR_CAP_DB`.
- :func:`ssim`: scikit-image's SSIM over RGB (``channel_axis=-1``, ``data_range=1.0``, its default
  7 x 7 uniform window), the mean of the per-channel SSIMs.
- :class:`CDC`: colour distribution consistency (lower is steadier), streaming.
- :class:`GrainEnergy`: high-pass energy inside repaired regions against the ring around them
  (restoration: is a repair as grainy as its surroundings?), streaming.
"""

from __future__ import annotations

import math
from collections import deque

import cv2
import numpy as np
from skimage.metrics import structural_similarity

from tinct.core.colour import ColourManager

DISPLAY_SPACE = "sRGB Encoded Rec.709 (sRGB)"
WORKING_SPACE = "ACEScg"
# Identical images would give +inf; the cap keeps means over frames finite and sits far above the
# 8-bit quantisation ceiling (about 59 dB), so it only ever marks "exact".
PSNR_CAP_DB = 100.0


def to_display(rgb: np.ndarray, cm: ColourManager) -> np.ndarray:
    """(H, W, 3) scene-linear ACEScg -> (H, W, 3) float32 sRGB-encoded Rec.709 clamped to [0, 1].

    A plain colour-space conversion through the config (no tone mapping): values above display
    white clip to 1, out-of-gamut negatives clip to 0.
    """
    return np.clip(cm.convert(rgb, WORKING_SPACE, DISPLAY_SPACE), 0.0, 1.0)


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """PSNR in dB of two same-shape display images (data range 1.0); identical images give 100 dB.

    Raises:
        ValueError: the shapes differ.
    """
    _check_pair(a, b)
    mse = float(np.mean((np.asarray(a, np.float64) - np.asarray(b, np.float64)) ** 2))
    if mse <= 10.0 ** (-PSNR_CAP_DB / 10.0):
        return PSNR_CAP_DB
    return 10.0 * math.log10(1.0 / mse)


def ssim(a: np.ndarray, b: np.ndarray) -> float:
    """SSIM of two same-shape (H, W, 3) display images (data range 1.0, H and W at least 7).

    Raises:
        ValueError: the shapes differ.
    """
    _check_pair(a, b)
    return float(
        structural_similarity(np.asarray(a, np.float64), np.asarray(b, np.float64), channel_axis=-1, data_range=1.0)
    )


class CDC:
    """Colour distribution consistency of a frame sequence, fed one display frame at a time.

    Each frame's channels are quantised to 8 bits (``round(255 x)``) and turned into normalised
    256-bin histograms ``p_c(t)``. For a frame distance d, with N frames,

        CDC_d = 1 / (3 (N - d)) * sum_c sum_{t=0}^{N-d-1} JS(p_c(t), p_c(t + d))

    with the Jensen-Shannon divergence in natural logarithms (nats, bounded by ln 2):

        JS(p, q) = KL(p || m) / 2 + KL(q || m) / 2,  m = (p + q) / 2,  KL(p || m) = sum p ln(p / m).

    The score is the mean of CDC_d over d in :attr:`DILATIONS` = (1, 2, 4), equally weighted: the
    definition of Liu et al., "Temporally consistent video colorization with deep feature propagation
    and self-regularization learning" (TCVC), used by the NTIRE 2023 video colourisation challenge,
    whose reference code computes JS with ``scipy.stats.entropy`` (natural log) on 8-bit frames.
    Distances longer than the sequence (N <= d) are left out of the mean.

    Memory: the last four histograms (3 x 256 each), whatever the sequence length.
    """

    DILATIONS = (1, 2, 4)

    def __init__(self) -> None:
        self._history: deque[np.ndarray] = deque(maxlen=max(self.DILATIONS))
        self._sums = dict.fromkeys(self.DILATIONS, 0.0)
        self._counts = dict.fromkeys(self.DILATIONS, 0)

    @property
    def frames(self) -> int:
        """How many frames have been fed."""
        return self._counts[1] + (1 if self._history else 0)

    def update(self, display: np.ndarray) -> None:
        """Feed the next (H, W, 3) display frame (float, [0, 1]; values outside are clamped)."""
        frame = np.asarray(display)
        if frame.ndim != 3 or frame.shape[2] != 3:
            raise ValueError(f"expected an (H, W, 3) display frame, got shape {frame.shape}")
        codes = np.rint(np.clip(frame, 0.0, 1.0) * 255.0).astype(np.intp).reshape(-1, 3)
        hist = np.stack([np.bincount(codes[:, c], minlength=256) for c in range(3)]).astype(np.float64)
        hist /= codes.shape[0]
        for d in self.DILATIONS:
            if len(self._history) >= d:
                self._sums[d] += float(np.mean(_js_divergence(self._history[-d], hist)))
                self._counts[d] += 1
        self._history.append(hist)

    def value(self) -> float:
        """The CDC of the frames fed so far (0 for a sequence whose colour histograms never change).

        Raises:
            ValueError: fewer than two frames were fed.
        """
        means = [self._sums[d] / self._counts[d] for d in self.DILATIONS if self._counts[d]]
        if not means:
            raise ValueError("CDC needs at least two frames")
        return float(np.mean(means))


class GrainEnergy:
    """High-pass energy of an image inside masked regions against a ring around them, fed one frame
    at a time: a repaired speck that is smoother than its surroundings ("frozen grain") gives a
    ratio under 1, one noisier than them a ratio over 1.

    The high-pass is the image minus its Gaussian blur (sigma :attr:`SIGMA`): grain and fine
    texture. The ring is the band between :attr:`GAP` and :attr:`GAP` + :attr:`RING` pixels
    around a region, outside every pixel ``excluded`` names (other defects, whose repair it would
    otherwise mix in). Energies are summed over all frames before the ratio is taken, so small
    regions count by their area.
    """

    SIGMA = 2.0
    GAP = 2
    RING = 6

    def __init__(self) -> None:
        self.inside = self.inside_count = self.ring = self.ring_count = 0.0

    def update(self, image: np.ndarray, region: np.ndarray, excluded: np.ndarray | None = None) -> None:
        """Feed one (H, W) display image, its (H, W) bool regions and pixels the ring must avoid."""
        image = np.asarray(image, np.float32)
        high = image - cv2.GaussianBlur(image, (0, 0), self.SIGMA)
        squared = high * high
        near = _dilate(region, self.GAP)
        ring = _dilate(region, self.GAP + self.RING) & ~near
        if excluded is not None:
            ring &= ~_dilate(excluded, self.GAP)
        self.inside += float(squared[region].sum())
        self.inside_count += float(region.sum())
        self.ring += float(squared[ring].sum())
        self.ring_count += float(ring.sum())

    def ratio(self) -> float:
        """Mean high-pass energy inside the regions over that in their rings (nan before any region)."""
        if not self.inside_count or not self.ring_count or not self.ring:
            return math.nan
        return (self.inside / self.inside_count) / (self.ring / self.ring_count)


def _dilate(mask: np.ndarray, radius: int) -> np.ndarray:
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    return cv2.dilate(mask.astype(np.uint8), kernel).astype(bool)


def _js_divergence(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """(C, B) histograms summing to 1 per row -> (C,) Jensen-Shannon divergences in nats."""
    m = 0.5 * (p + q)
    return 0.5 * (_kl(p, m) + _kl(q, m))


def _kl(p: np.ndarray, m: np.ndarray) -> np.ndarray:
    # Bins with p = 0 contribute 0; where p > 0, m >= p / 2 > 0.
    ratio = np.divide(p, m, out=np.ones_like(p), where=p > 0)
    return np.sum(p * np.log(ratio), axis=-1)


def _check_pair(a: np.ndarray, b: np.ndarray) -> None:
    if np.shape(a) != np.shape(b):
        raise ValueError(f"images differ in shape: {np.shape(a)} vs {np.shape(b)}")
