"""Dust and dirt: one-frame specks and blotches, found by temporal evidence and repaired from neighbours.

**Detect.** A speck is in this frame and in none of its neighbours: after motion compensation, the
pixel is darker (or brighter) than *every* pixel of the 3x3 neighbourhood around its match in each
of the two frames before *and* the two after, by more than the grain explains (a rank-order spike
detector, after Kokaram). The 3x3 neighbourhood forgives a pixel of misregistration; both
directions keep occlusions (content missing on one side only) from passing for dust; two frames
a side keep a neighbour's own speck from faking one here. The test also runs on blurred frames,
which sees faint blotches through the grain. Strong spikes seed the mask and it grows into weaker
neighbouring ones (hysteresis), so a blotch is taken whole. A speck too faint for the extremes
test (darker than *every* one of 36 grainy samples) is still darker than the *mean* of the
witnesses, and blurring calms the grain of that difference: on the frames blurred by a pixel, a
pixel standing out of the witnesses' mean by FAINT times the spike threshold (in grain deviations,
scaled to the difference's robust spread) seeds one too, where every witness agrees it is darker,
the witnesses agree with each other (a mover the motion missed shows something different in
each), the picture around is not an edge, the witnesses stand on both sides with reliable motion,
and no scratch was taken out there (the neighbours hold it too: a repair would put it back).

Motion inside a blotch is garbage (nothing in the neighbours looks like it), so where the flow
fails its forward/backward check the motion of the surroundings stands in ("bridged" warps). Then
two checks keep real motion from being smeared: the frame's own motion must not have found the
content in a neighbour, and the ring just outside every defect must match its witnesses to within
the grain (around dust the motion is right; where motion estimation failed, the mismatch spreads),
the best two of them where there are witnesses on both sides (a mover's ring may match one by
chance).
At a scene cut or the ends of a shot only one side has neighbours: the two there must agree, with
a stricter threshold, and only where their motion is reliable (or where it failed with no mover
near, on flat picture). Last, content that moved where the flow lost it (a thrown ball, a swinging
tail, the rim of a cup lifted fast) is still *somewhere near* in the nearest witnesses (the larger
it is, the farther it may have gone), whereas dust is in no other frame: a defect whose pixels a
witness shows a little way off, with its surroundings, is picture, not dust (unless a witness
shows it at the very same place of the film: a scratch the dust test also sees). A kept defect
takes in its soft edge: the pixels beside it that stand out of the witnesses' mean its way by a
good share of its own difference, where the witnesses agree (in texture, the extremes test misses
them), and its gaps of a pixel are closed (where grain or texture let a pixel of a speck match its
witnesses, the per-pixel tests leave a pinhole or a slit that the repair would leave mostly
unrepaired).

**Repair.** Inside the matte, the frame's pixel is replaced by the median of its motion-compensated
neighbours through motion filled in from around the defect, so a neighbour's own dust at that spot
does not come back.

Arrays: (H, W) float32 signals (sqrt luminance); mattes (H, W) float32 in [0, 1]. The detection's
filters run on a :class:`~tinct.core.pixels.Pixels` backend; the connected defects and the mattes
are found on the host.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable
from dataclasses import dataclass, field

import cv2
import numpy as np

from tinct.core.guided import push_pull_fill
from tinct.core.pixels import OPENCV, Array, Pixels
from tinct.core.restore.denoise import patch_distance, robust_sigma
from tinct.core.restore.frames import nonzero

_SQUARE = np.ones((3, 3), np.uint8)
_CROSS = cv2.getStructuringElement(cv2.MORPH_CROSS, (3, 3))
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
# With witnesses on both sides, the second best of them must explain the ring too (a mover's ring
# matches one witness by chance, dust's all of them), within RING_MISMATCH times the defect's area
# over RING_AREA (at 1080 lines) to the power RING_GROWTH: a large blotch's motion is bridged from
# farther off, and its ring matches looser. (Chosen on sam2_dog, sam2_cups, sam2_blocks,
# vid4_calendar and driving_redtrees of the real-footage benchmark, the other four clips kept out,
# and the power on the speed benchmark's 1080p driving plates: at 0.25 a blotch of 3,000 pixels
# there was left whole.)
RING_AREA = 72
RING_GROWTH = 0.5
# Fewer ring pixels than this that every witness sees (a quarter of a one-pixel speck's ring): the
# surroundings cannot be judged, and the defect is not dust.
RING_SEEN = 8
# Share of the witnesses' local (3x3) contrast added to the threshold.
TEXTURE = 0.05
# Faint specks, on the frames blurred by a pixel: the centre's difference from the witnesses' mean
# must exceed FAINT times the spike threshold in its robust spreads (growing into pixels above half
# of that); every witness's own difference, FAINT_AGREE of it; it, FAINT_SPREAD times the
# witnesses' range and FAINT_EDGE times the mean's local (3x3) contrast. (Chosen on the first 30
# frames of sam2_dog, sam2_cups, sam2_blocks, vid4_calendar and driving_redtrees of the
# real-footage benchmark; the other four clips were kept out.)
FAINT = 2.5
FAINT_AGREE = 0.3
FAINT_SPREAD = 4.0
FAINT_EDGE = 0.5
# A defect's soft edge: a pixel beside it counts where it stands out of the witnesses' mean the
# defect's way by RIM times the spike threshold and by RIM_PEAK of the defect's difference beside
# it, and the witnesses agree (their range below that difference). (Chosen on all nine clips of the
# real-footage benchmark.)
RIM = 0.5
RIM_PEAK = 0.5
# Matte value of the ring of pixels around a detected defect (its soft edge, partly repaired).
EDGE = 0.4
# Moved content: searched for in the nearest witness each side, within SEARCH of the frame height
# (at least SEARCH_MIN search pixels, and MOVED_REACH times the defect's longer side: a mover the
# flow lost moves by a few of its own sizes a frame, and a larger patch matches elsewhere by chance
# far less than a speck's) of where the motion put it, as a patch of the defect and
# CONTEXT pixels of its surroundings (at 1080 lines). Frames of more than COARSE lines are searched
# in means of blocks of pixels (their grain's variance, how much the blocks keep of it, measured on
# about CALM_PIXELS). Mismatches are mean squared differences in two frames' tolerance (grain and
# misregistration): the defect's own pixels' within MOVED_DEFECT and within MOVED_GAIN of theirs
# where the motion put them; the patch's within MOVED_PATCH and within MOVED_DISTINCT of its median
# over the search. A defect fixed to the film is in a witness's own frame at the same pixels within
# FILM_DRIFT (at 1080 lines), its pixels' mismatch within FILM_MATCH. (Chosen on sam2_cups,
# sam2_blocks, sam2_dog and vid4_calendar of the real-footage benchmark.)
SEARCH = 1 / 30
SEARCH_MIN = 8
# (MOVED_REACH chosen on the nine real clips, not held out: 2 gained 0.010 dB on average, dust
# precision 0.950 -> 0.953, recall as it was: the ball thrown in the dog clip, about 200 pixels,
# is no longer taken for dust in frames 21 and 42, +1.4 and +2.3 dB (in frame 41 it flew farther
# still), nor 101 pixels of cups frame 87, +1.0; 3 lost recall, 0.899 -> 0.897; SEARCH 1 / 15
# for every defect gained 0.015 dB for recall 0.894.)
MOVED_REACH = 2.0
COARSE = 540
CALM_PIXELS = 250_000
CONTEXT = 9.0
MOVED_DEFECT = 4.0
MOVED_GAIN = 0.25
MOVED_PATCH = 5.0
MOVED_DISTINCT = 0.5
FILM_DRIFT = 6.0
FILM_MATCH = 4.0
# At a shot's end (witnesses on one side) a spike counts where the witnesses' motion is reliable, or
# unreliable only over a hole that reliable motion encloses (a speck spoils the flow over itself): of
# at most HOLE_AREA pixels (at 1080 lines: a large blotch with the motion it spoils around it), away
# from the frame's edge (where content enters or leaves it), and of which at most HIDDEN_SHARE lands
# in the witness where reliably moving picture of the frame lands too. A mover covers the picture it
# occludes next (a flat bar over texture: 0.47 to 0.85 of its hole); around dust, only flow that the
# speck dragged off does (0.20 to 0.24 on a test blotch).
# Where the flow failed with no such cover within COVERED_REACH pixels (at 1080 lines), off the
# frame's outermost pixels, it counts too: on flat picture (a white table) the flow wanders with
# the grain and fails its check, and no mover hides anything there. (On the real clips' first and
# last frames: the specks of cups' last frame found 16 of 54 pixels -> 33, of driving's first 16
# of 38 -> 32; one more false pixel over the 18 frames.)
HOLE_AREA = 20_000
HIDDEN_SHARE = 1 / 3
COVERED_REACH = 21


@dataclass
class Seen:
    """A neighbour frame motion-compensated onto the current one (arrays of the restorer's pixel backend)."""

    signal: Array  # (H, W) float32 neighbour signal at the current frame's pixels
    valid: Array  # (H, W) float32 in [0, 1]: the motion there is reliable
    # (H, W) float32 the neighbour's own signal, not moved, and its exposure gain onto the current frame
    unwarped: Array
    gain: Array
    # (H, W) float32 the neighbour warped with the unreliable motion replaced by its surroundings'
    # (set for the neighbours that witness dust)
    bridged: Array | None = None
    # (H, W) float32 share in [0, 1] of each pixel that ``signal`` gives as the neighbour is, not
    # warped (a number: the same everywhere); the grain filter holds a warp to a tighter tolerance
    as_is: Array | float = 0.0
    # (H, W) bool: the bridged motion lands inside the neighbour frame (content leaving or
    # entering the frame has no witness)
    inside: Array | bool = True
    # (H, W) bool: where the bridged motion lands on a pixel of the witness that reliably moving
    # picture of the current frame lands on too (:func:`covered`; set at a shot's end)
    covered: Array | bool = False
    # Where the bridged motion sends pixels (ys, xs) of the current frame in the neighbour's own
    # frame: (x, y) host arrays (set for the witnesses)
    locate: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]] | None = None
    _distance: Array | None = field(default=None, repr=False)

    def unbridge(self) -> None:
        """Let the bridged warp and what goes with it go: they serve the dust test alone (at 1080p
        a witness's two planes are 10 MB, and the grain filter after the test holds four witnesses)."""
        self.bridged, self.inside, self.covered, self.locate = None, True, False, None

    def distance(self, centre: Array, pixels: Pixels = OPENCV) -> Array:
        """(H, W) patch distance (:func:`~.denoise.patch_distance`) of ``signal`` to the current frame
        ``centre``, the one it was moved onto; made once (the dust test and the denoiser both ask)."""
        if self._distance is None:
            self._distance = patch_distance(self.signal, centre, pixels)
        return self._distance


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


def detect(
    centre: Array,
    sides: list[list[Seen]],
    sigma: Array,
    strength: float,
    floor: float,
    pixels: Pixels = OPENCV,
    lines: Array | None = None,
) -> np.ndarray:
    """(H, W) bool host mask of one-frame defects of ``centre`` (the arrays are of ``pixels``).

    ``sides`` holds the neighbours before and after the frame (nearest first; the witnesses with
    ``bridged`` set); ``sigma`` is the per-pixel grain std; ``floor`` the smallest signal
    difference that may count as dust; ``lines`` (bool) where line scratches were taken out of the
    frame: what their removal left is no faint speck (a repair from the neighbours, which the
    scratch runs through too, would put the line back).

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
    inside = seen_by_all = functools.reduce(operator.and_, [seen.inside for seen in chosen])
    reliable = functools.reduce(operator.and_, [seen.valid > 0.5 for seen in chosen])
    if factor > 1.0:
        # With witnesses on one side only, an occlusion looks like a spike: trust their motion only,
        # the holes in it that a speck makes, and where it failed with nothing covered near.
        hidden = functools.reduce(operator.or_, [seen.covered for seen in chosen])
        inside = inside & (reliable | pixels.upload(_trusted(reliable, hidden, pixels)))
    explained = limit * sigma + floor  # what grain and misregistration explain, at level 0
    found = _spiking(centre, references, sigma, explained, inside, reliable, factor, limit, pixels, lines)
    if not found.any():
        return np.zeros(centre.shape, bool)
    variance = sigma * sigma
    unreliable = ~reliable
    if (found & unreliable).any():
        # Where the motion is unsure, the frame's own motion must have failed to find the content
        # in the witnesses (a fast mover whose flow fails the forward/backward check is still
        # found in a neighbour).
        alike = 3.0 * variance + 0.25 * floor * floor
        matched = functools.reduce(operator.or_, [seen.distance(centre, pixels) < alike for seen in chosen])
        found &= ~(unreliable & matched)
    # What a witness's pixel may differ by: the grain, and half the floor for misregistration.
    tolerance = variance + (0.5 * floor) ** 2
    # The connected defects, labelled once for the checks of each as a whole below.
    found = pixels.download(found)
    _, labels, boxes, _ = cv2.connectedComponentsWithStats(found.astype(np.uint8), connectivity=8)
    defects = _Defects(found, labels, boxes)
    keep = _well_framed(defects, centre, references, seen_by_all, tolerance, factor, pixels)
    if factor > 1.0:
        # Picture at the frame's edge may have left it (or entered it) by the witnesses' frames,
        # and no witness on the other side shows where it went: not dust.
        keep &= _inside_the_frame(boxes, labels.shape)
    # Content that moved is searched for in the nearest frame each side (it has moved least there).
    nearest = [side[0] for side in sides if side] if factor == 1.0 else chosen
    keep &= ~_moved_content(defects, keep, centre, nearest, chosen, tolerance, pixels)
    found = np.zeros(labels.shape, bool)  # (the kept defects' pixels: a few of the frame's)
    ys, xs = nonzero(defects.mask)
    found[ys, xs] = keep[labels[ys, xs]]
    return taken_whole(found, centre, references, explained, pixels)


def _spiking(
    centre: Array,
    references: list[Array],
    sigma: Array,
    explained: Array,
    inside: Array,
    reliable: Array,
    factor: float,
    limit: float,
    pixels: Pixels,
    lines: Array | None,
) -> Array:
    """(H, W) bool mask (of ``pixels``) of the spikes of ``centre`` against the ``references`` at
    three scales, and of the faint specks (:func:`_faint`), grown into their weak surroundings
    (the test of :func:`detect`, in a function of its own so that its planes are let go before
    the defects are checked: at 1080p they were a frame's peak)."""
    strong = [pixels.mask(centre.shape, False), pixels.mask(centre.shape, False)]
    weak = [pixels.mask(centre.shape, False), pixels.mask(centre.shape, False)]
    # Warping misses fine texture by a share of its local contrast, which is not dust either.
    nearest = references[0]
    texture = TEXTURE * (pixels.dilate(nearest, 3) - pixels.erode(nearest, 3))
    # Level 0: the frames as they are; 1: blurred by a pixel; 2: by about 2.5 pixels, at half size.
    # How much a level calms the frame-to-witness difference of grain: robust spreads on a share
    # of the pixels (about 60,000 of the frame's, four times as many of a level's).
    step = max(1, int(np.sqrt(centre.shape[0] * centre.shape[1] / 60_000)))
    grain = max(_spread(centre, nearest, step, pixels), 1e-6)
    here, seen = centre, references
    faint: list[tuple[Array, Array]] = []
    for level in range(3):
        if level == 1:
            here, seen = pixels.gaussian(here, 1.0), [pixels.gaussian(r, 1.0) for r in seen]
        elif level == 2:
            here = pixels.gaussian(pixels.pyr_down(here), 1.0)
            seen = [pixels.gaussian(pixels.pyr_down(r), 1.0) for r in seen]
        lowest, highest = _extremes(seen, pixels)
        calm = float(np.clip(_spread(here, seen[0], max(1, step // 2), pixels) / grain, 0.1, 1.0)) if level else 1.0
        # Blurring calms the misregistration the floor stands for as much as the grain.
        above = _mark_spikes(
            here, lowest, highest, calm * explained + texture, level == 2, inside, strong, weak, pixels
        )
        if level == 1 and factor == 1.0:
            # Faint specks, with witnesses on both sides (on one, an occlusion's edge passes the
            # test), where every witness's motion is reliable (a speck that faint does not spoil
            # the flow over it; a mover's edge does); also below every witness's neighbourhood
            # once blurred.
            away = inside & reliable
            if lines is not None:
                away &= ~pixels.dilate(lines, 5)
            specks = _faint(here, seen, lowest, highest, sigma, away, limit, step, pixels)
            faint = [(seeds & spiking, grows) for (seeds, grows), spiking in zip(specks, above, strict=True)]
    found = _grow(strong[0], weak[0], pixels) | _grow(strong[1], weak[1], pixels)
    if any(seeds.any() for seeds, _ in faint):
        # (Grown apart from the spikes: a spike's blob in a mover would spread along the faint test's.)
        found |= functools.reduce(operator.or_, [_grow(seeds, grows, pixels) for seeds, grows in faint])
    return found


def _mark_spikes(
    here: Array,
    lowest: Array,
    highest: Array,
    threshold: Array,
    coarsest: bool,
    inside: Array,
    strong: list[Array],
    weak: list[Array],
    pixels: Pixels,
) -> list[Array]:
    """One level of the spike test: mark in ``strong`` the pixels ``inside`` whose dark and bright
    spikes of ``here`` (:func:`_spikes`) pass ``threshold``, and in ``weak`` those past GROW times
    it; at the ``coarsest`` level, strong ones only where already weak. Returns where each spike is
    above zero. (A function of its own so that the level's thresholds go before the faint-speck
    test's planes are made.)"""
    shape = strong[0].shape
    growing = None if coarsest else GROW * threshold
    above = []
    for i, spike in enumerate(_spikes(here, lowest, highest, pixels)):
        if spike.shape != shape:
            spike = pixels.resize(spike, (shape[1], shape[0]))
        if growing is not None:
            strong[i] |= inside & (spike > threshold)
            weak[i] |= spike > growing
        else:
            strong[i] |= inside & (spike > threshold) & weak[i]
        above.append(spike > 0)
    return above


def taken_whole(
    found: np.ndarray, centre: Array, references: list[Array], explained: Array, pixels: Pixels
) -> np.ndarray:
    """``found`` (host bool) grown by a pixel into the defects' soft edges, and its gaps of a pixel
    closed.

    The soft edge: the pixels beside a defect that stand out of the ``references``' mean its way
    (darker or brighter) by RIM of the spike threshold (``explained``, in signal) and by RIM_PEAK
    of the defect's own difference beside them, where the references agree with each other
    (their range is below that difference: a mover's would not). The gaps: the pinholes and
    slits a pixel wide between its pixels (a morphological closing by a 3x3 cross), where grain
    or the picture let a pixel of a speck match its witnesses; the repair's matte would leave
    most of such a pixel as it is.
    """
    if not found.any():
        return found
    ys, xs = nonzero(cv2.dilate(found.view(np.uint8), _SQUARE).astype(bool))
    sample = _sampled(ys, xs, pixels)
    seen = np.stack([sample(r) for r in references])
    difference = seen.mean(axis=0) - sample(centre)  # > 0: darker than the witnesses
    agree = seen.max(axis=0) - seen.min(axis=0) < np.abs(difference)
    limit = RIM * sample(explained)
    # The defect's strongest difference beside each pixel, either way, in the defects' bounding box.
    y0, x0 = ys.min(), xs.min()
    box = (ys.max() - y0 + 1, xs.max() - x0 + 1)
    inside = found[ys, xs]
    grown = found.copy()
    for sign in (1.0, -1.0):
        way = sign * difference
        strongest = np.zeros(box, np.float32)
        strongest[ys - y0, xs - x0] = np.where(inside, np.maximum(way, 0.0), 0.0)
        beside = cv2.dilate(strongest, _SQUARE)[ys - y0, xs - x0]
        soft = ~inside & agree & (beside > 0) & (way > limit) & (way > RIM_PEAK * beside)
        grown[ys[soft], xs[soft]] = True
    return cv2.morphologyEx(grown.view(np.uint8), cv2.MORPH_CLOSE, _CROSS).astype(bool)


def _sampled(ys: np.ndarray, xs: np.ndarray, pixels: Pixels) -> Callable[[Array], np.ndarray]:
    """A frame-sized array of ``pixels`` -> its values at the host pixels (``ys``, ``xs``), on the
    host (the positions uploaded once for every array asked)."""
    at = pixels.upload(ys), pixels.upload(xs)
    return lambda image: pixels.download(image[at])


def _faint(
    centre: Array,
    references: list[Array],
    lowest: Array,
    highest: Array,
    sigma: Array,
    allowed: Array,
    limit: float,
    step: int,
    pixels: Pixels,
) -> list[tuple[Array, Array]]:
    """(seeds, growth) of faint dark and bright specks in blurred frames: where ``centre`` stands
    out of the ``references``' mean (see the module's notes; ``lowest`` and ``highest`` their
    extremes, :func:`_extremes`), in grain deviations ``sigma`` scaled to the difference's robust
    spread; seeds only where ``allowed``; ``step``: the spread's sampling."""
    # (In place where it can be: at 1080p each full-frame temporary costs about a millisecond.)
    picture = references[0] + references[1]  # the witnesses' mean
    for r in references[2:]:
        picture += r
    picture *= 1.0 / len(references)
    # (Each plane let go once read: the dust test's planes are most of a 1080p frame's peak.)
    edge = pixels.dilate(picture, 3)
    edge -= pixels.erode(picture, 3)
    edge *= FAINT_EDGE
    mean = picture  # (in place: the picture is not read again)
    mean -= centre
    size = abs(mean)
    stands = (size > edge) & allowed
    del edge
    apart = highest - lowest
    apart *= FAINT_SPREAD
    stands &= size > apart
    del size, apart
    z = mean / sigma  # (the grain's level follows the picture's)
    z *= 1.0 / max(robust_sigma(pixels.download(z[::step, ::step])), 1e-6)
    mean *= FAINT_AGREE
    # Every witness darker than the centre by a share of the mean difference (or brighter).
    dark, bright = lowest - centre > mean, highest - centre < mean
    seed, grow = FAINT * limit, 0.5 * FAINT * limit
    return [(dark & stands & (z > seed), dark & (z > grow)), (bright & stands & (z < -seed), bright & (z < -grow))]


def _trusted(reliable: Array, hidden: Array | bool, pixels: Pixels) -> np.ndarray:
    """(H, W) bool host mask: the unreliable motion trusted at a shot's end: in holes that
    ``reliable`` motion encloses, of at most ``HOLE_AREA`` pixels (scaled to the frame's height),
    and not a share HIDDEN_SHARE of them ``hidden`` (covered in a witness, :func:`covered`); and
    beyond COVERED_REACH of any hidden pixel, off the frame's outermost pixels."""
    host = pixels.download(reliable)
    count, labels, boxes, _ = cv2.connectedComponentsWithStats((~host).astype(np.uint8), connectivity=8)
    area = boxes[:, 4]
    hole = (area <= HOLE_AREA * (host.shape[0] / 1080.0) ** 2) & _inside_the_frame(boxes, host.shape)
    uncovered = ~host
    uncovered[[0, -1], :] = False
    uncovered[:, [0, -1]] = False
    if not isinstance(hidden, bool):
        hidden = pixels.download(hidden)
        ys, xs = nonzero(hidden & ~host)
        hole &= np.bincount(labels[ys, xs], minlength=count) <= HIDDEN_SHARE * area
        reach = 2 * max(1, round(COVERED_REACH * host.shape[0] / 1080.0)) + 1
        near = cv2.dilate(hidden.view(np.uint8), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (reach, reach)))
        uncovered &= ~near.astype(bool)
    hole[0] = False  # (label 0 is the reliable motion)
    return hole[labels] | uncovered


def _inside_the_frame(boxes: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """(count,) bool: which connected components (``boxes`` of ``cv2.connectedComponentsWithStats``
    on an image of ``shape``) keep off the frame's edge."""
    x, y, w, h = (boxes[:, i] for i in range(4))
    return (x > 0) & (y > 0) & (x + w < shape[1]) & (y + h < shape[0])


def covered(flow: np.ndarray, reliable: np.ndarray, bridged: np.ndarray, doubt: np.ndarray) -> np.ndarray:
    """(h, w) bool: the ``doubt`` pixels whose ``bridged`` motion lands on a witness pixel that the
    ``reliable`` pixels' ``flow`` lands on too (both (h, w, 2) working-scale motions into the
    witness, landings rounded to the nearest pixel): picture that something moving covers there."""
    landed = np.zeros(reliable.shape, bool)
    _, _, y, x = _landings(flow, reliable)
    landed[y, x] = True
    out = np.zeros(reliable.shape, bool)
    ys, xs, y, x = _landings(bridged, doubt > 0)
    out[ys, xs] = landed[y, x]
    return out


def _landings(flow: np.ndarray, where: np.ndarray) -> tuple[np.ndarray, ...]:
    """(ys, xs, y, x): the ``where`` pixels whose (h, w, 2) ``flow`` lands inside the frame, and the
    pixels they land on (rounded to the nearest)."""
    h, w = where.shape
    ys, xs = nonzero(where)
    x = np.rint(xs + flow[ys, xs, 0]).astype(np.int64)
    y = np.rint(ys + flow[ys, xs, 1]).astype(np.int64)
    ok = (x >= 0) & (y >= 0) & (x < w) & (y < h)
    return ys[ok], xs[ok], y[ok], x[ok]


@dataclass(frozen=True)
class _Defects:
    """The connected defects of a frame (host arrays): label 0 is no defect."""

    mask: np.ndarray  # (H, W) bool
    labels: np.ndarray  # (H, W) int32
    boxes: np.ndarray  # (count, 5) int32 x, y, width, height, area of each label


def _well_framed(
    defects: _Defects,
    centre: Array,
    references: list[Array],
    inside: Array | bool,
    variance: Array,
    strictness: float,
    pixels: Pixels,
) -> np.ndarray:
    """(count,) bool: the defects whose surroundings the witnesses explain (``strictness`` > 1 asks more).

    Around a speck of dust the motion is right: just outside it, the frame matches its witnesses
    to within the grain (with witnesses on both sides, the best two of them: a mover's ring matches
    one of them by chance). Where motion estimation failed (an object deforming, a wrong but
    self-consistent flow), the mismatch spreads beyond the "defect": the whole group is dropped.
    Where a defect runs on into pixels no witness holds (``inside``: beside the frame's edge in a
    fast move, where the spike test could not find it either), that part of its ring is not
    asked: it would count as a mismatch of its surroundings. The rest of the ring outside
    ``inside`` still is (new content entering at the frame's edge mismatches there).
    """
    count = len(defects.boxes)
    ring_size = 2 * RING + 1
    # (Labels dilate as 16-bit integers where they fit: the same maxima, quicker than as floats.)
    labels = defects.labels.astype(np.uint16 if count <= np.iinfo(np.uint16).max else np.float32)
    grown = cv2.dilate(labels, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (ring_size, ring_size)))
    ring = (grown > 0) & ~cv2.dilate(defects.mask.astype(np.uint8), _SQUARE).astype(bool)
    if not isinstance(inside, bool):
        seen = pixels.download(inside)
        if not seen[ring].all():
            ring &= seen | ~_continued(defects, grown, ring, centre, pixels)
    ys, xs = nonzero(ring)
    on_ring = _sampled(ys, xs, pixels)
    # Each witness's squared mismatch, in grain variances.
    mismatches = np.stack([(on_ring(r) - on_ring(centre)) ** 2 for r in references]) / on_ring(variance)
    best = mismatches.min(axis=0)
    owner = grown[ys, xs].astype(np.int64)
    # Around dust, the ring mismatches by the grain alone; where motion estimation failed, by more
    # on average or badly on a good share of it. (Clipping keeps a few edge pixels of a slightly
    # misregistered witness from outweighing the rest.)
    sizes = np.bincount(owner, minlength=count)
    per_pixel = np.maximum(sizes, 1)

    def mean_of(mismatch: np.ndarray) -> np.ndarray:
        return np.bincount(owner, weights=np.minimum(mismatch, RING_CLIP), minlength=count) / per_pixel

    failed = np.bincount(owner, weights=(best > RING_CLIP).astype(np.float64), minlength=count) / per_pixel
    keep = (mean_of(best) <= RING_MISMATCH / strictness) & (failed <= RING_SHARE / strictness) & (sizes >= RING_SEEN)
    if len(references) >= 4:
        area = defects.boxes[:, 4] / (RING_AREA * (labels.shape[0] / 1080.0) ** 2)
        second = np.partition(mismatches, 1, axis=0)[1]
        keep &= mean_of(second) <= RING_MISMATCH * np.maximum(area, 1.0) ** RING_GROWTH / strictness
    keep[0] = False
    return keep


def _continued(defects: _Defects, grown: np.ndarray, ring: np.ndarray, centre: Array, pixels: Pixels) -> np.ndarray:
    """(H, W) bool: the ``ring`` pixels (``grown`` labels around ``defects``) nearer the level of
    their defect than that of the rest of its ring, around defects that keep off the frame's edge:
    where a defect runs on beyond what was flagged. (A defect flagged up to the frame's edge may
    be content coming in there: its ring is all asked.)"""
    count = len(defects.boxes)

    def values(ys: np.ndarray, xs: np.ndarray) -> np.ndarray:
        return _sampled(ys, xs, pixels)(centre).astype(np.float64)

    def mean_by(owner: np.ndarray, of: np.ndarray) -> np.ndarray:
        return np.bincount(owner, weights=of, minlength=count) / np.maximum(np.bincount(owner, minlength=count), 1)

    ys, xs = nonzero(defects.mask)
    inner = mean_by(defects.labels[ys, xs].astype(np.int64), values(ys, xs))
    ys, xs = nonzero(ring)
    owner = grown[ys, xs].astype(np.int64)
    around = values(ys, xs)
    outer = mean_by(owner, around)
    out = np.zeros(ring.shape, bool)
    nearer = np.abs(around - inner[owner]) < np.abs(around - outer[owner])
    out[ys, xs] = nearer & _inside_the_frame(defects.boxes, ring.shape)[owner]
    return out


def _moved_content(
    defects: _Defects,
    kept: np.ndarray,
    centre: Array,
    searched: list[Seen],
    chosen: list[Seen],
    tolerance: Array,
    pixels: Pixels,
) -> np.ndarray:
    """(count,) bool: which of the ``kept`` defects are picture content a witness shows nearby.

    Each defect's patch (the defect and its surroundings) is searched for in the ``searched``
    witnesses' own frames, around where the motion of its surroundings puts it. Content the flow
    lost is found there, its own pixels matched far better than at the place the motion predicts;
    dust is not. A defect any of the ``chosen`` witnesses shows at the very same pixels is fixed
    to the film (a scratch), and stays.
    """
    labels, boxes = defects.labels, defects.boxes
    height, width = labels.shape
    scale = height / 1080.0
    # Frames of more than COARSE lines are searched in means of step x step pixels (the search's
    # pixels below): its cost is then that of a frame of about COARSE lines.
    step = max(1, height // COARSE)
    search = max(SEARCH_MIN, round(SEARCH * height / step))
    context, drift = max(2, round(CONTEXT * scale)), max(2, round(FILM_DRIFT * scale / step))
    limits = _Box(0, 0, width - width % step, height - height % step)
    calm = _calm(centre, searched[0].signal, limits, step, pixels) if step > 1 else 1.0
    x, y, w, h = (boxes[:, i].astype(np.float32) for i in range(4))
    middle_x, middle_y = x + 0.5 * w, y + 0.5 * h
    shifts = []
    for seen in searched:
        assert seen.locate is not None, "witnesses are bridged"
        to_x, to_y = seen.locate(middle_y, middle_x)
        shifts.append(np.stack([to_x - middle_x, to_y - middle_y], axis=1) / step)
    moved = np.zeros(len(boxes), bool)
    for label in np.nonzero(kept)[0]:
        bx, by, bw, bh, _ = boxes[label]
        reach = max(search, round(MOVED_REACH * max(bw, bh) / step))
        box = _Box(bx - context, by - context, bx + bw + context, by + bh + context).aligned(step).within(limits)
        defect = labels[box.rows, box.columns] == label
        here = _shrink(pixels.download(centre[box.rows, box.columns]), step)
        patch = _Patch(box, here, _shrink(defect, step), step, limits)
        # Two frames' tolerance, in the search's pixels: the unit of every mismatch below.
        unit = 2.0 * float(pixels.download(tolerance[box.rows, box.columns])[defect].mean()) * calm
        if any(
            _found_near(patch, seen, (round(shift[label, 0]), round(shift[label, 1])), reach, unit, pixels)
            for seen, shift in zip(searched, shifts)
        ):
            moved[label] = not any(_fixed_to_film(patch, seen, drift, unit, pixels) for seen in chosen)
    return moved


def _calm(centre: Array, nearest: Array, limits: _Box, step: int, pixels: Pixels) -> float:
    """The share of the frame-to-witness difference's variance (grain) that means of step x step
    pixels keep: 1 / step**2 for grain of single pixels, more as grain clumps. Measured on a
    middle part of the frame of about CALM_PIXELS."""
    side = int(np.sqrt(CALM_PIXELS)) // step * step
    x0 = max(0, (limits.x1 - side) // 2 // step * step)
    y0 = max(0, (limits.y1 - side) // 2 // step * step)
    part = _Box(x0, y0, min(x0 + side, limits.x1), min(y0 + side, limits.y1))
    size = ((part.x1 - part.x0) // step, (part.y1 - part.y0) // step)
    crops = [image[part.rows, part.columns] for image in (centre, nearest)]
    shrunk = [pixels.resize(crop, size, area=True) for crop in crops]
    spread = _spread(*shrunk, 1, pixels) / max(_spread(*crops, 1, pixels), 1e-9)
    return float(np.clip(spread * spread, 1.0 / (step * step), 1.0))


@dataclass(frozen=True)
class _Box:
    """A rectangle of pixels: columns x0..x1 and rows y0..y1, ends excluded."""

    x0: int
    y0: int
    x1: int
    y1: int

    @property
    def rows(self) -> slice:
        return slice(self.y0, self.y1)

    @property
    def columns(self) -> slice:
        return slice(self.x0, self.x1)

    def within(self, limits: _Box) -> _Box:
        return _Box(max(self.x0, limits.x0), max(self.y0, limits.y0), min(self.x1, limits.x1), min(self.y1, limits.y1))

    def aligned(self, step: int) -> _Box:
        """The smallest box of whole step x step blocks around this one."""
        return _Box(
            self.x0 // step * step, self.y0 // step * step, -(-self.x1 // step) * step, -(-self.y1 // step) * step
        )

    def moved(self, dx: int, dy: int, margin: int) -> _Box:
        return _Box(self.x0 + dx - margin, self.y0 + dy - margin, self.x1 + dx + margin, self.y1 + dy + margin)


@dataclass(frozen=True)
class _Patch:
    """A defect and its surroundings in the current frame, in the search's pixels."""

    box: _Box  # where, in the frame's pixels (whole step x step blocks)
    here: np.ndarray  # (h, w) float32 the current frame's signal
    defect: np.ndarray  # (h, w) float32 the share of each pixel that is defect
    step: int  # frame pixels a side of a search pixel
    limits: _Box  # the frame's whole step x step blocks


def _found_near(patch: _Patch, seen: Seen, shift: tuple[int, int], search: int, unit: float, pixels: Pixels) -> bool:
    """Whether the witness shows the defect's patch within ``search`` of ``shift`` (search pixels):
    its own pixels matched, and far better than at ``shift``, and the whole patch matched too,
    standing out of the search."""
    area = _witness(patch, seen, shift, search, pixels)
    if area is None:
        return False
    # The whole patch first: where it matches nowhere (dust, mostly), the test of the defect's own
    # pixels (a masked search, several times the cost) cannot change the answer.
    whole = _mismatch(patch, None, area, search, unit)
    if float(whole.min()) > MOVED_PATCH:
        return False
    own = _mismatch(patch, patch.defect, area, search, unit)
    candidates = own <= min(MOVED_DEFECT, MOVED_GAIN * own[search, search])
    if not candidates.any():
        return False
    best = float(whole[candidates].min())
    # A texture that matches a little everywhere says nothing.
    return best <= MOVED_PATCH and best <= MOVED_DISTINCT * float(np.median(whole[np.isfinite(whole)]))


def _fixed_to_film(patch: _Patch, seen: Seen, drift: int, unit: float, pixels: Pixels) -> bool:
    """Whether the witness's own frame shows the defect's pixels at the same place, within ``drift``."""
    area = _witness(patch, seen, (0, 0), drift, pixels)
    return area is not None and float(_mismatch(patch, patch.defect, area, drift, unit).min()) <= FILM_MATCH


def _mismatch(
    patch: _Patch, weights: np.ndarray | None, area: tuple[np.ndarray, tuple[int, int]], reach: int, unit: float
) -> np.ndarray:
    """(2 * reach + 1, 2 * reach + 1) mean squared difference (in ``unit``), weighted by ``weights``
    squared (None: the whole patch alike), between the patch and each place of the witness ``area``
    (:func:`_witness`) up to ``reach`` from the middle; infinite where it leaves the frame."""
    witness, (x0, y0) = area
    if weights is None:
        found = cv2.matchTemplate(witness, patch.here, cv2.TM_SQDIFF) / (patch.here.size * unit)
    else:
        found = cv2.matchTemplate(witness, patch.here, cv2.TM_SQDIFF, mask=weights)
        found /= float((weights * weights).sum()) * unit
    if found.shape == (2 * reach + 1, 2 * reach + 1):
        return found
    mismatch = np.full((2 * reach + 1, 2 * reach + 1), np.inf, np.float32)
    mismatch[y0 : y0 + found.shape[0], x0 : x0 + found.shape[1]] = found
    return mismatch


def _witness(
    patch: _Patch, seen: Seen, shift: tuple[int, int], reach: int, pixels: Pixels
) -> tuple[np.ndarray, tuple[int, int]] | None:
    """The witness's own frame (exposure matched, in search pixels) where the patch moved by
    ``shift`` and then by up to ``reach`` lies, and where in the search it starts (x, y); None
    where too little of it is inside the frame to hold the patch."""
    step = patch.step
    wanted = patch.box.moved(shift[0] * step, shift[1] * step, reach * step)
    inside = wanted.within(patch.limits)
    if inside.x1 - inside.x0 < patch.box.x1 - patch.box.x0 or inside.y1 - inside.y0 < patch.box.y1 - patch.box.y0:
        return None
    own = seen.unwarped[inside.rows, inside.columns] * seen.gain[inside.rows, inside.columns]
    return _shrink(pixels.download(own), step), ((inside.x0 - wanted.x0) // step, (inside.y0 - wanted.y0) // step)


def _shrink(image: np.ndarray, step: int) -> np.ndarray:
    """Means of step x step pixels (the image's sides are whole steps)."""
    if step == 1:
        return np.ascontiguousarray(image, dtype=np.float32)
    height, width = image.shape[:2]
    return cv2.resize(image.astype(np.float32), (width // step, height // step), interpolation=cv2.INTER_AREA)


def _extremes(references: list[Array], pixels: Pixels) -> tuple[Array, Array]:
    """The lowest and highest of the ``references`` at each pixel (not to be written to: with one
    reference, that reference itself)."""
    lowest, highest = references[0], references[0]
    if len(references) > 1:
        # Arrays of their own from the first pair on, then updated in place (a full frame each).
        lowest, highest = pixels.minimum(lowest, references[1]), pixels.maximum(highest, references[1])
        for reference in references[2:]:
            pixels.minimum(lowest, reference, out=lowest)
            pixels.maximum(highest, reference, out=highest)
    return lowest, highest


def _spikes(centre: Array, lowest: Array, highest: Array, pixels: Pixels) -> tuple[Array, Array]:
    """How far ``centre`` lies below (dark) and above (bright) every pixel of every reference's 3x3
    neighbourhood (which forgives a pixel of misregistration), from the references'
    :func:`_extremes`."""
    # The 3x3 minimum of the per-pixel minimum is the minimum of the 3x3 minima.
    below = pixels.erode(lowest, 3)
    below -= centre
    return below, centre - pixels.dilate(highest, 3)


def _spread(a: Array, b: Array, step: int, pixels: Pixels) -> float:
    """Robust spread (median absolute deviation) of ``a - b`` over every ``step``-th pixel each way,
    measured on the host."""
    difference = pixels.download(a[::step, ::step] - b[::step, ::step])
    # Both medians reorder arrays of their own (the values, and so the medians, stay the same).
    deviation = np.abs(difference - np.median(difference, overwrite_input=True))
    return float(np.median(deviation, overwrite_input=True))


def _grow(seeds: Array, allowed: Array, pixels: Pixels) -> Array:
    """Pixels of ``allowed`` connected to ``seeds`` within a few steps (hysteresis)."""
    if not seeds.any():
        return seeds
    grown = seeds
    for _ in range(GROW_STEPS):
        grown = pixels.dilate(grown, 3) & allowed
    return grown | seeds


def matte(mask: np.ndarray) -> np.ndarray:
    """(H, W) bool defect pixels -> (H, W) float32 repair matte: 1 on them, :data:`EDGE` on the ring around."""
    if not mask.any():
        return np.zeros(mask.shape, np.float32)
    # As bytes, then EDGE where the dilation reaches and 1 on the pixels themselves.
    matte = cv2.dilate(np.ascontiguousarray(mask).view(np.uint8), _SQUARE).astype(np.float32)
    matte *= EDGE
    matte[mask] = 1.0
    return matte


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
    # Blended at the holes' pixels alone: elsewhere the flow is its own.
    ys, xs = nonzero(holes > 0)
    share = holes[ys, xs][:, None]
    blended = flow.copy()
    blended[ys, xs] = flow[ys, xs] * (1.0 - share) + filled[ys, xs] * share
    return blended


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
