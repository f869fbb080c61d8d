"""Colour from a reference photograph: chroma by texture correspondence (no keyframe needed).

Given a colour photograph of similar content (a period still, a location photo, another take), a
grey frame is coloured by matching each pixel's neighbourhood to the reference's, in the spirit of
Welsh et al. 2002 ("Transferring color to greyscale images") with the spatial voting of Gupta et
al. 2012 ("Image colorization using similar images"), without learned features:

1. **Describe.** Both images are reduced to a working size (long side ``work_side``). Every pixel
   gets a flip-invariant multi-scale descriptor of its perceptual (sRGB-encoded) luminance: the
   luminance, local means and standard deviations at four scales, horizontal and vertical
   gradient energies, gradient magnitudes at two scales, two difference-of-Gaussians (blob and
   ridge) responses, and a weak layout term (height in the picture: sky above, ground below). The
   target's luminance is first remapped to the reference's mean and spread (Welsh's remapping),
   so exposure and print differences do not decide the match; a full histogram match was tried
   and is worse when the two pictures hold their contents in different proportions. The reference
   is described at several scales, so a closer or wider photograph still finds its textures.
2. **Match.** The target descriptors are averaged over ``stride`` x ``stride`` blocks (small grid
   superpixels); each block looks up its ``neighbours`` nearest reference samples (randomised
   kd-trees over a fixed sample of reference pixels, OpenCV FLANN) and votes their chroma, with
   weights that fall with the descriptor distance.
3. **Agree.** The votes are spread along similar luminance (the bilateral fill of
   :mod:`tinct.core.guided`), then every block re-weights its own neighbours by how well they
   agree with that neighbourhood consensus, for ``rounds`` rounds: a region settles on one of the
   colours its texture allows instead of the brown average of all of them.
4. **Finish.** Where no confident evidence is in reach, the reference's mean chroma at that
   luminance is used. The chroma is brought to full size bilinearly: the output's detail is the
   frame's own luminance, kept exactly by :func:`tinct.core.chroma.apply_chroma` (a guided
   upsampling under the full-size luminance was measured worse: it copies luminance texture into
   the chroma).

The reference's descriptors and search trees are built once, in the constructor, so a shot re-uses
them for every frame. Deterministic: a fixed sampling seed, FLANN trees built from a fixed seed,
and one search at a time (a lock: FLANN's search is not documented as thread-safe).

Arrays: luminance (H, W) float32 scene-linear (the working space's Y); chroma ratios (H, W, 3)
float32 in the working space (see :mod:`tinct.core.chroma`); confidence (H, W) float32 in [0, 1].
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from tinct.core.chroma import chroma_ratio, luminance
from tinct.core.colour import ColourManager
from tinct.core.errors import ImageFileError, ParameterError
from tinct.core.flow import srgb_encode
from tinct.core.guided import bilateral_fill

# Smallest image side (pixels, at the working size) that still has texture to describe.
MIN_SIDE = 16
_SEED = 2002
# Four randomised kd-trees, 48 leaf checks per query: 0.85 of the exact 8 nearest neighbours found
# on a 1080p frame, in three quarters of 64 checks' time (0.90). Colour from the first frame alone
# is where the matcher works most: on the real clips 48 checks cost 0.02 dB at most, 32 cost 0.12.
_FLANN_INDEX: dict[str, bool | int | float | str] = {"algorithm": 1, "trees": 4}
_FLANN_SEARCH: dict[str, bool | int | float | str] = {"checks": 48}
# Luminance bins of the fallback colour, and how many pixels' worth of the global mean each holds.
_PRIOR_BINS = 24
_PRIOR_PSEUDOCOUNT = 50.0
# Colourfulness is measured on a thumbnail of this long side.
_THUMBNAIL_SIDE = 512
# Descriptor weights (each channel is first scaled to unit spread over the reference), in the
# order _describe stacks them; the layout channel's weight is a setting.
_WEIGHTS = (
    1.0,  # luminance
    1.0,
    0.8,
    0.6,
    0.5,  # local means, sigma 1.5, 4, 10, 20
    1.0,
    0.8,
    0.6,
    0.5,  # local standard deviations, same scales
    0.7,
    0.7,  # horizontal, vertical gradient energy
    0.6,
    0.5,  # gradient magnitude at sigma 1 and 3
    0.6,
    0.5,  # differences of Gaussians, sigma 1-3 and 3-8
)
_SCALES = (1.5, 4.0, 10.0, 20.0)


@dataclass(frozen=True)
class ReferenceSettings:
    """Tuning of :class:`ReferenceColorizer`; the defaults were tuned on tests/benchmarks/bench_reference.py.

    - ``work_side``: long side (pixels) at which both images are described.
    - ``stride``: matching block size in working pixels (2: a quarter of the searches).
    - ``scales``: sizes of the reference pyramid relative to ``work_side``.
    - ``samples``: reference pixels in the search set; ``neighbours``: matches per block.
    - ``match_distance``: squared descriptor distance at which a match's weight falls to 1/e.
    - ``agreement``: chroma-ratio distance at which a vote that disagrees with its neighbourhood's
      consensus keeps 1/e of its weight; ``rounds``: consensus rounds.
    - ``fill_sigma`` (working pixels) and ``fill_similarity`` (sRGB-encoded luminance): reach of
      the edge-aware spreading of votes.
    - ``trust``: evidence (gathered vote weight) from which the matched colour is used fully;
      below it, blended towards the reference's mean colour at that luminance.
    - ``layout``: weight of the height-in-picture term (0: position plays no part).
    - ``min_colourfulness``: references below this Hasler-Suesstrunk colourfulness are refused.
    """

    work_side: int = 320
    stride: int = 2
    scales: tuple[float, ...] = (1.0, 0.7, 0.5)
    samples: int = 12_000
    neighbours: int = 8
    match_distance: float = 6.0
    agreement: float = 0.4
    rounds: int = 2
    fill_sigma: float = 6.0
    fill_similarity: float = 0.08
    trust: float = 0.05
    layout: float = 0.5
    min_colourfulness: float = 5.0


def colourfulness(display_rgb: np.ndarray) -> float:
    """Hasler and Suesstrunk's colourfulness of an (H, W, 3) sRGB-encoded image in [0, 1].

    On their 0-255 scale: 0 for grey, about 15 "slightly", 33 "moderately", 59 "quite" and 109
    "extremely" colourful. Values outside [0, 1] are clamped first.
    """
    rgb = np.clip(np.asarray(display_rgb, np.float64), 0.0, 1.0) * 255.0
    rg = rgb[..., 0] - rgb[..., 1]
    yb = 0.5 * (rgb[..., 0] + rgb[..., 1]) - rgb[..., 2]
    return float(np.hypot(rg.std(), yb.std()) + 0.3 * np.hypot(rg.mean(), yb.mean()))


class ReferenceColorizer:
    """Chroma for grey frames, taken from one colour reference photograph.

    ``reference_rgb``: (H, W, 3) float scene-linear RGB in ``cm.working_space``, at least
    :data:`MIN_SIDE` pixels on each side. ``source``: the reference's file, named in errors.

    Raises:
        ParameterError: the reference is not an RGB image, is too small or holds NaN/Inf.
        ImageFileError: the reference is (nearly) monochrome: nothing to transfer.
    """

    def __init__(
        self,
        reference_rgb: np.ndarray,
        cm: ColourManager,
        settings: ReferenceSettings | None = None,
        source: str | Path | None = None,
    ):
        self.settings = settings or ReferenceSettings()
        self.weights = cm.luminance_weights()
        rgb = _check_reference(reference_rgb, source)
        self.reference_colourfulness = colourfulness(cm.to_model(_resize_to(rgb, _THUMBNAIL_SIDE)))
        if self.reference_colourfulness < self.settings.min_colourfulness:
            raise ImageFileError(
                "The reference photograph is (nearly) monochrome: no colour to transfer",
                expected=f"a colour photograph, colourfulness >= {self.settings.min_colourfulness:g} "
                "(Hasler-Suesstrunk: 0 grey, 15 slightly, 33 moderately colourful)",
                found=f"colourfulness {self.reference_colourfulness:.2f}",
                repair="choose a colour photograph as the reference (check that it was not read as "
                "greyscale or desaturated on export), or colour the shot from keyframes instead",
                file=source,
            )
        self._lock = threading.Lock()
        self._build(rgb)

    def chroma(self, luminance_plane: np.ndarray, needed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(H, W) float scene-linear luminance -> (chroma ratio (H, W, 3), confidence (H, W)).

        Both float32. The ratio is in the working space; apply it with ``apply_chroma`` to keep
        the luminance exactly. Confidence in [0, 1] is the density of good, agreeing matches of
        similar luminance around a pixel (near 0: colour guessed from the reference's mean colour
        at that luminance). ``needed`` (H, W) bool: only those pixels are matched (the search is
        most of the cost), the others take the colour their matched neighbours spread to them.

        Raises:
            ParameterError: the plane is not 2-D or holds NaN/Inf.
        """
        y = _check_luminance(luminance_plane)
        s = self.settings
        height, width = y.shape
        guide = _perceptual(_resize_to(y, s.work_side))
        # Welsh's remapping: the target's perceptual luminance to the reference's mean and spread.
        remapped = (guide - guide.mean()) * (self._spread / max(float(guide.std()), 1e-4)) + self._mean_level
        described = _describe(remapped.astype(np.float32), s.layout)
        blocks, guide, remapped = (_block_mean(a, s.stride) for a in (described, guide, remapped))
        shape = guide.shape
        query = blocks.reshape(-1, blocks.shape[-1])
        # The blocks matched (the others have no votes: no colour and no say of their own).
        rows = np.arange(len(query)) if needed is None else np.flatnonzero(_needed_blocks(needed, shape))
        match = np.zeros((len(rows), s.neighbours), np.float32)  # (n, k)
        index = np.zeros((len(rows), s.neighbours), np.int32)
        if len(rows):
            wanted = np.ascontiguousarray(query[rows] * self._scale, dtype=np.float32)
            with self._lock:
                index, distance = self._index.knnSearch(wanted, s.neighbours, params=_FLANN_SEARCH)
            match = np.exp(-distance / s.match_distance)
        votes = self._chroma[index]  # (n, k, 3)
        best = match.max(axis=1, initial=0.0)
        match_total = np.maximum(match.sum(axis=1), 1e-12)

        agree = np.ones_like(match)
        pixel = np.zeros((len(query), 3), np.float32)
        say = np.zeros(len(query), np.float32)
        for round_ in range(s.rounds + 1):
            weight = match * agree
            total = weight.sum(axis=1)
            pixel[rows] = np.einsum("nk,nkc->nc", weight, votes) / np.maximum(total, 1e-12)[:, None]
            # A block's say: how good its best match is, times the share of its votes that survive
            # the consensus.
            say[rows] = best * total / match_total
            consensus, gathered = bilateral_fill(
                guide, pixel.reshape(*shape, 3), say.reshape(shape), s.fill_sigma / s.stride, s.fill_similarity
            )
            if round_ < s.rounds:
                gap = np.linalg.norm(votes - consensus.reshape(-1, 1, 3)[rows], axis=-1)
                agree = np.exp(-((gap / s.agreement) ** 2)).astype(np.float32)

        found = np.clip(gathered / s.trust, 0.0, 1.0)[..., None]
        small = found * consensus + (1.0 - found) * self._fallback(remapped)
        ratio = cv2.resize(small, (width, height), interpolation=cv2.INTER_LINEAR)
        confidence = cv2.resize(np.clip(gathered, 0.0, 1.0), (width, height), interpolation=cv2.INTER_LINEAR)
        return ratio.astype(np.float32, copy=False), np.clip(confidence, 0.0, 1.0).astype(np.float32, copy=False)

    def _build(self, rgb: np.ndarray) -> None:
        """Describe the reference pyramid, sample it and build the search trees."""
        s = self.settings
        features, chroma, levels = [], [], []
        base = _working_size(rgb.shape[1], rgb.shape[0], s.work_side)
        for scale in s.scales:
            size = (max(MIN_SIDE, round(base[0] * scale)), max(MIN_SIDE, round(base[1] * scale)))
            small = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
            guide = _perceptual(luminance(small, self.weights))
            described = _describe(guide, s.layout)
            features.append(described.reshape(-1, described.shape[-1]))
            chroma.append(chroma_ratio(small, self.weights).reshape(-1, 3))
            levels.append(guide.ravel())
        all_features = np.concatenate(features)
        all_chroma = np.concatenate(chroma)
        self._mean_level, self._spread = float(levels[0].mean()), float(levels[0].std())
        weights = np.array((*_WEIGHTS, s.layout), np.float32)
        self._scale = (weights / np.maximum(all_features.std(axis=0), 1e-4)).astype(np.float32)

        rng = np.random.default_rng(_SEED)
        pick = np.sort(rng.choice(len(all_features), size=min(s.samples, len(all_features)), replace=False))
        self._features = np.ascontiguousarray(all_features[pick] * self._scale, dtype=np.float32)
        self._chroma = all_chroma[pick]
        # FLANN draws its random tree splits from the calling thread's OpenCV RNG: build in a
        # private thread with a fixed seed, so the trees never depend on what ran before and the
        # caller's RNG is left alone.
        with ThreadPoolExecutor(max_workers=1) as pool:
            self._index = pool.submit(_seeded_index, self._features).result()
        self._prior = _luminance_prior(np.concatenate(levels), all_chroma)

    def _fallback(self, levels: np.ndarray) -> np.ndarray:
        """(h, w) reference-scale perceptual luminance -> (h, w, 3) mean reference chroma there."""
        position = np.clip(levels, 0.0, 1.0) * (_PRIOR_BINS - 1)
        bins = np.arange(_PRIOR_BINS)
        # float32, as the colour it stands in for: the frame-size enlargement of their mix is then
        # OpenCV's fast path (float64: 12 -> 2 ms a 1024x576 frame).
        return np.stack([np.interp(position, bins, self._prior[:, c]) for c in range(3)], axis=-1).astype(np.float32)


def _needed_blocks(needed: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """(H, W) bool pixels -> (N,) bool over the ``shape`` block grid: blocks holding any of them."""
    share = cv2.resize(needed.astype(np.float32), (shape[1], shape[0]), interpolation=cv2.INTER_AREA)
    return share.reshape(-1) > 0.0


def _seeded_index(features: np.ndarray) -> cv2.flann.Index:
    cv2.setRNGSeed(_SEED)
    return cv2.flann.Index(features, _FLANN_INDEX)


def _describe(guide: np.ndarray, layout: float) -> np.ndarray:
    """(h, w) perceptual luminance -> (h, w, F) float32 descriptor, invariant to mirroring.

    Channels in :data:`_WEIGHTS` order, then the height in the picture (0 top, 1 bottom) when
    ``layout`` is non-zero (a zero column otherwise, so shapes do not depend on settings).
    """
    g = guide.astype(np.float32, copy=False)
    square = g * g
    channels: list[np.ndarray] = [g]
    means = [cv2.GaussianBlur(g, (0, 0), sigma) for sigma in _SCALES]
    channels += means
    for sigma, mean in zip(_SCALES, means):
        channels.append(np.sqrt(np.maximum(cv2.GaussianBlur(square, (0, 0), sigma) - mean * mean, 0.0)))
    fine = cv2.GaussianBlur(g, (0, 0), 1.0)
    coarse = cv2.GaussianBlur(g, (0, 0), 3.0)
    gx = cv2.Sobel(fine, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(fine, cv2.CV_32F, 0, 1, ksize=3)
    # Squared gradients pooled before the root: orientation energy, blind to the gradient's sign.
    channels.append(np.sqrt(cv2.GaussianBlur(gx * gx, (0, 0), 3.0)))
    channels.append(np.sqrt(cv2.GaussianBlur(gy * gy, (0, 0), 3.0)))
    channels.append(np.hypot(gx, gy))
    channels.append(
        np.hypot(cv2.Sobel(coarse, cv2.CV_32F, 1, 0, ksize=3), cv2.Sobel(coarse, cv2.CV_32F, 0, 1, ksize=3))
    )
    channels.append(fine - coarse)
    channels.append(coarse - cv2.GaussianBlur(g, (0, 0), 8.0))
    height = np.linspace(0.0, 1.0, g.shape[0], dtype=np.float32)[:, None] * np.float32(layout != 0)
    channels.append(np.broadcast_to(height, g.shape))
    return np.stack(channels, axis=-1)


def _block_mean(image: np.ndarray, stride: int) -> np.ndarray:
    """Mean over ``stride`` x ``stride`` blocks of an (h, w, ...) array (a ragged edge is dropped)."""
    if stride <= 1:
        return image.astype(np.float32, copy=False)
    h, w = max(1, image.shape[0] // stride), max(1, image.shape[1] // stride)
    blocks = image[: h * stride, : w * stride].reshape(h, stride, w, stride, *image.shape[2:])
    return blocks.mean(axis=(1, 3)).astype(np.float32)


def _luminance_prior(levels: np.ndarray, chroma: np.ndarray) -> np.ndarray:
    """(_PRIOR_BINS, 3) mean chroma ratio of the reference per perceptual-luminance bin.

    Every bin also holds :data:`_PRIOR_PSEUDOCOUNT` pixels' worth of the global mean, so sparse
    bins do not say much and empty ones give the global mean.
    """
    bins = np.clip(np.rint(levels * (_PRIOR_BINS - 1)).astype(np.intp), 0, _PRIOR_BINS - 1)
    counts = np.bincount(bins, minlength=_PRIOR_BINS).astype(np.float64)
    sums = np.stack([np.bincount(bins, chroma[:, c], minlength=_PRIOR_BINS) for c in range(3)], axis=-1)
    overall = chroma.mean(axis=0)
    return ((sums + _PRIOR_PSEUDOCOUNT * overall) / (counts + _PRIOR_PSEUDOCOUNT)[:, None]).astype(np.float32)


def _perceptual(y: np.ndarray) -> np.ndarray:
    """Scene-linear luminance -> sRGB-encoded, clamped to [0, 1], float32."""
    return np.clip(srgb_encode(y), 0.0, 1.0)


def _working_size(width: int, height: int, side: int) -> tuple[int, int]:
    """(width, height) scaled down (never up) so the long side is at most ``side``."""
    scale = min(1.0, side / max(width, height))
    return max(MIN_SIDE, round(width * scale)), max(MIN_SIDE, round(height * scale))


def _resize_to(image: np.ndarray, side: int) -> np.ndarray:
    size = _working_size(image.shape[1], image.shape[0], side)
    if size == (image.shape[1], image.shape[0]):
        return image
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)


def _check_reference(rgb: np.ndarray, source: str | Path | None) -> np.ndarray:
    array = np.asarray(rgb)
    if array.ndim != 3 or array.shape[2] != 3 or min(array.shape[:2]) < MIN_SIDE:
        raise ParameterError(
            "The reference photograph is not a usable RGB image",
            expected=f"an (H, W, 3) RGB image at least {MIN_SIDE} pixels on each side",
            found=f"an array of shape {array.shape}",
            repair="pass the reference's RGB channels (drop alpha), at a usable size",
            file=source,
        )
    return _finite(array, "The reference photograph", "RGB", "fix or re-export the reference image", source)


def _check_luminance(y: np.ndarray) -> np.ndarray:
    array = np.asarray(y)
    if array.ndim != 2 or min(array.shape) < 2:
        raise ParameterError(
            "Reference colourisation needs a frame's luminance plane",
            expected="an (H, W) scene-linear luminance array, at least 2 x 2",
            found=f"an array of shape {array.shape}",
            repair="pass tinct.core.chroma.luminance(frame_rgb, weights)",
        )
    return _finite(array, "The frame's luminance", "luminance", "fix the source frame")


def _finite(array: np.ndarray, what: str, kind: str, repair: str, source: str | Path | None = None) -> np.ndarray:
    """``array`` as contiguous float32, or a ParameterError naming how many pixels are NaN or infinite."""
    array = np.ascontiguousarray(array, dtype=np.float32)
    bad = ~np.isfinite(array).all(axis=-1) if array.ndim == 3 else ~np.isfinite(array)
    if bad.any():
        raise ParameterError(
            f"{what} holds NaN or infinite values",
            expected=f"finite scene-linear {kind}",
            found=f"{int(bad.sum())} non-finite pixels",
            repair=repair,
            file=source,
        )
    return array
