"""Dust and dirt: one-frame specks and blotches, found by temporal evidence and repaired from neighbours.

**Detect.** A speck is in this frame and in neither neighbour: after motion compensation, the
pixel is darker (or brighter) than *every* pixel of the 3x3 neighbourhood around its match in the
previous frame *and* in the next one, by more than the grain explains (a rank-order spike detector,
after Kokaram). Taking the whole 3x3 neighbourhood forgives a pixel of misregistration and the
softening of warping, so thin real details are not taken for dust; requiring both directions means
occlusions (content missing on one side only) are not taken for dust either; pixels whose motion
is unreliable (forward/backward disagreement) are never candidates. Strong spikes seed the mask and
it grows into neighbouring weaker ones (hysteresis), so a blotch is taken whole with its soft edge.
At a scene cut only one side has neighbours: then the two frames on that side must both disagree,
with a stricter threshold.

**Repair.** Inside the matte, the frame's pixel is replaced by the median of its motion-compensated
neighbours, through motion filled in from around the defect (the flow inside a blotch is not to be
trusted), so a neighbour's own dust at that spot does not come back.

Arrays: (H, W) float32 signals (sqrt luminance); mattes (H, W) float32 in [0, 1].
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from tinct.core.guided import push_pull_fill
from tinct.core.restore.denoise import patch_distance

_CROSS = np.ones((3, 3), np.uint8)
# Strong spikes exceed ``threshold`` grain deviations; their blob grows into pixels above half of it.
GROW = 0.5
GROW_STEPS = 3
# Ring (pixels) around a defect whose match with the witnesses is checked, and the largest mean
# squared mismatch there, in grain variances, of a defect whose surroundings are explained.
RING = 3
RING_MISMATCH = 3.0
# Blurs (pixels at the working frame, 0: none) at which the spike test runs.
SCALES = (0.0, 1.0, 2.5)
TEXTURE = 0.0
# Matte value of the ring of pixels around a detected defect (its soft edge, partly repaired).
EDGE = 0.4


@dataclass
class Seen:
    """A neighbour frame motion-compensated onto the current one."""

    signal: np.ndarray   # (H, W) float32 neighbour signal at the current frame's pixels
    valid: np.ndarray    # (H, W) float32 in [0, 1]: the motion there is reliable
    # (H, W) float32 the neighbour warped with the unreliable motion replaced by its surroundings'
    # (set for the neighbours that witness dust)
    bridged: np.ndarray | None = None
    # (H, W) bool: the bridged motion lands inside the neighbour frame (content leaving or
    # entering the frame has no witness)
    inside: np.ndarray | bool = True


def spike_threshold(strength: float) -> float:
    """Grain deviations a spike must exceed: strength 0 -> 6, 0.5 -> 4, 1 -> 2."""
    return 6.0 - 4.0 * strength


def witnesses(sides: list[list[Seen]]) -> tuple[list[Seen], float]:
    """The neighbours that testify for each pixel, and how much stricter the test is with them.

    The two nearest frames on each side (a neighbour's own dust then cannot fake a spike in this
    frame); at a scene cut or the end of the shot, the two nearest on the one side there is, 1.5
    times stricter; nobody with fewer frames.
    """
    before, after = sides
    if before and after:
        return before[:2] + after[:2], 1.0
    if len(before) >= 2 or len(after) >= 2:
        return (before or after)[:2], 1.5
    return [], 0.0


def detect(centre: np.ndarray, sides: list[list[Seen]], sigma: np.ndarray, strength: float, floor: float) -> np.ndarray:
    """(H, W) bool mask of one-frame defects of ``centre``.

    ``sides`` holds the neighbours before and after the frame (nearest first; the witnesses with
    ``bridged`` set); ``sigma`` is the per-pixel grain std; ``floor`` the smallest signal
    difference that may count as dust.

    The spike test runs on the *bridged* warps: inside a blotch the flow is garbage (nothing in
    the neighbours looks like the blotch), so the motion around it stands in. Where the motion is
    unsure, the witnesses must also agree with each other and the frame's own motion must have
    failed to find the content in them: new or deforming content is never taken for dust.
    """
    chosen, factor = witnesses(sides)
    if not chosen:
        return np.zeros(centre.shape, bool)
    limit = spike_threshold(strength) * factor
    references = [seen.bridged if seen.bridged is not None else seen.signal for seen in chosen]
    inside = np.logical_and.reduce([np.broadcast_to(seen.inside, centre.shape) for seen in chosen])
    # The test runs on the frames as they are (specks of a pixel or two) and blurred (faint
    # blotches seen through the grain, which blurring reduces by ``calm``, measured against the
    # nearest witness).
    # A blurred spike spreads beyond its defect: only the finer scales say how far a defect
    # reaches (the pixels that may join it), the coarsest only seeds it.
    strong = [np.zeros(centre.shape, bool), np.zeros(centre.shape, bool)]
    weak = [np.zeros(centre.shape, bool), np.zeros(centre.shape, bool)]
    for level, blur in enumerate(SCALES):
        if blur:
            here = cv2.GaussianBlur(centre, (0, 0), blur)
            seen = [cv2.GaussianBlur(r, (0, 0), blur) for r in references]
            calm = _calm(centre, references[0], here, seen[0], chosen[0].valid)
        else:
            here, seen, calm = centre, references, 1.0
        threshold = limit * calm * sigma + floor
        if TEXTURE:
            threshold = threshold + TEXTURE * np.max([cv2.dilate(r, _CROSS) - cv2.erode(r, _CROSS) for r in seen], axis=0)
        for i, spike in enumerate(_spikes(here, seen)):
            if level < len(SCALES) - 1:
                strong[i] |= inside & (spike > threshold)
                weak[i] |= spike > GROW * threshold
            else:
                strong[i] |= inside & (spike > threshold) & weak[i]
    found = _grow(strong[0], weak[0]) | _grow(strong[1], weak[1])
    if not found.any():
        return found
    variance = sigma * sigma
    unreliable = np.logical_or.reduce([seen.valid <= 0.5 for seen in chosen])
    if (found & unreliable).any():
        # Where the motion is unsure, the frame's own motion must have failed to find the content
        # in the witnesses (a fast mover whose flow fails the forward/backward check is still
        # found in a neighbour).
        matched = np.logical_or.reduce(
            [patch_distance(seen.signal, centre) < 3.0 * variance + 0.25 * floor * floor for seen in chosen])
        found &= ~(unreliable & matched)
    return _well_framed(found, centre, references, variance + (0.5 * floor) ** 2)


def _well_framed(found: np.ndarray, centre: np.ndarray, references: list[np.ndarray], variance: np.ndarray) -> np.ndarray:
    """Keep the defects whose surroundings the witnesses explain.

    Around a speck of dust the motion is right: just outside it, the frame matches its witnesses
    to within the grain. Where motion estimation failed (an object deforming, a wrong but
    self-consistent flow), the mismatch spreads beyond the "defect": the whole group is dropped.
    """
    count, labels = cv2.connectedComponents(found.astype(np.uint8), connectivity=8)
    ring_size = 2 * RING + 1
    grown = cv2.dilate(labels.astype(np.float32), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (ring_size, ring_size)))
    ring = (grown > 0) & ~cv2.dilate(found.astype(np.uint8), _CROSS).astype(bool)
    mismatch = np.minimum.reduce([(r - centre) ** 2 for r in references]) / variance
    owner = grown[ring].astype(np.int64)
    totals = np.bincount(owner, weights=mismatch[ring], minlength=count)
    sizes = np.bincount(owner, minlength=count)
    score = totals / np.maximum(sizes, 1)
    keep = score <= RING_MISMATCH
    keep[0] = False
    return keep[labels]


def _spikes(centre: np.ndarray, references: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """How far ``centre`` lies below (dark) and above (bright) every 3x3 neighbourhood of every reference."""
    dark = bright = None
    for reference in references:
        low = cv2.erode(reference, _CROSS) - centre
        high = centre - cv2.dilate(reference, _CROSS)
        dark = low if dark is None else np.minimum(dark, low)
        bright = high if bright is None else np.minimum(bright, high)
    return dark, bright


def _calm(centre: np.ndarray, reference: np.ndarray, smooth_centre: np.ndarray, smooth_reference: np.ndarray,
          valid: np.ndarray) -> float:
    """How much blurring reduces the frame-to-frame grain difference (robust spreads, reliable pixels)."""
    ok = valid[::3, ::3] > 0.9
    if ok.sum() < 64:
        return 1.0
    raw = (centre - reference)[::3, ::3][ok]
    smooth = (smooth_centre - smooth_reference)[::3, ::3][ok]
    spread = lambda x: float(np.median(np.abs(x - np.median(x))))  # noqa: E731
    return float(np.clip(spread(smooth) / max(spread(raw), 1e-6), 0.2, 1.0))


def _grow(seeds: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    """Pixels of ``allowed`` connected to ``seeds`` within a few steps (hysteresis)."""
    if not seeds.any():
        return seeds
    grown = seeds.astype(np.uint8)
    allowed_u8 = allowed.astype(np.uint8)
    for _ in range(GROW_STEPS):
        grown = cv2.dilate(grown, _CROSS) & allowed_u8
    return grown.astype(bool) | seeds


def matte(mask: np.ndarray) -> np.ndarray:
    """(H, W) bool defect pixels -> (H, W) float32 repair matte: 1 on them, :data:`EDGE` on the ring around."""
    if not mask.any():
        return np.zeros(mask.shape, np.float32)
    core = mask.astype(np.float32)
    return np.maximum(core, EDGE * cv2.dilate(core, _CROSS))


def fill_flow(flow: np.ndarray, holes: np.ndarray) -> np.ndarray:
    """(h, w, 2) flow with the motion inside ``holes`` ((h, w) float32 in [0, 1]) filled from around them."""
    if not (holes > 0).any():
        return flow
    filled = push_pull_fill(flow, 1.0 - holes)
    return (flow * (1.0 - holes[..., None]) + filled * holes[..., None]).astype(np.float32)


def median_of(values: list[np.ndarray], weights: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Per-pixel median of the ``values`` whose weight exceeds 0.5, for 1-D arrays of pixels.

    Returns (median, count): pixels without any usable value get NaN and count 0.
    """
    stack = np.stack(values).astype(np.float32)
    usable = np.stack(weights) > 0.5
    stack[~usable] = np.nan
    count = usable.sum(axis=0)
    median = np.full(stack.shape[1], np.nan, np.float32)
    some = count > 0
    if some.any():
        median[some] = np.nanmedian(stack[:, some], axis=0)
    return median, count
