"""Keyframe colour propagation: track every pixel back to a keyframe, then blend, fill and refine.

The method (designed for steadiness and sharpness, not just plausibility):

1. **Track, don't chain colour.** Walking away from a keyframe frame by frame, we chain the *map*
   ``coords[y, x]`` = where this pixel was in the keyframe, through DIS flow. Coordinates are smooth,
   so re-sampling them each frame costs no sharpness; the colour is sampled once, from the crisp
   keyframe chroma. (Chaining the colour itself, the usual baseline, blurs a little more every frame.)
   Each step also registers the keyframe plate, seen through the map, to the current plate, so the
   small errors of a long chain of flows do not add up to drift.
2. **Know when tracking fails.** A pixel's *reach* drops where forward/backward flow disagree
   (occlusion, unreliable flow) or its map leaves the keyframe; its *confidence* is reach times a
   photometric check: does the source luminance here match the keyframe plate's luminance where the
   map points? Newly revealed regions fail both and are not smeared.
3. **Re-acquire what tracking lost.** A pixel lost to an occluder or a flow failure is often
   still in the keyframe: the background behind a passing object, content the camera pans back to.
   The dominant motion between this frame and the keyframe (a homography fitted by RANSAC to the
   sure pixels' keyframe coordinates: the camera move over the main plane) predicts where every
   pixel lies in the keyframe; a prediction that passes a strict patch test (same structure, same
   level) replaces the tracked position wherever its evidence is stronger. Content the keyframe
   never showed fails the test (or falls outside the keyframe) and stays unsure.
4. **Both directions.** Between two keyframes every frame gets a forward and a backward estimate,
   blended by confidence and temporal proximity.
5. **Fill along edges.** Uncertain pixels take chroma from confident neighbours of similar
   luminance (a bilateral-grid normalised convolution under the source luminance), so colour does
   not bleed across edges; where no similar neighbour is in reach, a smooth push-pull fill.

All tracking runs at a working scale (long side <= ``flow_resolution``); colour is sampled and refined
at full resolution. Arrays: luminance (H, W) float32 scene-linear; chroma ratios (H, W, 3) float32
(see :mod:`tinct.core.chroma`); confidence (H, W) float32 in [0, 1].
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import cv2
import numpy as np

from tinct.core.flow import (
    FlowEstimator,
    Motion,
    dominant_motions,
    flow_guide,
    identity_grid,
    inside,
    srgb_decode,
    warp,
)
from tinct.core.guided import bilateral_fill

# Per step, how much a carried (not re-sampled) estimate is still trusted.
CARRY_DECAY = 0.9
# Per step, the share of an unsure region's held colour renewed from fresh evidence.
RENEWAL = 0.15
# Largest drift correction per step, in working-scale pixels: drift is slow; a larger residual is a
# flow mistake (e.g. on an occluder), not drift.
DRIFT_LIMIT = 2.0
# Re-acquisition: sure pixels are sampled every MOTION_STEP working-scale pixels to fit up to MOTIONS
# dominant motions; a pixel's predicted keyframe position must pass a patch test over a (2r+1)^2 window: mean
# absolute difference of sRGB-encoded luminance, and normalised cross-correlation unless both
# patches are flat (variance below PATCH_FLAT, where correlation is noise).
MOTION_STEP = 4
MOTIONS = 3
# At most this many sampled points are fitted (a regular share of the sure ones: RANSAC's time grows
# with the points, its accuracy hardly beyond a few thousand).
MOTION_POINTS = 4_000
# Motion (working-scale pixels per step) under which a pixel counts as still, and twice which it moves.
STILL_MOTION = 0.25
PATCH_RADIUS = 3
PATCH_DIFFERENCE = 0.03
PATCH_CORRELATION = 0.8
PATCH_FLAT = 1e-4


@dataclass(frozen=True)
class PropagationSettings:
    flow_quality: str = "medium"
    flow_resolution: int = 1024
    # Forward/backward disagreement (working-scale pixels) where reach starts to fall, and where it is gone.
    occlusion_tolerance: float = 2.0
    # Width of the photometric check in sRGB-encoded luminance units.
    match_tolerance: float = 0.12
    # Reach of the edge-aware fill (pixels at 1920 wide, scaled with the image) and how similar in
    # sRGB-encoded luminance a confident pixel must be to lend its colour.
    fill_radius: float = 48.0
    fill_similarity: float = 0.08


@dataclass
class Plate:
    """One source frame prepared for tracking: full-size guide and working-scale guide."""

    guide: np.ndarray  # (H, W) float32 sRGB-encoded luminance, clamped to [0, 1]
    small: np.ndarray  # (h, w) uint8 working-scale guide for flow


@dataclass
class Track:
    """One walking direction from one keyframe: where pixels lie in the keyframe, and the colour so far."""

    key: int
    coords: np.ndarray  # (h, w, 2) float32 working-scale keyframe coordinates
    reach: np.ndarray  # (h, w) float32 in [0, 1]: followed from the keyframe without occlusion
    chroma: np.ndarray  # (H, W, 3) float32 this direction's finished chroma estimate
    confidence: np.ndarray  # (H, W) float32 in [0, 1]: how surely the colour came from the keyframe
    persistence: np.ndarray  # (H, W) float32 in [0, 1]: how much of this estimate the next frame keeps


class TextureMatcher(Protocol):
    """Colour for content no tracking reaches, by texture correspondence (see :mod:`tinct.core.reference`)."""

    def chroma(
        self, luminance_plane: np.ndarray, needed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]: ...


@dataclass
class Keyframe:
    frame: int
    chroma: np.ndarray  # (H, W, 3) chroma ratio aligned to the source plate of this frame
    plate: Plate
    # Colours unseen content from the keyframe's own textures; None: continue the carried colour.
    matcher: TextureMatcher | None = None
    # (H, W) how sure the keyframe's own colour is (a model's proposal); None: certain (painted).
    certainty: np.ndarray | None = None


class Propagator:
    """Stateless per call, except for its flow estimator (not thread-safe: one per worker)."""

    def __init__(self, settings: PropagationSettings, height: int, width: int) -> None:
        self.settings = settings
        self.height, self.width = height, width
        self.flow = FlowEstimator(settings.flow_quality, settings.flow_resolution)
        scale = self.flow.scale_for(height, width)
        self.small_size = (max(8, round(width * scale)), max(8, round(height * scale)))  # (w, h)
        self.fill_sigma = max(2.0, settings.fill_radius * width / 1920)

    # -- preparation -------------------------------------------------------------------------
    def plate(self, luminance: np.ndarray) -> Plate:
        full = flow_guide(luminance)
        small = cv2.resize(full, self.small_size, interpolation=cv2.INTER_AREA)
        return Plate(guide=full.astype(np.float32) / 255.0, small=small)

    def keyframe(
        self,
        frame: int,
        plate: Plate,
        key_luminance: np.ndarray,
        key_chroma: np.ndarray,
        matcher: TextureMatcher | None = None,
        certainty: np.ndarray | None = None,
    ) -> Keyframe:
        """Align a keyframe's chroma to its source plate.

        Keyframes are painted or graded by people: they may be softer, shifted by a pixel or exposed
        differently. Flow from the plate to the exposure-matched keyframe luminance registers them.
        """
        key_guide = flow_guide(key_luminance).astype(np.float32)
        plate_guide = plate.guide * 255.0
        matched = (key_guide - key_guide.mean()) / (key_guide.std() + 1e-6) * plate_guide.std() + plate_guide.mean()
        matched = np.clip(matched + 0.5, 0, 255).astype(np.uint8)
        flow = self.flow((plate_guide + 0.5).astype(np.uint8), matched)
        coords = identity_grid(self.height, self.width) + flow
        xs, ys = coords[..., 0], coords[..., 1]
        return Keyframe(
            frame=frame,
            chroma=_gather(key_chroma, xs, ys),
            plate=plate,
            matcher=matcher,
            certainty=None if certainty is None else _gather(certainty.astype(np.float32), xs, ys),
        )

    def start(self, key: Keyframe) -> Track:
        h, w = key.plate.small.shape
        return Track(
            key=key.frame,
            coords=identity_grid(h, w),
            reach=np.ones((h, w), np.float32),
            chroma=key.chroma,
            confidence=np.ones((self.height, self.width), np.float32) if key.certainty is None else key.certainty,
            persistence=np.ones((self.height, self.width), np.float32),
        )

    # -- tracking ------------------------------------------------------------------------------
    def motion(self, previous: Plate, current: Plate) -> Motion:
        """Flow both ways between two consecutive plates, the current one the target, in half-float
        precision: one pass re-uses the motion another pass computed and gets the same pixels."""

        def half(flow: np.ndarray) -> np.ndarray:
            return flow.astype(np.float16).astype(np.float32)

        return Motion(half(self.flow(current.small, previous.small)), half(self.flow(previous.small, current.small)))

    def step(self, track: Track, previous: Plate, current: Plate, key: Keyframe, motion: Motion | None = None) -> Track:
        """Advance a track from the previous frame (in walking order) to the current one; ``motion``
        between them when already known (else it is computed).

        Each pixel's colour comes, in order of preference, from the keyframe through its tracked
        coordinates (crisp); from this direction's previous estimate carried by the flow, while
        that estimate stays reliable; from sure neighbours of similar luminance (disocclusions);
        and last from the carried colour alone (content entering the frame continues its border).
        """
        s = self.settings
        motion = motion or self.motion(previous, current)
        to_prev = motion.to_reference
        h, w = current.small.shape
        positions = identity_grid(h, w) + to_prev
        chained = warp(track.coords, positions, border_value=-1.0)
        consistent = motion.consistency(s.occlusion_tolerance)
        coords = self._register(chained, current, key)
        # Where this step saw no motion, the identity is a fair hypothesis (static content).
        still = np.clip(2.0 - np.linalg.norm(to_prev, axis=-1) / STILL_MOTION, 0.0, 1.0)
        reach = warp(track.reach, positions) * consistent * inside(positions, h, w) * inside(coords, h, w)
        sure_small = reach * self._photometric(current.small, key.plate.small, coords)
        coords, reach, sure_small = self._verify(coords, reach, sure_small, still, current, key)

        # Full-size arrays are freed as soon as they have served (two walks may step at once).
        x, y = self._full(coords)
        sampled = _gather(key.chroma, x, y)
        # What the keyframe itself was unsure of (a model's proposal) stays unsure.
        sure_of_key = 1.0 if key.certainty is None else _gather(key.certainty, x, y)
        x, y = self._full(positions)
        carried = _gather(track.chroma, x, y)
        # Carried colour is only kept where motion explains the pixel: consistent flow, and the same
        # content (luminance) where the flow says it came from. A background that a mover uncovers
        # fails this, so it does not inherit the mover's colour.
        same = self._photometric(current.small, previous.small, positions)
        moved = self._upsample(consistent * same)
        kept = cv2.remap(track.confidence, x, y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0.0)
        kept *= moved * CARRY_DECAY
        holding = cv2.remap(track.persistence, x, y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0.0)
        holding *= moved
        del x, y, moved
        # The fill only serves unsure pixels, whose colour is smooth anyway: run it at the working scale.
        small_sampled = cv2.resize(sampled, (w, h), interpolation=cv2.INTER_AREA)
        small_similar, gathered = bilateral_fill(
            current.small.astype(np.float32) / 255.0,
            small_sampled,
            sure_small,
            self.fill_sigma * w / self.width,
            s.fill_similarity,
        )
        small_found = np.clip(gathered / 0.05, 0.0, 1.0)
        small_take = small_found
        needed = (sure_small < 0.5) & (small_found < 0.5)
        if key.matcher is not None and needed.any():
            # Beyond the reach of sure neighbours, the keyframe's own colour for such texture.
            textured, _ = key.matcher.chroma(srgb_decode(current.small.astype(np.float32) / 255.0), needed)
            small_similar = _mix(textured, small_similar, small_found)
            small_take = np.ones_like(small_found)
        similar = cv2.resize(small_similar, (self.width, self.height), interpolation=cv2.INTER_LINEAR)
        take = self._upsample(small_take)
        # An unsure region follows its carried colour while it stays in view, renewing it only
        # slowly from the fresh colour: filled colour recomputed every frame shimmers, and a first
        # guess kept for ever locks in its mistakes (a mover's colour left on what it uncovered).
        # Elsewhere average the fresh colour with the motion-carried one: two imperfect guesses
        # with partly independent errors beat either alone, and the average settles steadily.
        np.maximum(kept, holding, out=holding)
        holding *= 0.5 - RENEWAL
        np.subtract(0.5, holding, out=holding)
        holding *= take
        guess = _mix(carried, similar, holding)
        del carried, holding
        sure = self._upsample(sure_small)
        chroma = _mix(guess, sampled, sure)
        confidence = sure * sure_of_key + (1.0 - sure) * kept
        # A pixel that was given a fresh colour holds it from now on, renewing it slowly (above).
        persistence = sure + (1.0 - sure) * np.maximum(kept, take)
        return Track(track.key, coords, reach.astype(np.float32), chroma.astype(np.float32), confidence, persistence)

    def _register(self, coords: np.ndarray, current: Plate, key: Keyframe) -> np.ndarray:
        """Correct the drift a chain of flows accumulates: align the keyframe plate, as the map sees
        it, to the current plate with one more (small) flow, and move the map by that residual."""
        h, w = coords.shape[:2]
        seen = np.clip(warp(key.plate.small.astype(np.float32), coords) + 0.5, 0, 255).astype(np.uint8)
        residual = np.clip(self.flow(current.small, seen), -DRIFT_LIMIT, DRIFT_LIMIT)
        return warp(coords, identity_grid(h, w) + residual, border_value=-1.0)

    def _verify(
        self, coords: np.ndarray, reach: np.ndarray, sure: np.ndarray, still: np.ndarray, current: Plate, key: Keyframe
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Weigh other hypotheses of where each pixel lies in the keyframe against the tracked one,
        by the patch test: the identity (where nothing moves: a locked-off camera, static things
        a chain of flows lets drift), and the few dominant motions of the sure pixels (the camera
        over planes, rigid movers). A hypothesis replaces the tracked position where its evidence
        is stronger -> (coords, reach, sure). The identity has no wider motion to support it, so
        it must show structure; a dominant motion may also re-acquire flat regions."""
        h, w = coords.shape[:2]
        grid = identity_grid(h, w)
        here = _window(current.small.astype(np.float32) / 255.0)  # the same for every hypothesis
        keyframe = key.plate.small.astype(np.float32)

        def weigh(candidate: np.ndarray, prior: np.ndarray | float = 1.0, allow_flat: bool = True) -> None:
            nonlocal coords, reach, sure
            seen = _window(warp(keyframe, candidate) / 255.0)
            score = _agreement(here, seen, allow_flat) * inside(candidate, h, w) * prior
            if not allow_flat:  # chance correlations pass alone; a true match passes with its neighbours
                score = np.minimum(score, _box(score))
            better = score > sure
            coords = np.where(better[..., None], candidate, coords)
            reach = np.where(better, np.maximum(reach, score), reach)
            sure = np.maximum(sure, score)

        weigh(grid, still, allow_flat=False)
        every = np.s_[::MOTION_STEP, ::MOTION_STEP]
        sampled = sure[every] > 0.8  # only well-tracked pixels vote for the motions
        points, targets = grid[every][sampled], coords[every][sampled]
        thin = max(1, -(-len(points) // MOTION_POINTS))  # RANSAC's time grows with the points: keep a fixed share
        for model in dominant_motions(points[::thin], targets[::thin], MOTIONS):
            weigh(cv2.perspectiveTransform(grid.reshape(-1, 1, 2), model).reshape(h, w, 2).astype(np.float32))
        return coords, reach, sure

    def _photometric(self, current: np.ndarray, key_small: np.ndarray, coords: np.ndarray) -> np.ndarray:
        seen = warp(key_small.astype(np.float32), coords) / 255.0
        diff = cv2.GaussianBlur(np.abs(current.astype(np.float32) / 255.0 - seen), (0, 0), 1.0)
        return np.exp(-((diff / self.settings.match_tolerance) ** 2)).astype(np.float32)

    def _upsample(self, small: np.ndarray) -> np.ndarray:
        return np.clip(cv2.resize(small, (self.width, self.height), interpolation=cv2.INTER_LINEAR), 0.0, 1.0)

    def _full(self, small_coords: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Working-scale absolute coordinates (h, w, 2) -> full-size x and y maps (H, W)."""
        h, w = small_coords.shape[:2]
        coords = cv2.resize(small_coords, (self.width, self.height), interpolation=cv2.INTER_LINEAR)
        # Working-scale pixel centres map to full-size centres: x_full = (x + 0.5) * s - 0.5.
        x = (coords[..., 0] + 0.5) * (self.width / w) - 0.5
        y = (coords[..., 1] + 0.5) * (self.height / h) - 0.5
        return x, y


def patch_agreement(here: np.ndarray, seen: np.ndarray, allow_flat: bool = True) -> np.ndarray:
    """(H, W) float32 in [0, 1]: how surely each pixel of ``here`` is the same content as ``seen``
    (both (H, W) sRGB-encoded luminance in [0, 1]), judged on the window around it.

    Strict by design, since a pass moves a pixel: the windows must agree in level (mean absolute
    difference well under ``PATCH_DIFFERENCE``) and in structure (correlation above
    ``PATCH_CORRELATION``), except where both are flat and only the level can be compared
    (unless ``allow_flat`` is False: a hypothesis no wider motion supports needs structure). Both
    images are first smoothed a little so that film grain, which no two frames share, does not
    fail the test on its own.
    """
    return _agreement(_window(here), _window(seen), allow_flat)


@dataclass(frozen=True)
class _Window:
    """One image as the patch test sees it: lightly smoothed, with its window means and variances."""

    smooth: np.ndarray
    mean: np.ndarray
    variance: np.ndarray


def _box(image: np.ndarray) -> np.ndarray:
    """Mean over the patch test's window around each pixel."""
    size = (2 * PATCH_RADIUS + 1, 2 * PATCH_RADIUS + 1)
    return cv2.boxFilter(image, -1, size, borderType=cv2.BORDER_REFLECT)


def _window(image: np.ndarray) -> _Window:
    smooth = cv2.GaussianBlur(image, (0, 0), 1.0)
    mean = _box(smooth)
    return _Window(smooth, mean, np.maximum(_box(smooth * smooth) - mean * mean, 0.0))


def _agreement(here: _Window, seen: _Window, allow_flat: bool) -> np.ndarray:
    """:func:`patch_agreement` of two prepared windows (one side is often tested against many)."""
    correlation = (_box(here.smooth * seen.smooth) - here.mean * seen.mean) / np.sqrt(
        np.maximum(here.variance, PATCH_FLAT) * np.maximum(seen.variance, PATCH_FLAT)
    )
    difference = _box(np.abs(here.smooth - seen.smooth))
    flat = (here.variance < PATCH_FLAT) & (seen.variance < PATCH_FLAT)
    agrees = (difference < PATCH_DIFFERENCE) & ((flat & allow_flat) | (correlation > PATCH_CORRELATION))
    return np.where(agrees, np.exp(-((difference / PATCH_DIFFERENCE) ** 2)), 0.0).astype(np.float32)


def _gather(image: np.ndarray, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """``image`` sampled bilinearly at positions ``xs``, ``ys`` (H, W), edges repeated."""
    return cv2.remap(image, xs, ys, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def _mix(a: np.ndarray, b: np.ndarray, t: np.ndarray | float) -> np.ndarray:
    """(1 - t) * a + t * b for (H, W, C) images and a (H, W) or scalar weight, written into ``b``."""
    b -= a
    b *= t[..., None] if isinstance(t, np.ndarray) else t
    b += a
    return b


def blend(estimates: list[tuple[np.ndarray, np.ndarray, float]]) -> tuple[np.ndarray, np.ndarray]:
    """Join (chroma, confidence, temporal weight) estimates of one frame -> (chroma, confidence)."""
    num = np.zeros_like(estimates[0][0])
    den = np.zeros_like(estimates[0][1])
    doubt = np.ones_like(estimates[0][1])
    for chroma, confidence, weight in estimates:
        w = confidence * weight + 1e-6
        num += chroma * w[..., None]
        den += w
        doubt *= 1.0 - confidence
    return (num / den[..., None]).astype(np.float32), (1.0 - doubt).astype(np.float32)
