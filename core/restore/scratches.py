"""Line scratches: thin vertical lines that stay on the film for many frames while the picture moves.

**Profile.** Each frame is reduced to a few numbers per column: the signal averaged down each of a
few horizontal bands (grain averages away down the band). A scratch is a column standing above (or
below) *both* of its sides in its bands' profiles; an edge, which stands above one side only, is
not.

**Detect.** A scratch is fixed to the film, not to the scene: it is at (almost) the same column in
the neighbouring frames, drifting a pixel or two at most, whereas picture detail moves with the
camera. A peak counts when it is strong in this frame *and* its median strength at the same
column (allowing one pixel of drift per frame of distance) over the window of frames stays high,
and when it is narrow. Under camera motion, lines in the picture fail the persistence test; they
pass it when the camera holds still, which is why the width test and the threshold stay strict, and
why a line under a still picture must also have lasted through the frames before the window
(:data:`HISTORY`): the edge of a hand pausing for three frames beside a line of the picture makes a
dark line that lasts through most of a five-frame window, as a scratch does. Where the picture
moves, a line of it can still hold its column through the window (a pole the camera turns with);
a scratch was at its place in the frames before or nowhere near it, while such a line came there
by moving (:data:`ARRIVED`).

**Still picture.** Where the picture holds still, its own lines are in every frame at the same
columns, and they are as strong as a scratch in the profiles of a textured shot (a cutting mat's
grid). A scratch arrives and drifts over them: against the median profiles of earlier frames
(:data:`CHANGE_SPAN` frames back, the nearest :data:`CHANGE_GAP` back) the picture's lines cancel
and a scratch that arrived or moved since stands out, in each frame of the window. A mover changes
the profiles too, over many columns: a change beside the line as large as :data:`BUSY` times the
band's typical one says a mover passed; a mover that came to rest over the scratch's place since
the earliest of those frames fills the change around it, so the change from the nearer
:data:`RECENT_SPAN` frames, which hold the mover once it has rested as long, is asked as well
(each scratch is measured in the change that found it). The line must stand out a little in the
frame itself (a picture line a mover covers now leaves a line in the change, not in the frame) and
not in the earlier frames (a line of the picture that changed). Found so in some bands, a scratch
runs on down its column through the bands beside where its change is fainter (:data:`SUPPORT` of
the threshold): where it crosses a floor nearly as bright as it, or a line of the picture (one of
its own polarity its change must outweigh), it need not stand out in the frame nor pass the test of
a line that left. A slow pan or tilt moves the picture's lines over the reference's span: only
earlier frames the camera stood within :data:`STILL_REACH` pixels of make the reference, and only
bands whose profiles line up with the reference's unshifted count. A scratch that stays in one
column through the whole reference is not found this way. A still scene's first frames have too
few frames before them for a reference: theirs is the median of the frames :data:`CHANGE_GAP` to
:data:`LOOKAHEAD` after them (where the camera stood as still), so a scratch there from the
scene's first frame (a film's scratches run on across its cuts) is found where it ends or drifts
off its column within those frames.

A faint scratch under a moving picture (fainter in one frame than the picture's own texture) is
found from the window's evidence gathered at its place on the film: there the picture's texture
averages away and the scratch does not. This needs the picture to have moved off the scratch's
place in two frames of the window.

**Tall bands.** Where the picture moves, the same tests also run on the profiles of the frame's
halves and of the whole frame (:data:`LEVELS`): a long scratch, faint in every short band against
the picture's column structure there, stands out down the whole frame, where that structure
averages away and the scratch does not. A line of the picture in one part of a tall band can stand
out there as well: a tall band's scratch must also show, if faintly, in most of the short bands it
runs through. Under a still camera the tall bands are not used: a straight line of the picture
that runs the frame's height (a door's edge, the grid of a cutting mat) looks exactly like a
scratch there, and nothing in the frames tells them apart.

**Remove.** Kokaram's observation: a scratch mostly *adds* a line profile to a picture that is
still there. Across the scratch, the picture is interpolated from both sides; the difference
between the frame and that interpolation, averaged down the column, is the scratch's own profile,
which is subtracted. Texture under the scratch, which does not repeat down the column, survives.
Temporal repair (the dust stage) then catches what is left where the camera moves.

Arrays: (H, W) float32 signals; profiles (bands, W) float32.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise

import cv2
import numpy as np

# Reference sizes in pixels at 1080 lines (scaled with the frame height).
MAX_WIDTH = 10.0  # widest scratch (full width at half maximum)
ALONG = 91  # rows over which a scratch's profile is averaged
BANDS = 8
# Band heights the evidence is weighed at: the whole frame, halves, quarters, eighths.
LEVELS = (1, 2, 4, BANDS)
# A scratch found down a tall band must reach this share of the threshold in at least SUPPORT_SHARE of
# the short bands it runs through.
SUPPORT = 0.25
SUPPORT_SHARE = 0.75
DRIFT = 0.5  # sideways drift of a scratch tolerated, pixels per frame
# A scratch whose evidence over the window passes the threshold needs this share of it in the frame
# itself and in most frames of the window.
GATHERED = 0.35
# Where the picture holds still, a line must also have stood out in most of the window's frames and
# up to this many frames before them: a scratch lasts many frames, the line at the edge of a mover
# that pauses (a hand beside a cutting mat's grid line) a few.
HISTORY = 6
# A line of the picture that moved into its place (a pole the camera turns with, swaying back and
# forth by a pixel or two) sits as still in the window as a scratch does. A scratch is either at
# its place in the frames before the window (it lasted) or nowhere near it (it was born): a line as
# strong as ARRIVED times this one's, within ARRIVED_SPEED pixels a frame (at 1080 lines) of its
# place in most of those frames, but not at it, came there by moving. Chosen on the driving clip
# of the real footage (not held out; the other eight clips bit-identical): a street light's pole
# taken out in 9 of its frames -> in none, +0.05 dB; speeds 6 to 12, shares 0.35 to 0.75 within 0.02.
ARRIVED = 0.5
ARRIVED_SPEED = 9.0
# Under a still picture a frame's change is its profiles less the median of those CHANGE_GAP to
# CHANGE_SPAN frames before it (at least CHANGE_MIN of them). Once a scratch has been in half the
# frames of that span, their median holds it and the change no longer shows it: with 24 frames,
# 15 frames after it arrived (the generator's scratches live 15 to 60 frames; on the still real
# clips most of the error left on scratches was on those older than 15 frames), with 48, 27.
# A line in the change stands out by CHANGE_SHARE of the threshold (:func:`threshold`): grain
# averages away in a profile and a still picture's lines cancel in its change (on the dog, blocks
# and juggle clips the median scratch under 15 frames old stood out of its change by 6.4 to 8.1
# robust spreads: at the full threshold, 8 by default, most were missed). Both chosen on dog,
# cups, blocks, calendar and driving of the real footage, juggle, cereus, surf and foliage held
# out (scratches removed in the bands where each test found them, see :func:`remove`):
# 48 and 0.75 +0.04 dB on average (dog +0.21, blocks -0.01; held out juggle +0.34, the other
# three moving cameras 0.00); 60 and 0.75 0.00 (blocks -0.22); 48 and 0.6 +0.02 (blocks -0.12,
# where the gaps between toy blocks pass for dark scratches).
CHANGE_GAP = 6
CHANGE_SPAN = 48
CHANGE_MIN = 5
CHANGE_SHARE = 0.75
# A mover that settled over a scratch's place (a hand laid on a table) is in the frames since, not in
# those before: against the median of CHANGE_SPAN frames back the whole of it has changed, and a
# scratch over it is lost in that change. The change from the median of the RECENT_SPAN frames
# back holds the mover once it has rested there as long as a scratch is held (blocks frames 61 to
# 64: two scratches over a hand that came to rest, found at 24 frames back, lost at 48: -1.7 dB
# each). Asking both: blocks +0.08 dB, the other clips within 0.005; with the far span at 60 or 72
# blocks still lost 0.10 and 0.37 (dust precision 0.87 and 0.82: more of the picture's own lines
# pass), for juggle +0.07.
RECENT_SPAN = 24
# A change beside a line (columns reach + 2 to 4 * reach away) this many times the band's median
# change: a mover passed there.
BUSY = 2.0
# A line in the change must stand out this far in the frame's own profiles (robust spreads), and
# no line of either polarity as far as UNSEEN in the earlier frames' (there it is a line of the
# picture that changed, a grid line a hand's shadow darkens, or where a slow scratch was before).
STANDS = 1.0
UNSEEN = 2.0
# Nor a line of the other polarity in the earlier frames at its place (a column either way) of at
# least LEFT times its amplitude in the change: a line that left (a bright scratch that ended
# leaves a dark line in the change). Weighed in amplitude, as the spreads of a textured picture's
# earlier frames (a cutting mat) hide it from UNSEEN. Chosen on the blocks clip of the real
# footage (not held out): a dark "scratch" where a bright one had ended found in 2 frames -> 0,
# its dust precision 0.911 -> 0.924; dog loses a sliver of a true one (129 pixels, -0.0002 dB).
LEFT = 0.5
# Full-size pixels the camera may have moved from an earlier frame for it to join the reference
# (the picture's lines no longer cancel beyond that), and columns either way a frame's band
# profiles are matched to their reference's (a mover's band may have moved where the camera did not).
STILL_REACH = 2.0
ALIGN_REACH = 6
# Frames each side of a frame whose column profiles the test weighs with the frame's (fewer where
# the restore's radius is smaller). A wider window lets more of a still picture's lines through: at
# 3 frames a side the blocks clip's dust precision (flagged pixels near a defect) fell 0.80 -> 0.63.
WINDOW = 2
# Motion guides (:func:`unlined`): a line is taken out of a band where it stands out by GUIDE_STANDS robust
# spreads and runs on through GUIDE_RUN bands unbroken, standing out by GUIDE_TRACE in each: longer
# than half the frame, as a scratch mostly is. Chosen on the first 30 frames of the nine real clips
# (not held out): +0.10 dB on average (cups +0.45, surf +0.22, cereus +0.15, driving +0.12, blocks
# -0.03); runs of 3 or 4 bands gave as much on average, but a pole in the driving clip was taken
# out with the scratches beside it and a frame's motion failed (-1.3 dB, its dust recall -0.3; the
# whole clips with 4: +0.004, driving -0.05). Standing out by 3 or 5, traced at 1.5 or 3: within 0.02.
GUIDE_STANDS = 4.0
GUIDE_TRACE = 2.0
GUIDE_RUN = 5
# Frames before the window a find reads, and after it: a frame with fewer than CHANGE_MIN still
# frames before it (a still scene's first frames, CHANGE_GAP + CHANGE_MIN - 1 of them) takes its
# change from the frames CHANGE_GAP to LOOKAHEAD after it. The render holds 12 frames ahead for the
# exposure track and the grain filter already: 10 after the window. On the real clips this finds
# scratches there from a still shot's first frame that end or drift within those frames (blocks
# frames 0 to 4: +1.0 dB each; +0.06 dB on the clip, cups +0.01); the frames 6 to 22 after gained
# 0.002 dB more on average, 6 to 48 about 0.008, for a render holding 12 or 38 more frames ahead.
LOOKBACK = max(HISTORY, CHANGE_SPAN, RECENT_SPAN)
LOOKAHEAD = 10
# The codes (times the polarity) of a scratch found by its change from the CHANGE_SPAN frames
# before, and from the RECENT_SPAN frames before (not the first); the span of each.
CHANGED = 2
RECENT = 3
SPANS = {CHANGED: CHANGE_SPAN, RECENT: RECENT_SPAN}


@dataclass
class Profile:
    """One frame's column means per horizontal band."""

    values: np.ndarray  # (bands, W) float32
    # The camera's motion since the frame before (x, y full-size pixels; none at a scene's first frame).
    camera: tuple[float, float] = (0.0, 0.0)
    # Line responses by (polarity, level, reach), as amplitudes and in robust spreads, worked out
    # once: a frame serves every window it is in.
    _lines: dict[tuple[int, int, int], np.ndarray] = field(default_factory=dict, repr=False, compare=False)
    _responses: dict[tuple[int, int, int], np.ndarray] = field(default_factory=dict, repr=False, compare=False)
    # The median profiles of earlier (or later) frames and the frame's change from them, by span
    # (:func:`_changes`), worked out the first time a window asks: the frames before a frame and
    # the LOOKAHEAD after it are the same in every window it is in (the render keeps LOOKBACK
    # frames before the window and LOOKAHEAD after it, up to a cut).
    references: dict[int, Profile] = field(default_factory=dict, repr=False, compare=False)
    changes: dict[int, Profile] = field(default_factory=dict, repr=False, compare=False)

    def measured(self) -> dict[int, Profile]:
        """The frame's changes by the code of the scratches found in each (:data:`SPANS`)."""
        return {code: self.changes[span] for code, span in SPANS.items() if span in self.changes}

    def line(self, polarity: int, level: int, reach: int) -> np.ndarray:
        """(level, W) line response of one polarity (:func:`line_response`) of the profile merged into ``level`` bands."""
        key = (polarity, level, reach)
        if key not in self._lines:
            self._lines[key] = line_response(polarity * _merge(self.values, level), reach)
        return self._lines[key]

    def response(self, polarity: int, level: int, reach: int) -> np.ndarray:
        """(level, W) :meth:`line` in robust spreads of its band."""
        key = (polarity, level, reach)
        if key not in self._responses:
            self._responses[key] = _in_spreads(self.line(polarity, level, reach))
        return self._responses[key]


def sizes(height: int) -> tuple[float, int]:
    """Widest scratch (pixels, full width at half maximum) and averaging length (odd) for a frame height."""
    scale = height / 1080.0
    return max(2.0, MAX_WIDTH * scale), max(3, round(ALONG * scale) | 1)


def column_profile(signal: np.ndarray, camera: tuple[float, float] = (0.0, 0.0), bands: int = BANDS) -> Profile:
    """The :class:`Profile` of an (H, W) signal, the camera having moved by ``camera`` since the frame before."""
    edges = np.linspace(0, signal.shape[0], bands + 1).round().astype(int)
    # (Band by band: numpy's sum down the rows of a block is several times quicker than reduceat.)
    sums = np.stack([signal[top:bottom].sum(axis=0) for top, bottom in pairwise(edges)])
    return Profile((sums / np.diff(edges)[:, None]).astype(np.float32), camera)


def line_response(values: np.ndarray, reach: int) -> np.ndarray:
    """(bands, W) bright-line response of column profiles: how far each column stands above *both*
    sides ``reach`` columns away (two-column means). An edge, bright on one side only, gives
    nothing; a line narrower than ``reach`` gives its own profile. Negate the input for dark lines.
    """
    pad = np.pad(values, ((0, 0), (reach + 1, reach + 1)), mode="edge")
    width = values.shape[1]
    left = 0.5 * (pad[:, 0:width] + pad[:, 1 : width + 1])
    right = 0.5 * (pad[:, 2 * reach + 1 : 2 * reach + 1 + width] + pad[:, 2 * reach + 2 : 2 * reach + 2 + width])
    return values - np.maximum(left, right)


def threshold(strength: float) -> float:
    """Robust spreads a scratch must stand out by: strength 0 -> 12, 0.5 -> 8, 1 -> 4."""
    return 12.0 - 8.0 * strength


def find(
    profiles: list[Profile],
    distances: list[int],
    shifts: list[np.ndarray],
    strength: float,
    height: int,
    earlier: Sequence[tuple[Profile, int]] = (),
    later: Sequence[tuple[Profile, int]] = (),
) -> np.ndarray:
    """(bands, W) int8 scratch columns of the frame at distance 0: +1 bright, -1 dark, 0 none;
    under a still picture, :data:`CHANGED` or :data:`RECENT` times the polarity where found by its
    change from the earlier frames of that code's span (:data:`SPANS`).

    ``profiles`` of the frames of a window in one scene, ``distances`` their frame distances from
    the current frame (one of them 0), ``shifts`` (bands,) the picture's horizontal motion in
    pixels from the current frame to each (zeros for the current frame). ``earlier``: (profile,
    distance) of up to :data:`LOOKBACK` frames of the scene before the window: a line under a
    still picture must have lasted through the last :data:`HISTORY` of them, or have changed
    from them (see the module's notes). ``later``: those of up to :data:`LOOKAHEAD` frames of the
    scene after the window, which the change of a frame with too few frames before it is taken from.

    The evidence is weighed over bands of :data:`LEVELS` heights: a long scratch stands out of the
    picture's own column structure far better averaged down the whole frame than down one band
    (the picture changes down the frame, the scratch does not), a short one only in its bands.
    Tall bands count only where the picture moved off the column in the window.
    """
    bands, width = profiles[0].values.shape
    current = profiles[distances.index(0)]
    reach = _reach(height)
    found = np.zeros((bands, width), np.int8)
    recent = [(p, d) for p, d in earlier if d >= min(distances) - HISTORY]
    frames = {d: p for p, d in [*earlier, *zip(profiles, distances), *later]}
    changes = {code: _changes(frames, distances, span) for code, span in SPANS.items()}
    for polarity in (1, -1):
        # How far each column stands out in each short band of this frame (a pixel of slant allowed).
        short = cv2.dilate(current.response(polarity, bands, reach), np.ones((1, 3), np.uint8))
        for level in LEVELS:
            if bands % level:
                continue
            responses = [p.response(polarity, level, reach) for p in profiles]
            level_shifts = [_merge(s[:, None], level)[:, 0] for s in shifts]
            lasted = [(p.response(polarity, level, reach), d) for p, d in recent]
            peaks = _peaks(responses, distances, level_shifts, threshold(strength), height, level < bands, lasted)
            if level == bands:
                for code, span in SPANS.items():
                    window = changes[code]
                    if window is not None:
                        changed = _changed(window, distances, shifts, polarity, strength, height, current, span)
                        found[changed & (found == 0)] = code * polarity
            if level < bands:
                # A long scratch stands out, if faintly, in most of the short bands it runs through;
                # a line of the picture in a part of the tall band only (a window's post) does not.
                support = np.quantile(short.reshape(level, bands // level, width), 1.0 - SUPPORT_SHARE, axis=1)
                peaks &= support > SUPPORT * threshold(strength)
            spread = np.repeat(peaks, bands // level, axis=0)
            found[spread & (found == 0)] = polarity
    return found


def _changes(frames: dict[int, Profile], distances: list[int], span: int) -> list[Profile] | None:
    """The change of each frame of the window (by distance in ``frames``) from the frames before it:
    its profiles less the median of those :data:`CHANGE_GAP` to ``span`` frames before, scaled to
    its level band by band (flicker); where it has fewer than :data:`CHANGE_MIN` of them (a
    scene's first frames), from those CHANGE_GAP to :data:`LOOKAHEAD` after it; None where it has
    too few of those either."""
    changes = []
    for distance in distances:
        profile = frames[distance]
        if span not in profile.changes:
            reference_frames = _still_frames(frames, distance, span, -1)
            if len(reference_frames) < CHANGE_MIN:
                reference_frames = _still_frames(frames, distance, LOOKAHEAD, 1)
            if len(reference_frames) < CHANGE_MIN:
                return None
            reference = np.median(np.stack([frames[d].values for d in reference_frames]), axis=0)
            level = np.median(profile.values, axis=1, keepdims=True) / (
                np.median(reference, axis=1, keepdims=True) + 1e-6
            )
            change = profile.values - reference * level
            change[~_lined_up(profile.values, reference)] = 0.0
            profile.references[span] = Profile(reference.astype(np.float32))
            profile.changes[span] = Profile(change.astype(np.float32))
        changes.append(profile.changes[span])
    return changes


def _still_frames(frames: dict[int, Profile], distance: int, span: int, way: int) -> list[int]:
    """The distances of the frames :data:`CHANGE_GAP` to ``span`` before ``distance`` (``way``
    -1) or after it (+1) whose camera stood within :data:`STILL_REACH` of its camera: the camera's
    motion summed frame by frame from ``distance`` (in that order, so a chunk of a render sums as
    the whole does)."""
    still = []
    x = y = 0.0
    for d in range(distance + way, distance + way * (span + 1), way):
        if d not in frames:
            break
        # (A profile's camera is its motion since the frame before.)
        step = frames[d + 1].camera if way < 0 else frames[d].camera
        x, y = x + step[0], y + step[1]
        if abs(d - distance) >= CHANGE_GAP and np.hypot(x, y) <= STILL_REACH:
            still.append(d)
    return still


def _lined_up(values: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """(bands,) bool: the bands whose column profile lines up best with the reference's unshifted,
    in a frame that does as a whole (matched by the correlation of their slopes, up to
    :data:`ALIGN_REACH` columns either way). A slow pan that moved the picture a few pixels since
    the reference leaves every line of the picture in the change."""
    reach = ALIGN_REACH
    width = values.shape[1] - 1
    slope, earlier = np.diff(values, axis=1), np.diff(reference, axis=1)
    inner = slope[:, reach : width - reach]
    scores = np.stack(
        [np.sum(inner * earlier[:, reach + s : width - reach + s], axis=1) for s in range(-reach, reach + 1)]
    )
    if np.argmax(scores.sum(axis=1)) != reach:
        return np.zeros(values.shape[0], bool)
    return np.argmax(scores, axis=0) == reach


def _changed(
    changes: list[Profile],
    distances: list[int],
    shifts: list[np.ndarray],
    polarity: int,
    strength: float,
    height: int,
    current: Profile,
    span: int,
) -> np.ndarray:
    """(bands, W) bool scratch columns of one polarity in the short bands where the picture held
    still through the window, found in the window's ``changes`` from the ``span`` frames before
    each (:func:`_changes`)."""
    bands, width = current.values.shape
    reach = _reach(height)
    # (The picture moved no further than a scratch drifts, in every frame of the window.)
    still = np.all([np.abs(s) <= _drift(d, height) + 1 for s, d in zip(shifts, distances)], axis=0)
    if not still.any():
        return np.zeros((bands, width), bool)
    responses = [c.response(polarity, bands, reach) for c in changes]
    zeros = [np.zeros(bands, np.float32)] * len(distances)
    limit = CHANGE_SHARE * threshold(strength)
    peaks = _peaks(responses, distances, zeros, limit, height, False)
    # The mean change beside each column (reach + 2 to 4 * reach columns away), against the band's median.
    beside = np.ones((1, 8 * reach + 1), np.float32)
    beside[0, 3 * reach - 1 : 5 * reach + 2] = 0.0
    beside /= beside.sum()
    quiet = np.ones((bands, width), bool)
    for change in changes:
        moved = np.abs(change.values)
        typical = np.median(moved, axis=1, keepdims=True) + 1e-6
        quiet &= cv2.filter2D(moved, -1, beside, borderType=cv2.BORDER_REFLECT) <= BUSY * typical
    stands = current.response(polarity, bands, reach) > STANDS
    reference, change = current.references[span], current.changes[span]
    unseen = (reference.response(polarity, bands, reach) <= UNSEEN) & (
        reference.response(-polarity, bands, reach) <= UNSEEN
    )
    gone = cv2.dilate(reference.line(-polarity, bands, reach), np.ones((1, 3), np.uint8))
    left = gone < LEFT * change.line(polarity, bands, reach)
    usable = still[:, None] & quiet
    found = peaks & usable & stands & unseen & left
    if found.any():
        # A scratch found in some bands runs on down its column through the bands beside them where
        # its change is fainter: over a floor as bright as the scratch, or across a line of the
        # picture of either polarity (one of the scratch's own, the change must outweigh), whether
        # or not it stands out in the frame itself; as faint as a tall band's scratch may be in the
        # short bands it runs through.
        faint = _peaks(responses, distances, zeros, SUPPORT * limit, height, False)
        dominates = change.response(polarity, bands, reach) > reference.response(polarity, bands, reach)
        runs = faint & usable & (unseen | dominates)
        for _ in range(bands):
            reached = cv2.dilate(found.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool) & runs
            if not (reached & ~found).any():
                break
            found |= reached
    return found


def held_still(found: np.ndarray, current: Profile) -> np.ndarray:
    """The scratches ``found`` in the ``current`` frame that its neighbours hold in the same
    columns: those found by their change, and any in the bands where the camera stood still since
    the earlier frames (where the frame's change is defined, :func:`_changes`). Elsewhere the
    picture moved, and a line of the picture taken for a scratch is put back from the neighbours,
    which hold it elsewhere."""
    still = np.zeros((found.shape[0], 1), bool)
    for change in current.changes.values():
        still |= change.values.any(axis=1)[:, None]
    kept = np.isin(np.abs(found), list(SPANS)) | ((found != 0) & still)
    return np.where(kept, found, 0).astype(np.int8)


def near(found: np.ndarray, distance: int, height: int) -> np.ndarray:
    """The scratch columns ``found`` in a frame, widened by as far as a scratch drifts over
    ``distance`` frames: where to look for them in that frame."""
    window = np.ones((1, 2 * _drift(distance, height) + 1), np.uint8)
    bright = cv2.dilate(np.maximum(found, 0).astype(np.uint8), window).astype(np.int8)
    dark = cv2.dilate(np.maximum(-found, 0).astype(np.uint8), window).astype(np.int8)
    return np.where(bright > 0, bright, -dark)


def _drift(distance: int, height: int) -> int:
    """Columns a scratch may have moved over ``distance`` frames."""
    return 1 + int(abs(distance) * DRIFT * height / 1080.0)


def _reach(height: int) -> int:
    """Columns each side of a line at which its surroundings are read."""
    return int(np.ceil(sizes(height)[0] / 2)) + 1


def _in_spreads(response: np.ndarray) -> np.ndarray:
    """(bands, W) line responses in robust spreads of their band."""
    spread = 1.4826 * np.median(np.abs(response - np.median(response, axis=1, keepdims=True)), axis=1) + 1e-5
    return response / spread[:, None]


def _merge(values: np.ndarray, level: int) -> np.ndarray:
    """(bands, ...) per-band values -> (level, ...) means over runs of ``bands / level`` bands."""
    return values.reshape(level, values.shape[0] // level, *values.shape[1:]).mean(axis=1)


def _peaks(
    z: list[np.ndarray],
    distances: list[int],
    shifts: list[np.ndarray],
    spreads: float,
    height: int,
    moving_only: bool,
    earlier: Sequence[tuple[np.ndarray, int]] = (),
) -> np.ndarray:
    """(bands, W) bool scratch columns of one polarity in the current frame, from the window's
    (bands, W) line responses ``z`` of that polarity (:meth:`Profile.response`), standing out by
    ``spreads`` robust spreads (:func:`threshold`) over the window (``moving_only``:
    only where the picture moved off the column in the window; ``earlier``: (response, distance) of
    frames before the window, which a line where the picture holds still must have lasted through)."""
    current = distances.index(0)
    bands, width = z[current].shape
    widest, _ = sizes(height)
    reach = _reach(height)
    limit = spreads * (1.0 if len(z) >= 3 else 1.5)
    margin = reach + 3
    drift = [_drift(d, height) for d in distances]
    here = z[current]
    left = np.pad(here[:, :-1], ((0, 0), (1, 0)), constant_values=-np.inf)
    right = np.pad(here[:, 1:], ((0, 0), (0, 1)), constant_values=-np.inf)
    # (Only where the picture has moved away from the film's place in two frames of the window at
    # least: else the picture's own lines gather as well as a scratch.)
    moved = np.sum([np.abs(shift) > r + 1 for shift, r in zip(shifts, drift)], axis=0) >= 2
    # The few columns that can be peaks (local maxima standing out as far as a gathered line must,
    # not at the frame's edges, where there is one side only: nothing to interpolate across); the
    # evidence of the window is weighed at those alone.
    candidate = (here > GATHERED * limit) & (here >= left) & (here > right)
    candidate[:, :margin] = False
    candidate[:, width - margin :] = False
    if moving_only:
        candidate &= moved[:, None]
    rows, columns = np.nonzero(candidate)
    standing, moved = here[rows, columns], moved[rows]
    # Where the line would be in each frame if it were fixed to the film (drifting a little) ...
    on_film = [cv2.dilate(zi, np.ones((1, 2 * r + 1), np.uint8)) for zi, r in zip(z, drift)]
    at_peaks = np.stack([film[rows, columns] for film in on_film])
    persistence = np.median(at_peaks, axis=0)
    # Evidence gathered over the window at the film's place: where the picture moves under the
    # scratch, its texture averages away (the mean, in its own robust spreads, rises above the
    # single frame's); where it holds still, this is the single frame's evidence again.
    together = (
        _standard(np.mean(np.stack(on_film), axis=0))[rows, columns]
        if len(on_film) >= 3
        else np.zeros_like(persistence)
    )
    # ... and if it were part of the picture, carried by the picture's motion.
    picture = np.full_like(persistence, -np.inf)
    if len(on_film) > 1:
        at, grid = columns.astype(np.float32), np.arange(width, dtype=np.float32)
        in_picture = []
        for film, shift, r in zip(on_film, shifts, drift):
            carried = np.full(len(rows), -np.inf)
            # Frames where the two places coincide say nothing either way.
            for band in np.unique(rows[np.abs(shift[rows]) > r + 1]):
                of_band = rows == band
                carried[of_band] = np.interp(at[of_band] + shift[band], grid, film[band])
            in_picture.append(carried)
        picture = np.median(np.stack(in_picture), axis=0)
    strong = (standing > limit) & (persistence > limit)
    gathered = moved & (together > limit) & (standing > GATHERED * limit) & (persistence > GATHERED * limit)
    kept = (strong | gathered) & (persistence > picture)
    if earlier:
        before = [cv2.dilate(zi, np.ones((1, 2 * _drift(d, height) + 1), np.uint8)) for zi, d in earlier]
        at_place = np.stack([film[rows, columns] for film in before])
        lasted = np.median(np.concatenate([at_peaks, at_place]), axis=0)
        kept &= moved | (lasted > limit)
        absent = moved & (np.median(at_place, axis=0) < GATHERED * limit)
        kept &= ~_arrived(earlier, rows, columns, standing, absent, height)
    peaks = np.zeros((bands, width), bool)
    peaks[rows[kept], columns[kept]] = True
    narrow = np.zeros_like(peaks)
    for band, column in zip(*np.nonzero(peaks)):
        narrow[band, column] = _width(here[band], column) <= widest
    if bands <= 2:
        return narrow
    # In short bands a scratch shows in at least two adjacent ones (a pixel of slant allowed).
    # Short vertical lines of the picture (posts, window bars) do not.
    wide = cv2.dilate(narrow.astype(np.uint8), np.ones((1, 3), np.uint8)).astype(bool)
    above = np.zeros_like(wide)
    above[1:] = wide[:-1]
    below = np.zeros_like(wide)
    below[:-1] = wide[1:]
    return narrow & (above | below)


def _arrived(
    earlier: Sequence[tuple[np.ndarray, int]],
    rows: np.ndarray,
    columns: np.ndarray,
    standing: np.ndarray,
    absent: np.ndarray,
    height: int,
) -> np.ndarray:
    """(n,) bool: which of the candidate lines at ``rows``, ``columns`` (standing out by
    ``standing`` now; ``absent``: where the picture moved, and the line is not at its place on the
    film in the ``earlier`` frames' responses) moved there: a line at least :data:`ARRIVED` times
    as strong stood within :data:`ARRIVED_SPEED` pixels a frame of the place in most of those frames."""
    if not absent.any():
        return absent
    near = []
    for response, distance in earlier:
        reach = _drift(distance, height) + int(np.ceil(abs(distance) * ARRIVED_SPEED * height / 1080.0))
        near.append(cv2.dilate(response, np.ones((1, 2 * reach + 1), np.uint8))[rows, columns])
    return absent & (np.median(np.stack(near), axis=0) > ARRIVED * standing)


def _standard(values: np.ndarray) -> np.ndarray:
    """(bands, W) values in robust spreads from their band's median."""
    centre = np.median(values, axis=1, keepdims=True)
    spread = 1.4826 * np.median(np.abs(values - centre), axis=1, keepdims=True) + 1e-5
    return (values - centre) / spread


def _width(row: np.ndarray, column: int) -> int:
    """Full width at half maximum of the peak of ``row`` at ``column``."""
    half = 0.5 * row[column]
    left = column
    while left > 0 and row[left - 1] > half:
        left -= 1
    right = column
    while right < row.size - 1 and row[right + 1] > half:
        right += 1
    return right - left + 1


def remove(
    signal: np.ndarray, found: np.ndarray, changes: Mapping[int, Profile] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Subtract the scratches ``found`` ((bands, W) from :func:`find`) from an (H, W) signal.

    A scratch found by its change under a still picture is measured in that change (``changes``
    by the code of the scratches found in each, :meth:`Profile.measured`), where the picture's own
    edges have cancelled: interpolating across it would take an edge the scratch lies along for
    part of the line. Where the same scratch was
    found in other bands by the frame alone (bands whose change is not defined: they moved since
    the earlier frames), it is interpolated there, and its measured part does not fade towards
    them: each row is corrected by the line found in its band. Returns the cleaned signal (a copy;
    untouched pixels are bit-identical) and the (H, W) float32 matte of the correction in [0, 1].
    """
    out = signal.copy()
    matte = np.zeros(signal.shape, np.float32)
    if not found.any():
        return out, matte
    height, width = signal.shape
    half = _reach(height)
    band_of_row = _band_of_rows(height, found.shape[0])
    for first, last in _groups(np.nonzero(found.any(axis=0))[0], gap=2):
        x0, x1 = max(first - half, 0), min(last + half, width - 1)
        codes = found[:, first : last + 1]
        lines, in_bands = [], []
        anywhere = (codes != 0).any(axis=1)
        for code, change in (changes or {}).items():
            by_change = np.abs(codes) == code
            if not by_change.any():
                continue
            measured = np.where(by_change, codes, 0).astype(np.int8)
            codes = np.where(by_change, 0, codes).astype(np.int8)
            elsewhere = anywhere & ~by_change.any(axis=1)
            window = change.values[:, x0 : x1 + 1]
            lines.append(_measured_line(window, measured, first - x0, last - x0, half, height, elsewhere))
            in_bands.append(by_change.any(axis=1))
        if codes.any():
            lines.append(_interpolated_line(signal, codes, x0, x1, first - x0, last - x0, half))
            in_bands.append((codes != 0).any(axis=1))
        made = [(line, found_in[band_of_row]) for line, found_in in zip(lines, in_bands) if line is not None]
        if not made:
            continue
        # Row by row, the line found in the row's band; beyond them, the one that reaches the row more fully.
        fuller = np.argmax(np.stack([2.0 * here + vertical for (_, vertical, _), here in made]), axis=0)
        rows = np.arange(height)
        correction = np.stack([amount for (amount, _, _), _ in made])[fuller, rows]
        lobes = [vertical[:, None] * np.clip(2.0 * shape, 0.0, 1.0)[None, :] for (_, vertical, shape), _ in made]
        share = np.stack(lobes)[fuller, rows]
        out[:, x0 : x1 + 1] = signal[:, x0 : x1 + 1] - correction
        matte[:, x0 : x1 + 1] = np.maximum(matte[:, x0 : x1 + 1], share)
    return out, matte


def _interpolated_line(
    signal: np.ndarray, codes: np.ndarray, x0: int, x1: int, first: int, last: int, reach: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """A scratch from the (H, W) signal across its window (columns ``x0..x1``; the line at
    ``first..last`` of the window, :func:`find`'s ``codes`` there): the picture interpolated across
    it from both sides, the difference averaged down the column. The (H, n) correction, the (H,)
    share of it in each row and the (n,) line shape, or None where no line stands out."""
    height, width = signal.shape
    bands = codes.shape[0]
    _, along = sizes(height)
    in_band = codes.any(axis=1).astype(np.float32)
    band_height = max(3, int(height / bands) | 1)
    vertical = cv2.blur(in_band[_band_of_rows(height, bands)][:, None], (1, band_height))[:, 0]
    vertical = np.clip(vertical * 2.0, 0.0, 1.0)
    patch = signal[:, x0 : x1 + 1]
    left = signal[:, max(x0 - 2, 0) : x0].mean(axis=1) if x0 > 0 else None
    right = signal[:, x1 + 1 : min(x1 + 3, width)].mean(axis=1) if x1 < width - 1 else None
    left = right if left is None else left
    right = left if right is None else right
    t = (np.arange(x1 - x0 + 1, dtype=np.float32) + 1.0) / (x1 - x0 + 2)
    background = left[:, None] * (1.0 - t[None, :]) + right[:, None] * t[None, :]
    offset = cv2.blur((patch - background).astype(np.float32), (1, along), borderType=cv2.BORDER_REFLECT)
    polarity = 1.0 if codes.sum() >= 0 else -1.0
    rows_in = vertical > 0.5
    if not rows_in.any():
        return None
    shape = _line_shape(polarity * offset[rows_in].mean(axis=0), first, last, reach)
    if shape is None:
        return None
    # Row by row: the line's amplitude (least squares on its shape), kept only where it stands
    # out of the averaged grain (measured at the window's edge columns, which the line does not
    # reach). The bands say roughly where a scratch runs, this says where it starts and ends:
    # a scratch is one unbroken line, so it runs on from the rows of its bands, up and down,
    # as far as it keeps standing out (into bands whose texture hid it from the profiles).
    amplitude = offset @ shape / float(shape @ shape)
    edges = offset[:, [0, -1]]
    noise = 1.4826 * float(np.median(np.abs(edges - np.median(edges)))) + 1e-4
    stands_out = np.clip((polarity * amplitude - 2.0 * noise) / (2.0 * noise), 0.0, 1.0)
    vertical = np.maximum(vertical, _runs_through(stands_out > 0, rows_in)) * stands_out
    return (amplitude * vertical)[:, None] * shape[None, :], vertical, shape


def _measured_line(
    change: np.ndarray,
    codes: np.ndarray,
    first: int,
    last: int,
    reach: int,
    height: int,
    runs_on: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """A still-picture scratch from the change profiles across its window ((bands, n): the line's
    own profile in each band, the picture's cancelled): the (H, n) correction, the (H,) share of
    it in each row and the (n,) line shape, or None where the change shows no line.
    ``codes`` are :func:`find`'s over columns ``first..last`` of the window; ``runs_on`` (bands,)
    bool: other bands the line was found in, where the change does not measure it (it does not
    fade towards them)."""
    bands = change.shape[0]
    polarity = 1.0 if codes.sum() >= 0 else -1.0
    in_band = (codes != 0).any(axis=1)
    values = polarity * change
    # The level beside the line (regional flicker the band's level did not match): the window's
    # edge nearer zero, as the other may hold where a slow scratch was before (a lobe of the
    # other polarity) or the line's own tail.
    left, right = values[:, :1], values[:, -1:]
    values = values - np.where(np.abs(left) <= np.abs(right), left, right)
    shape = _line_shape(values[in_band].mean(axis=0), first, last, reach)
    if shape is None:
        return None
    strength = np.where(in_band, np.maximum(values @ shape / float(shape @ shape), 0.0), 0.0)
    if runs_on is not None:  # (each takes the strength of the nearest band measured)
        measured = np.nonzero(in_band)[0]
        for band in np.nonzero(runs_on & ~in_band)[0]:
            strength[band] = strength[measured[np.argmin(np.abs(measured - band))]]
    # Each band's strength at its middle row, linearly in between (a scratch fades slowly along its length).
    middles = (np.arange(bands) + 0.5) * height / bands
    along = np.interp(np.arange(height) + 0.5, middles, strength).astype(np.float32)
    vertical = np.clip(along / (0.5 * strength.max() + 1e-12), 0.0, 1.0)
    return (polarity * along)[:, None] * shape[None, :], vertical, shape


def _band_of_rows(height: int, bands: int) -> np.ndarray:
    """(height,) the band each row of the frame lies in."""
    return np.minimum((np.arange(height) / (height / bands)).astype(int), bands - 1)


def _runs_through(mask: np.ndarray, seeds: np.ndarray) -> np.ndarray:
    """(n,) float32: 1 on each run of consecutive true entries of the (n,) bool ``mask`` that holds a
    true entry of ``seeds``, 0 elsewhere."""
    run = np.cumsum(np.diff(mask.astype(np.int8), prepend=0) == 1) * mask  # run number, 0 outside
    return np.isin(run, run[seeds & mask]).astype(np.float32)


def _line_shape(profile: np.ndarray, first: int, last: int, reach: int) -> np.ndarray | None:
    """The line's own profile across the window: the lobe of ``profile`` (polarity-corrected mean
    offset per column) around its peak in ``first..last``, at most ``reach`` columns each side,
    normalised to a peak of 1, zero elsewhere."""
    peak = first + int(np.argmax(profile[first : last + 1]))
    if profile[peak] <= 0:
        return None
    left, right = peak, peak
    while left > max(peak - reach, 0) and profile[left - 1] > 0.1 * profile[peak]:
        left -= 1
    while right < min(peak + reach, profile.size - 1) and profile[right + 1] > 0.1 * profile[peak]:
        right += 1
    shape = np.zeros_like(profile)
    shape[left : right + 1] = profile[left : right + 1] / profile[peak]
    return shape


def _groups(columns: np.ndarray, gap: int) -> list[tuple[int, int]]:
    """Runs of sorted column indices whose members are at most ``gap`` apart: (first, last) each."""
    groups: list[tuple[int, int]] = []
    for c in columns.tolist():
        if groups and c - groups[-1][1] <= gap:
            groups[-1] = (groups[-1][0], c)
        else:
            groups.append((c, c))
    return groups


def unlined(small: np.ndarray) -> np.ndarray:
    """An (h, w) working-scale signal with its long narrow vertical lines taken out: what motion is
    measured on (:func:`.frames.motion_guide`).

    A scratch stays in its column while the picture moves; in the picture motion is measured on, it
    holds the motion around it back (on the first 30 frames of the nine real clips, motion measured
    on the frames as damaged but without their scratches would restore them 0.18 dB better: cups and
    cereus 0.5). Each band's column medians (grain and specks average out; a scratch does not)
    show a line as a column above both its sides (:func:`line_response`). Where a line stands out
    by :data:`GUIDE_STANDS` robust spreads in a band and runs on through :data:`GUIDE_RUN` bands
    (standing out by :data:`GUIDE_TRACE` in each, a column of drift allowed), its profile there
    is subtracted: the texture under it stays. A line of the picture that long (a pole, a door's
    edge) is taken out too; the motion around it is measured from the rest of the picture."""
    out = small.astype(np.float32, copy=True)
    height = out.shape[0]
    edges = np.linspace(0, height, BANDS + 1).round().astype(int)
    values = np.stack([np.median(out[top:bottom], axis=0) for top, bottom in pairwise(edges)])
    reach = _reach(height) + 1
    beside = np.ones((1, 3), np.uint8)  # a column either side
    for polarity in (1, -1):
        response = line_response(polarity * values, reach)
        z = _in_spreads(response)
        if not (z > GUIDE_STANDS).any():
            continue
        traced = cv2.dilate((z > GUIDE_TRACE).astype(np.uint8), beside) > 0
        # The length of the unbroken run of bands each (band, column) lies in: counted down and up.
        down, up = np.zeros(traced.shape, np.int32), np.zeros(traced.shape, np.int32)
        for band in range(BANDS):
            down[band] = (down[band - 1] + 1 if band else 1) * traced[band]
            last = BANDS - 1 - band
            up[last] = (up[last + 1] + 1 if band else 1) * traced[last]
        lines = (z > GUIDE_STANDS) & (down + up - 1 >= GUIDE_RUN)
        # Each line's whole lobe: the columns beside it that stand above their sides too.
        above = response > 0
        for _ in range(reach):
            lines |= (cv2.dilate(lines.astype(np.uint8), beside) > 0) & above
        for band, (top, bottom) in enumerate(pairwise(edges)):
            columns = lines[band]
            if columns.any():
                out[top:bottom, columns] -= polarity * response[band, columns]
    return out
