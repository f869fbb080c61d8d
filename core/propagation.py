"""Keyframe colour propagation: track every pixel back to a keyframe, then blend, fill and refine.

The method (designed for steadiness and sharpness, not just plausibility):

1. **Track, don't chain colour.** Walking away from a keyframe frame by frame, we chain the *map*
   ``coords[y, x]`` = where this pixel was in the keyframe, through DIS flow. Coordinates are smooth,
   so re-sampling them each frame costs no sharpness; the colour is sampled once, from the crisp
   keyframe chroma. (Chaining the colour itself, the usual baseline, blurs a little more every frame.)
   Every other step also registers the keyframe plate, seen through the map, to the current plate,
   so the small errors of a long chain of flows do not add up to drift.
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

All tracking, and the colour a walk carries from frame to frame, runs at a working scale (long
side <= ``flow_resolution``); each finished frame samples the keyframe's colour at full resolution
(:meth:`Propagator.colour`). Arrays: luminance (H, W) float32 scene-linear; chroma ratios (H, W, 3) float32
(see :mod:`tinct.core.chroma`); confidence (H, W) float32 in [0, 1]. The per-pixel work runs on a
:class:`~tinct.core.pixels.Pixels` backend (OpenCV, or torch on a GPU): keyframes and tracks hold
its arrays; plates, motions and what the caller is given are host arrays.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import cv2
import numpy as np

from tinct.core.flow import FlowEstimator, Motion, dominant_motions, flow_guide, inside, srgb_decode
from tinct.core.guided import bilateral_fill
from tinct.core.half import from_half, to_half
from tinct.core.pixels import OPENCV, Array, Pixels, join_channels

# Per step, how much a carried (not re-sampled) estimate is still trusted.
CARRY_DECAY = 0.9
# Per step, the share of an unsure region's held colour renewed from fresh evidence.
RENEWAL = 0.15
# Largest drift correction, in working-scale pixels: drift is slow; a larger residual is a flow
# mistake (e.g. on an occluder), not drift. The correction (a flow of its own, a quarter of a step's
# time) runs on every other step: drift grows by a fraction of a pixel a step, and the patch test
# that re-acquires lost pixels runs on every step.
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
    """One source frame prepared for tracking: its luminance and its working-scale guide."""

    luminance: np.ndarray  # (H, W) float32 scene-linear luminance (the source frame's own array)
    small: np.ndarray  # (h, w) uint8 working-scale guide for flow


@dataclass
class Track:
    """One walking direction from one keyframe: where pixels lie in the keyframe, and the colour so far.

    Everything a walk carries from frame to frame is at the working scale; only a frame's finished
    colour (:meth:`Propagator.colour`) is made at full size, where the keyframe's crisp colour is
    sampled.
    """

    key: int
    coords: Array  # (h, w, 2) float32 working-scale keyframe coordinates
    reach: Array  # (h, w) float32 in [0, 1]: followed from the keyframe without occlusion
    # (h, w, 4) float32: this direction's chroma estimate (3) and how surely it came from the
    # keyframe (1, in [0, 1]). Packed, as they move together: four channels are OpenCV's fast warp.
    colour: Array
    persistence: Array  # (h, w) float32 in [0, 1]: how much of this estimate the next frame keeps
    # (h, w, 4) the colour of what the keyframe does not give (carried or filled), and (h, w) how
    # much of each pixel the keyframe gives; None at the keyframe itself.
    guess: Array | None = None
    sure: Array | None = None
    # (h, w, 3) the keyframe's texture matcher's colour of this frame, when the matcher ran for it
    # (the next frame carries it instead of running the matcher again); None otherwise.
    matched: Array | None = None
    # Whether this step corrected the map's drift (steps take turns; the first after the keyframe does).
    corrected: bool = False


class TextureMatcher(Protocol):
    """Colour for content no tracking reaches, by texture correspondence (see :mod:`tinct.core.reference`)."""

    def chroma(
        self, luminance_plane: np.ndarray, needed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]: ...


@dataclass
class Keyframe:
    frame: int
    # (H, W, 4): the chroma ratio aligned to the source plate of this frame (3), and how sure that
    # colour is (1: painted; a model's proposal: its certainty).
    colour: Array
    small_colour: Array  # (h, w, 4) the same at the working scale, the fill's evidence
    plate: Plate
    # The keyframe's working-scale guide as the patch test sees it: every step tests the identity
    # hypothesis (nothing moved) against it.
    window: _Window
    # Colours unseen content from the keyframe's own textures; None: continue the carried colour.
    matcher: TextureMatcher | None = None


@dataclass(frozen=True)
class Unfinished:
    """One pass's estimate of a frame at the working scale, on the host: what a frame's two
    estimates are joined from (:meth:`Propagator.join`) before any keyframe is sampled at full size."""

    # (h, w, 5) float32: the guess's chroma (3), how much of each pixel the keyframe gives (1), and
    # how sure the estimate is (1).
    parts: np.ndarray
    coords: np.ndarray  # (h, w, 2) float32 working-scale keyframe coordinates


class Propagator:
    """Stateless per call, except for its flow estimator (not thread-safe: one per worker)."""

    def __init__(self, settings: PropagationSettings, height: int, width: int, pixels: Pixels = OPENCV) -> None:
        self.settings = settings
        self.pixels = pixels
        self.height, self.width = height, width
        self.flow = FlowEstimator(settings.flow_quality, settings.flow_resolution)
        scale = self.flow.scale_for(height, width)
        self.small_size = (max(8, round(width * scale)), max(8, round(height * scale)))  # (w, h)
        self.fill_sigma = max(2.0, settings.fill_radius * width / 1920)

    # -- preparation -------------------------------------------------------------------------
    def plate(self, luminance: np.ndarray) -> Plate:
        # Averaged to the working scale in linear light, then encoded: a quarter of the pixels to encode.
        small = cv2.resize(luminance, self.small_size, interpolation=cv2.INTER_AREA)
        return Plate(luminance=luminance, small=flow_guide(small))

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
        plate_guide = flow_guide(plate.luminance)
        level, spread = plate_guide.mean(), plate_guide.std()
        matched = (key_guide - key_guide.mean()) / (key_guide.std() + 1e-6) * spread + level
        matched = np.clip(matched + 0.5, 0, 255).astype(np.uint8)
        flow = self.flow(plate_guide, matched)
        px = self.pixels
        coords = px.grid(self.height, self.width) + px.upload(flow)
        sure = np.ones(key_chroma.shape[:2], np.float32) if certainty is None else certainty.astype(np.float32)
        colour = px.remap(
            px.upload(join_channels([key_chroma.astype(np.float32, copy=False), sure[..., None]])), coords, border=None
        )
        return Keyframe(
            frame=frame,
            colour=colour,
            small_colour=px.resize(colour, self.small_size, area=True),
            plate=plate,
            window=_window(px, px.float32(px.upload(plate.small)) / 255.0),
            matcher=matcher,
        )

    def start(self, key: Keyframe) -> Track:
        h, w = key.plate.small.shape
        px = self.pixels
        return Track(
            key=key.frame,
            coords=px.grid(h, w),
            reach=px.ones((h, w)),
            colour=key.small_colour,
            persistence=px.ones((h, w)),
        )

    def colour(self, track: Track, key: Keyframe) -> Array:
        """A frame's finished colour, (H, W, 4) chroma and confidence: the keyframe's colour sampled
        at full size through the track, over the working-scale colour of what it does not give."""
        if track.guess is None or track.sure is None:
            return key.colour
        px = self.pixels
        sampled = self._sampled(key, track.coords)  # with how sure the keyframe was
        # The confidence: sure * the keyframe's certainty + (1 - sure) * the guess's.
        return px.mix(self._enlarge(track.guess), sampled, self._upsample(track.sure))  # into sampled

    def unfinished(self, track: Track) -> Unfinished:
        """A track's estimate of its frame, at the working scale, on the host (not of a keyframe's own track)."""
        if track.guess is None or track.sure is None:
            raise ValueError("a keyframe's own track is finished by Propagator.colour")
        px = self.pixels
        parts = px.concatenate([track.guess[..., :3], track.sure[..., None], track.colour[..., 3:]], axis=-1)
        return Unfinished(px.download(parts), px.download(track.coords))

    def join(self, first: tuple[Unfinished, Keyframe, float], second: tuple[Unfinished, Keyframe, float]) -> Array:
        """A frame's finished colour, (H, W, 4) chroma and confidence, from two estimates of it (each
        with its keyframe and temporal weight).

        The colour is the mean of the two estimates weighed by confidence times temporal weight, and
        the confidence is the chance that either is right. Each estimate is ``(1 - sure) * guess +
        sure * keyframe colour``; the guesses and every weight are smooth and joined at the working
        scale, and only the two keyframes' colours are sampled and joined at full size.
        """
        px = self.pixels
        (a, key_a, weight_a), (b, key_b, weight_b) = first, second
        parts_a, parts_b = px.upload(a.parts), px.upload(b.parts)
        confidence_a, confidence_b = parts_a[..., 4], parts_b[..., 4]
        # Each estimate's say in the join, split into what its keyframe gives and what its guess gives.
        say_a = confidence_a * np.float32(weight_a) + np.float32(1e-6)
        say_b = confidence_b * np.float32(weight_b) + np.float32(1e-6)
        keyed_a, keyed_b = say_a * parts_a[..., 3], say_b * parts_b[..., 3]
        guessed_a, guessed_b = say_a - keyed_a, say_b - keyed_b
        guessed = guessed_a + guessed_b
        guess = px.mix(parts_a[..., :3], px.contiguous(parts_b[..., :3]), guessed_b / guessed.clip(min=1e-12))
        either = confidence_a + confidence_b - confidence_a * confidence_b
        smooth = self._enlarge(px.concatenate([guess, either[..., None]], axis=-1))
        keyed = keyed_a + keyed_b
        sampled_a, sampled_b = self._sampled(key_a, px.upload(a.coords)), self._sampled(key_b, px.upload(b.coords))
        sampled = px.mix(sampled_a, sampled_b, self._upsample(keyed_b / keyed.clip(min=1e-12)))  # into sampled_b
        joined = px.mix(smooth, sampled, self._upsample(keyed / (keyed + guessed)))  # into sampled
        joined[..., 3] = smooth[..., 3]
        return joined

    # -- tracking ------------------------------------------------------------------------------
    def motion(self, previous: Plate, current: Plate) -> Motion:
        """Flow both ways between two consecutive plates, the current one the target, in half-float
        precision: one pass re-uses the motion another pass computed and gets the same pixels."""

        def half(flow: np.ndarray) -> np.ndarray:
            return from_half(to_half(flow))

        return Motion(half(self.flow(current.small, previous.small)), half(self.flow(previous.small, current.small)))

    def step(self, track: Track, previous: Plate, current: Plate, key: Keyframe, motion: Motion | None = None) -> Track:
        """Advance a track from the previous frame (in walking order) to the current one; ``motion``
        between them when already known (else it is computed).

        Each pixel's colour comes, in order of preference, from the keyframe through its tracked
        coordinates (crisp); from this direction's previous estimate carried by the flow, while
        that estimate stays reliable; from sure neighbours of similar luminance (disocclusions);
        and last from the carried colour alone (content entering the frame continues its border).
        """
        s, px = self.settings, self.pixels
        motion = motion or self.motion(previous, current)
        to_prev = px.upload(motion.to_reference)
        consistent = px.upload(motion.consistency(s.occlusion_tolerance))
        # The working-scale guides (uint8, 0-255) go to the device as they are, a quarter of float32's bytes.
        here, there, keyframe = (px.float32(px.upload(p.small)) for p in (current, previous, key.plate))
        h, w = current.small.shape
        positions = px.grid(h, w) + to_prev
        chained = _warp(px, track.coords, positions, border=-1.0)
        corrected = not track.corrected
        coords = self._register(chained, current, keyframe) if corrected else chained
        # Where this step saw no motion, the identity is a fair hypothesis (static content).
        still = (2.0 - px.norm(to_prev) / STILL_MOTION).clip(0.0, 1.0)
        reach = _warp(px, track.reach, positions) * consistent * inside(positions, h, w) * inside(coords, h, w)
        sure = reach * self._photometric(here, keyframe, coords)
        coords, reach, sure = self._verify(coords, reach, sure, still, here, keyframe, key.window)

        # Each colour carries its confidence as a fourth channel: mixing colours mixes confidences alike.
        carried = px.remap(track.colour, positions, border=None)
        # Carried colour is only kept where motion explains the pixel: consistent flow, and the same
        # content (luminance) where the flow says it came from. A background that a mover uncovers
        # fails this, so it does not inherit the mover's colour.
        moved = (consistent * self._photometric(here, there, positions)).clip(0.0, 1.0)
        kept = carried[..., 3] * moved
        kept *= CARRY_DECAY
        holding = px.remap(track.persistence, positions)
        holding *= moved
        sampled = px.remap(key.small_colour, coords, border=None)
        filled, gathered = bilateral_fill(
            here / 255.0, sampled[..., :3], sure, self.fill_sigma * w / self.width, s.fill_similarity, px
        )
        found = (gathered / 0.05).clip(0.0, 1.0)
        needed = (sure < 0.5) & (found < 0.5)
        matched = key.matcher is not None and bool(needed.any())
        fresh = None
        if matched:
            # Beyond the reach of sure neighbours, the keyframe's own colour for such texture: the
            # matcher's, every other frame; in between, the last frame's carried by the motion
            # (smooth colour of slowly renewed regions, it changes little in a frame).
            if track.matched is not None:
                textured = px.remap(track.matched, positions, border=None)
            else:
                luminance = srgb_decode(current.small.astype(np.float32) / 255.0)
                textured = fresh = px.upload(key.matcher.chroma(luminance, px.download(needed))[0])
            filled = px.mix(textured, filled, found)
        # How much of the fresh colour each pixel takes (where the matcher ran, all of it) rides in
        # the fresh colour's fourth channel: four, as the carried colour it is mixed with.
        take = px.ones_like(found) if matched else found
        similar = px.concatenate([filled, take[..., None]], axis=-1)
        # An unsure region follows its carried colour while it stays in view, renewing it only
        # slowly from the fresh colour: filled colour recomputed every frame shimmers, and a first
        # guess kept for ever locks in its mistakes (a mover's colour left on what it uncovered).
        # Elsewhere average the fresh colour with the motion-carried one: two imperfect guesses
        # with partly independent errors beat either alone, and the average settles steadily.
        px.maximum(kept, holding, out=holding)
        holding = (0.5 - (0.5 - RENEWAL) * holding) * take
        # A pixel that was given a fresh colour holds it from now on, renewing it slowly (above).
        persistence = px.maximum(kept, take)
        guess = px.mix(carried, similar, holding)  # into similar
        guess[..., 3] = kept  # the fresh colour is not sure of itself
        colour = px.mix(guess, sampled, sure)  # into sampled
        persistence = persistence * (1.0 - sure) + sure
        return Track(track.key, coords, reach, colour, persistence, guess, sure, fresh, corrected)

    def _register(self, coords: Array, current: Plate, keyframe: Array) -> Array:
        """Correct the drift a chain of flows accumulates: align the keyframe plate (its working-scale
        guide ``keyframe``), as the map sees it, to the current plate with one more (small) flow, and
        move the map by that residual."""
        px = self.pixels
        h, w = coords.shape[:2]
        seen = px.download((_warp(px, keyframe, coords) + 0.5).clip(0, 255)).astype(np.uint8)
        residual = np.clip(self.flow(current.small, seen), -DRIFT_LIMIT, DRIFT_LIMIT)
        return _warp(px, coords, px.grid(h, w) + px.upload(residual), border=-1.0)

    def _verify(
        self,
        coords: Array,
        reach: Array,
        sure: Array,
        still: Array,
        current: Array,
        keyframe: Array,
        key_window: _Window,
    ) -> tuple[Array, Array, Array]:
        """Weigh other hypotheses of where each pixel lies in the keyframe against the tracked one,
        by the patch test: the identity (where nothing moves: a locked-off camera, static things
        a chain of flows lets drift), and the few dominant motions of the sure pixels (the camera
        over planes, rigid movers). A hypothesis replaces the tracked position where its evidence
        is stronger -> (coords, reach, sure). The identity has no wider motion to support it, so
        it must show structure; a dominant motion may also re-acquire flat regions. ``current``
        and ``keyframe`` are the working-scale guides (0-255) of this frame and the keyframe, whose
        window (``key_window``) the identity is tested on."""
        px = self.pixels
        h, w = coords.shape[:2]
        grid = px.grid(h, w)
        here = _window(px, current / 255.0)  # the same for every hypothesis

        def weigh(
            candidate: Array, prior: Array | float = 1.0, allow_flat: bool = True, seen: _Window | None = None
        ) -> None:
            nonlocal coords, reach, sure
            seen = seen if seen is not None else _window(px, _warp(px, keyframe, candidate) / 255.0)
            score = _agreement(px, here, seen, allow_flat) * inside(candidate, h, w) * prior
            if not allow_flat:  # chance correlations pass alone; a true match passes with its neighbours
                score = px.minimum(score, _box(px, score))
            better = score > sure
            coords = px.where(better[..., None], candidate, coords)
            reach = px.where(better, px.maximum(reach, score), reach)
            sure = px.maximum(sure, score)

        weigh(grid, still, allow_flat=False, seen=key_window)  # the keyframe seen through the identity
        every = np.s_[::MOTION_STEP, ::MOTION_STEP]
        sampled = sure[every] > 0.8  # only well-tracked pixels vote for the motions
        points, targets = px.download(grid[every][sampled]), px.download(coords[every][sampled])
        thin = max(1, -(-len(points) // MOTION_POINTS))  # RANSAC's time grows with the points: keep a fixed share
        for model in dominant_motions(points[::thin], targets[::thin], MOTIONS):
            weigh(px.perspective(grid, model))
        return coords, reach, sure

    def _photometric(self, current: Array, key_small: Array, coords: Array) -> Array:
        px = self.pixels
        seen = _warp(px, key_small, coords) / 255.0
        diff = px.gaussian(abs(current / 255.0 - seen), 1.0)
        return px.exp(-((diff / self.settings.match_tolerance) ** 2))

    def _upsample(self, small: Array) -> Array:
        return self._enlarge(small).clip(0.0, 1.0)

    def _enlarge(self, small: Array) -> Array:
        return self.pixels.resize(small, (self.width, self.height))

    def _sampled(self, key: Keyframe, coords: Array) -> Array:
        """The keyframe's (H, W, 4) colour sampled at full size through working-scale keyframe coordinates."""
        return self.pixels.remap(key.colour, self._full(coords), border=None)

    def _full(self, small_coords: Array) -> Array:
        """Working-scale absolute coordinates (h, w, 2) -> full-size ones (H, W, 2)."""
        h, w = small_coords.shape[:2]
        # Working-scale pixel centres map to full-size centres: x_full = (x + 0.5) * s - 0.5, applied
        # before the (linear) enlargement, on a quarter of the pixels.
        sx, sy = self.width / w, self.height / h
        scale = np.array([[sx, 0.0, 0.5 * sx - 0.5], [0.0, sy, 0.5 * sy - 0.5], [0.0, 0.0, 1.0]])
        return self.pixels.resize(self.pixels.perspective(small_coords, scale), (self.width, self.height))


def patch_agreement(here: Array, seen: Array, allow_flat: bool = True, pixels: Pixels = OPENCV) -> Array:
    """(H, W) float32 in [0, 1]: how surely each pixel of ``here`` is the same content as ``seen``
    (both (H, W) sRGB-encoded luminance in [0, 1]), judged on the window around it.

    Strict by design, since a pass moves a pixel: the windows must agree in level (mean absolute
    difference well under ``PATCH_DIFFERENCE``) and in structure (correlation above
    ``PATCH_CORRELATION``), except where both are flat and only the level can be compared
    (unless ``allow_flat`` is False: a hypothesis no wider motion supports needs structure). Both
    images are first smoothed a little so that film grain, which no two frames share, does not
    fail the test on its own.
    """
    return _agreement(pixels, _window(pixels, here), _window(pixels, seen), allow_flat)


@dataclass(frozen=True)
class _Window:
    """One image as the patch test sees it: lightly smoothed, with its window means and variances."""

    smooth: Array
    mean: Array
    variance: Array


def _box(px: Pixels, image: Array) -> Array:
    """Mean over the patch test's window around each pixel."""
    return px.box(image, 2 * PATCH_RADIUS + 1)


def _window(px: Pixels, image: Array) -> _Window:
    smooth = px.gaussian(image, 1.0)
    mean = _box(px, smooth)
    return _Window(smooth, mean, (_box(px, smooth * smooth) - mean * mean).clip(min=0.0))


def _agreement(px: Pixels, here: _Window, seen: _Window, allow_flat: bool) -> Array:
    """:func:`patch_agreement` of two prepared windows (one side is often tested against many)."""
    correlation = (_box(px, here.smooth * seen.smooth) - here.mean * seen.mean) / px.sqrt(
        here.variance.clip(min=PATCH_FLAT) * seen.variance.clip(min=PATCH_FLAT)
    )
    difference = _box(px, abs(here.smooth - seen.smooth))
    flat = (here.variance < PATCH_FLAT) & (seen.variance < PATCH_FLAT)
    agrees = (difference < PATCH_DIFFERENCE) & ((flat & allow_flat) | (correlation > PATCH_CORRELATION))
    return px.where(agrees, px.exp(-((difference / PATCH_DIFFERENCE) ** 2)), 0.0)


def _warp(px: Pixels, image: Array, coords: Array, border: float = 0.0) -> Array:
    """Gather ``image`` at absolute coordinates (h, w, 2); outside samples take ``border``."""
    return px.remap(image, coords, border)
