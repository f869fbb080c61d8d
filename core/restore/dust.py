"""Dust and dirt: one-frame specks and blotches, found by temporal evidence and repaired from neighbours.

**Detect.** A speck is in this frame and in none of its neighbours: after motion compensation, the
pixel is darker (or brighter) than *every* pixel of the 3x3 neighbourhood around its match in each
of the two frames before *and* the two after, by more than the grain explains (a rank-order spike
detector, after Kokaram). The 3x3 neighbourhood forgives a pixel of misregistration; both
directions keep occlusions (content missing on one side only) from passing for dust; two frames
a side keep a neighbour's own speck from faking one here. The test also runs on blurred frames,
which sees faint blotches through the grain. Strong spikes seed the mask and it grows into weaker
neighbouring ones (hysteresis), so a blotch is taken whole.

Motion inside a blotch is garbage (nothing in the neighbours looks like it), so where the flow
fails its forward/backward check the motion of the surroundings stands in ("bridged" warps). Then
two checks keep real motion from being smeared: the frame's own motion must not have found the
content in a neighbour, and the ring just outside every defect must match its witnesses to within
the grain (around dust the motion is right; where motion estimation failed, the mismatch spreads).
At a scene cut or the ends of a shot only one side has neighbours: the two there must agree, with
a stricter threshold, and only where their motion is reliable.

**Repair.** Inside the matte, the frame's pixel is replaced by the median of its motion-compensated
neighbours through motion filled in from around the defect, so a neighbour's own dust at that spot
does not come back.

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
# Ring (pixels) around a defect whose match with the witnesses is checked. Squared mismatches are
# in grain variances: a ring pixel is unexplained beyond RING_CLIP (4 sigma); a defect is a failure
# of motion estimation when its ring's mean (clipped) mismatch exceeds RING_MISMATCH or more than
# RING_SHARE of it is unexplained.
RING = 3
RING_CLIP = 16.0
RING_MISMATCH = 3.0
RING_SHARE = 0.2
# Share of the witnesses' local (3x3) contrast added to the threshold.
TEXTURE = 0.05
# Matte value of the ring of pixels around a detected defect (its soft edge, partly repaired).
EDGE = 0.4


@dataclass
class Seen:
    """A neighbour frame motion-compensated onto the current one."""

    signal: np.ndarray  # (H, W) float32 neighbour signal at the current frame's pixels
    valid: np.ndarray  # (H, W) float32 in [0, 1]: the motion there is reliable
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
    times stricter and only where their motion is reliable; nobody with fewer frames.
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
    the neighbours looks like the blotch), so the motion around it stands in. It runs on the frames
    as they are (specks of a pixel or two) and blurred (faint blotches seen through the grain, which
    blurring calms by a measured factor); a blurred spike spreads beyond its defect, so the finest
    scales say how far a defect reaches and the coarsest only seeds it. Where the motion is unsure,
    the frame's own motion must have failed to find the content in the witnesses, and every defect's
    surroundings must match them: new or deforming content is not taken for dust.
    """
    chosen, factor = witnesses(sides)
    if not chosen:
        return np.zeros(centre.shape, bool)
    limit = spike_threshold(strength) * factor
    references = [seen.bridged if seen.bridged is not None else seen.signal for seen in chosen]
    inside = np.logical_and.reduce([np.broadcast_to(seen.inside, centre.shape) for seen in chosen])
    if factor > 1.0:
        # With witnesses on one side only, an occlusion looks like a spike: trust their motion only.
        inside &= np.logical_and.reduce([seen.valid > 0.5 for seen in chosen])
    strong = [np.zeros(centre.shape, bool), np.zeros(centre.shape, bool)]
    weak = [np.zeros(centre.shape, bool), np.zeros(centre.shape, bool)]
    # Warping misses fine texture by a share of its local contrast, which is not dust either.
    nearest = references[0]
    texture = TEXTURE * (cv2.dilate(nearest, _CROSS) - cv2.erode(nearest, _CROSS))
    # Level 0: the frames as they are; 1: blurred by a pixel; 2: by about 2.5 pixels, at half size.
    here, seen = centre, references
    for level in range(3):
        if level == 1:
            here, seen = _blur(here, 1.0), [_blur(r, 1.0) for r in seen]
        elif level == 2:
            here, seen = _blur(cv2.pyrDown(here), 1.0), [_blur(cv2.pyrDown(r), 1.0) for r in seen]
        calm = _calm(centre - nearest, here - seen[0]) if level else 1.0
        # Blurring calms the misregistration the floor stands for as much as the grain.
        threshold = calm * (limit * sigma + floor) + texture
        for i, spike in enumerate(_spikes(here, seen)):
            if spike.shape != centre.shape:
                spike = cv2.resize(spike, (centre.shape[1], centre.shape[0]), interpolation=cv2.INTER_LINEAR)
            if level < 2:
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
            [patch_distance(seen.signal, centre) < 3.0 * variance + 0.25 * floor * floor for seen in chosen]
        )
        found &= ~(unreliable & matched)
    return _well_framed(found, centre, references, variance + (0.5 * floor) ** 2, factor)


def _well_framed(
    found: np.ndarray, centre: np.ndarray, references: list[np.ndarray], variance: np.ndarray, strictness: float
) -> np.ndarray:
    """Keep the defects whose surroundings the witnesses explain (``strictness`` > 1 asks more).

    Around a speck of dust the motion is right: just outside it, the frame matches its witnesses
    to within the grain. Where motion estimation failed (an object deforming, a wrong but
    self-consistent flow), the mismatch spreads beyond the "defect": the whole group is dropped.
    """
    count, labels = cv2.connectedComponents(found.astype(np.uint8), connectivity=8)
    ring_size = 2 * RING + 1
    grown = cv2.dilate(labels.astype(np.float32), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (ring_size, ring_size)))
    ring = (grown > 0) & ~cv2.dilate(found.astype(np.uint8), _CROSS).astype(bool)
    ys, xs = np.nonzero(ring)
    mismatch = np.minimum.reduce([(r[ys, xs] - centre[ys, xs]) ** 2 for r in references]) / variance[ys, xs]
    owner = grown[ys, xs].astype(np.int64)
    # Around dust, the ring mismatches by the grain alone; where motion estimation failed, by more
    # on average or badly on a good share of it. (Clipping keeps a few edge pixels of a slightly
    # misregistered witness from outweighing the rest.)
    sizes = np.maximum(np.bincount(owner, minlength=count), 1)
    mean = np.bincount(owner, weights=np.minimum(mismatch, RING_CLIP), minlength=count) / sizes
    failed = np.bincount(owner, weights=(mismatch > RING_CLIP).astype(np.float64), minlength=count) / sizes
    keep = (mean <= RING_MISMATCH / strictness) & (failed <= RING_SHARE / strictness)
    keep[0] = False
    return keep[labels]


def _spikes(centre: np.ndarray, references: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """How far ``centre`` lies below (dark) and above (bright) every pixel of every reference's 3x3
    neighbourhood (which forgives a pixel of misregistration)."""
    lowest, highest = references[0], references[0]
    for reference in references[1:]:
        lowest, highest = cv2.min(lowest, reference), cv2.max(highest, reference)
    # The 3x3 minimum of the per-pixel minimum is the minimum of the 3x3 minima.
    return cv2.subtract(cv2.erode(lowest, _CROSS), centre), cv2.subtract(centre, cv2.dilate(highest, _CROSS))


def _blur(image: np.ndarray, sigma: float) -> np.ndarray:
    return cv2.GaussianBlur(image, (0, 0), sigma)


def _calm(full: np.ndarray, reduced: np.ndarray) -> float:
    """How much a pyramid level reduces the frame-to-witness difference of grain (robust spreads)."""
    spread = lambda x: float(np.median(np.abs(x - np.median(x))))  # noqa: E731
    step = max(1, int(np.sqrt(full.size / 60_000)))
    return float(
        np.clip(
            spread(reduced[:: max(1, step // 2), :: max(1, step // 2)]) / max(spread(full[::step, ::step]), 1e-6),
            0.1,
            1.0,
        )
    )


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
    """(h, w, 2) flow with the motion inside ``holes`` ((h, w) float32 in [0, 1]) filled from around them.

    Motion is smooth: the fill is computed at half the size.
    """
    if not (holes > 0).any():
        return flow
    h, w = holes.shape
    half = (max(w // 2, 1), max(h // 2, 1))
    coarse = push_pull_fill(
        cv2.resize(flow, half, interpolation=cv2.INTER_AREA),
        cv2.resize(1.0 - holes, half, interpolation=cv2.INTER_AREA),
    )
    filled = cv2.resize(coarse, (w, h), interpolation=cv2.INTER_LINEAR)
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
