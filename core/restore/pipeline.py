"""The restoration of one frame from a temporal window of its neighbours, and the sliding window.

For each frame, in order:

1. **Line scratches** are found in this frame's column profiles with the window's, and their
   line profile subtracted (:mod:`.scratches`).
2. **Neighbours** (up to ``radius`` frames each side, never across a scene cut) are warped onto
   the frame by DIS flow at the working scale (measured up to two frames apart, chained through
   the frames between beyond that), their exposure matched to this frame's by the measured
   exposure steps, and their motion checked forward/backward. Beyond :data:`FULL_REACH` they
   serve the grain filter only where the picture stands still, as they are; nearer ones serve it
   as they are where it stands still within a fraction of a pixel (:data:`SETTLED_MOTION`).
3. **Dust and dirt** are one-frame spikes against both sides (:mod:`.dust`), joined by an infrared
   defect channel when the scan has one; they are replaced by the median of the neighbours.
4. **Grain** is averaged away with the neighbours that agree, and what they leave is smoothed
   where the picture is flat and averaged with the pixels around it whose patches look alike
   (:mod:`.denoise`); a share of it can be put back.
5. **Flicker**: the frame's exposure is moved onto the smooth exposure track of its scene
   (:mod:`.deflicker`).
6. **Gate weave** (when asked): the frame is warped from its measured camera path onto the smooth
   path fitted over ``stabilise_window`` frames each side (:mod:`.stabilise`), with the motion
   measured for the other steps; the defect matte and the extra channels move with it.

The result goes back to scene-linear as a luminance change carried by the pixel's own chroma
(``RGB + dY * RGB / Y``): pixels the repair did not change are bit-identical, values above 1.0 and
negative values survive, grey stays grey; in defect pixels the chroma comes from around the defect.
Deflicker is a gain on the whole pixel.

:class:`Restorer` streams: it holds the plates of ``radius`` frames behind the one it restores and
``ahead`` frames after it (the exposure track's ``deflicker_window``, stabilise's window, the
scratch test's look-ahead at a scene's start, or the radius; those still to be restored with what
their output needs of their source, :class:`.frames.HeldSource`; of the neighbours, only the dust
test's witnesses are warped whole at once) and the exposure steps of ``behind`` frames (with
stabilise, the weave steps too), so memory does not grow with the shot. Everything a frame's
result depends on lies in the window ``[frame - behind, frame + ahead]`` (cut short at cuts), so a
render split in chunks, each read with these handles, equals a whole render.

The full-size per-pixel work (warps, gain fields, the dust test's filters, the denoiser, the
repair's blends, the way back to scene-linear, stabilise's warp) runs on a
:class:`~tinct.core.pixels.Pixels` backend: OpenCV on the CPU, or torch on a device. Flow, cuts,
exposure steps, the grain curve, scratch profiles and removal, the connected defects and the few
pixels a repair samples stay on the host, with the plates' signals.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from functools import partial
from itertools import chain, pairwise

import cv2
import numpy as np
import OpenImageIO as oiio

from tinct.core.chroma import apply_chroma, chroma_ratio
from tinct.core.chroma import luminance as luminance_of
from tinct.core.flow import FlowEstimator, Motion, compose, identity_grid, inside_points, magnitude, warp
from tinct.core.guided import push_pull_fill
from tinct.core.half import from_half, to_half
from tinct.core.pixels import OPENCV, Array, Pixels
from tinct.core.restore import cuts, deflicker, denoise, dust, scratches, stabilise
from tinct.core.restore.frames import (
    Geometry,
    RestoreFrame,
    Tiles,
    held_signal,
    measure_motion,
    nonzero,
    prepare,
    sample_points,
    seen_in_reference,
)
from tinct.core.restore.stabilise import WINDOW as WEAVE_WINDOW
from tinct.core.source import SourceFrame

# Neighbours are warped bicubically (whole, by Pixels.warp_cubic; the few pixels a repair samples,
# with this interpolation): bilinear warping softens them by an amount that varies with the sub-pixel
# shift, and sharp detail of the frame would then stand out from its witnesses as dust.
INTERPOLATION = cv2.INTER_CUBIC
# Smallest signal difference (sqrt luminance) that can count as dust, whatever the grain.
DUST_FLOOR = 0.02
# Frames apart whose motion DIS measures (both ways); a neighbour further away is reached by chaining
# measured motions through the frames between (links of at most this many frames). On the first 30
# frames of the nine real clips, a third neighbour each side gained 0.38 dB with its motion measured
# and 0.34 chained, which costs no DIS field.
MEASURED_REACH = 2
# A frame waits in the window from when it is read (its motion, exposure and scratch profile
# measured: the exposure track looks 12 frames ahead) until the repairs of a frame within
# FULL_REACH read it, and stays there while a frame's radius reaches back to it. Beyond every
# restored frame's full reach, only the grain filter's still picture reads its signal, and it reads
# the signal as half floats (a relative error under 0.05 %, far inside the grain), which is how
# such a frame holds it: 9 frames each side with the defaults, at 1080p 4 MB each saved. Within a
# full reach the signal is exact, made again from the frame's held colour as it comes within one.
# A frame whose held colour is larger than this (bytes) waits ahead with no signal at all and
# makes it from its colour when read (4 to 7 ms at 1080p, up to 9 times a frame on a still
# picture): there memory binds. At 4K (a float plane of 35 MB; one process, 30 frames) the memory
# 2.74 -> 2.50 GB on average through the render, its peak 3.09 -> 2.90, for no measurable time;
# a colour scan at 1080p (12 MB of half-float colour a frame) holds 4 MB less a frame waiting. A
# black-and-white 1080p scan's colour is one half-float plane (4 MB), and it holds its half signal.
SPARE_BYTES = 8_000_000
# Neighbours up to this many frames away join the grain filter and the repairs wherever their motion
# checks out. Farther ones (up to the radius) join the grain filter only where the picture stands
# still between them and the frame, their motion under STILL_MOTION full-size pixels (fading out at
# twice that), as they are, not warped: there their chained motion, drifting a little on every
# link, is no motion. They are left out when under STILL_SHARE of the frame stands still.
FULL_REACH = 3
STILL_MOTION = 0.5
STILL_SHARE = 0.02
# The near neighbours join the grain filter as they are, too, where the picture stands still
# between them and the frame (motion under SETTLED_MOTION full-size pixels, fading out at twice):
# there a bicubic warp by the hundredths of a pixel DIS finds in the grain softens the neighbour.
# On the first 30 frames of the nine real clips: 0.15 px +0.07 dB, 0.25 +0.10 (locked-off clips
# up to +0.36), 0.35 +0.11 and 0.5 +0.08, the slow-moving ones losing (cereus -0.05, -0.20). The
# dust test and the repairs keep the warps (the witnesses taken as they are lost calendar 0.31 dB).
SETTLED_MOTION = 0.25


@dataclass(frozen=True)
class RestoreSettings:
    """Every repair's switch and strength (strengths in [0, 1] unless said otherwise)."""

    dust: bool = True
    dust_strength: float = 0.5  # detection sensitivity
    infrared: str = "auto"  # infrared defect channel: 'auto', a channel name, or '' for none
    infrared_threshold: float = 0.15  # transmission drop that starts to count as a defect
    scratches: bool = True
    scratch_strength: float = 0.5  # detection sensitivity
    deflicker: bool = True
    deflicker_strength: float = 1.0  # share of the measured flicker removed
    # Frames each side of the current one that its exposure track spans. A track that ends a few
    # frames after the frame fits its line there from one side, where a line is least sure: on the
    # nine real clips (their whole length), 24 frames before and 3 after (the radius) left
    # exposure errors of 2 to 8 % that drift for tens of frames; 12 each side gains 0.16 dB (every
    # clip: +0.015 to +0.31). 24 each side gained as much, holding twice the frames ahead in memory.
    # Where the shot ends (or cuts) less than this after the frame, the track reaches as many frames
    # more before it: a line through 25 frames, not 13 (the clips' last frames: +0.018 dB on average).
    deflicker_window: int = 12
    deflicker_regions: int = 4  # columns of the regional grid (1: global flicker only)
    grain: float = 0.7  # grain reduction (0: off)
    grain_keep: float = 0.0  # share of the original grain put back
    # Neighbour frames each side (beyond FULL_REACH, where the picture stands still). On the first
    # 30 frames of the nine real clips against 2, all of them wherever their motion checked out: 3
    # gained 0.34 dB (every clip: +0.02 to +0.72), 4 0.53, 5 0.62, but the moving cameras lost from
    # 4 or 5 on, their chained motion drifting. Still picture only beyond 3: against 5, 7 gained
    # 0.13 (juggle +0.61, dog +0.33) and 9 0.21 (juggle +1.00) for 10 % and 30 % more time on a
    # locked-off shot (7: 5 % once the far chains were made one way); a moving camera's frames are
    # restored as with 3, at its cost. On the nine real clips' whole length, once each far chain
    # cost one link: against 7, 9 gained 0.08, 11 0.13, 12 0.14 (juggle +0.72, dog +0.40; no clip
    # losing), 16 0.19. 12 holds no frame ahead that the exposure track does not hold already.
    radius: int = 12
    flow_quality: str = "balanced"
    flow_resolution: int = 640
    # Forward/backward flow disagreement (working pixels) tolerated. The balanced field's two
    # directions disagree by more than fast's did (a quarter of a moving frame failed at 1.0):
    # at 2.0 the real clips gain 0.0 to 0.18 dB and dust precision 0.931 -> 0.935.
    occlusion_tolerance: float = 2.0
    cut_threshold: float = 0.45  # share of a frame the previous one fails to explain at a cut
    stabilise: bool = False  # remove gate weave, keep the camera's moves
    stabilise_window: int = WEAVE_WINDOW  # frames each side the intended camera path is fitted over

    @property
    def repairs(self) -> bool:
        """Whether any repair is on (with none, frames pass through untouched)."""
        return self.dust or self.scratches or self.deflicker or self.grain > 0

    @property
    def behind(self) -> int:
        """Frames before a frame that its result depends on."""
        weave = self.stabilise_window if self.stabilise else 0
        if not self.repairs:
            return weave
        lines = (min(self.radius, scratches.WINDOW) + scratches.LOOKBACK) if self.scratches else 0  # its history
        exposure = 2 * self.deflicker_window if self.deflicker else 0  # (a track cut short ahead reaches back)
        return max(self.radius, lines, exposure, weave)

    @property
    def ahead(self) -> int:
        """Frames after a frame that its result depends on."""
        weave = self.stabilise_window if self.stabilise else 0
        if not self.repairs:
            return weave
        lines = (min(self.radius, scratches.WINDOW) + scratches.LOOKAHEAD) if self.scratches else 0  # a scene's start
        exposure = self.deflicker_window if self.deflicker else 0
        return max(self.radius, lines, exposure, weave)


@dataclass
class Restored:
    """A restored frame (:meth:`Restorer.run` yields host arrays; inside it they are of its pixel backend)."""

    frame: int
    spec: oiio.ImageSpec  # the source file's header: the output's template (windows, metadata)
    # The source's channels beyond its colour (alpha, AOVs), (H, W) host arrays of their own: the
    # rest of the source frame is not held while the frame waits to be written.
    extras: dict[str, np.ndarray]
    rgb: Array  # (H, W, 3) float32 working-space result
    defect: Array  # (H, W) float32 in [0, 1]: what was repaired (dust, dirt, scratches)


@dataclass
class _Neighbour:
    plate: RestoreFrame
    motion: Motion  # from the centre frame into this one
    consistency: np.ndarray  # (h, w) the motion's forward/backward check
    seen: dust.Seen  # its signal as seen from the centre frame (``seen.gain``: its exposure matched)


@dataclass
class _Slot:
    """What the window keeps of a frame: its plate while it may serve as a neighbour, its step always."""

    plate: RestoreFrame | None
    step: np.ndarray | None  # (gy, gx) log exposure gain over the previous frame
    cut_before: bool
    profile: scratches.Profile | None = None
    # The camera's motion since the frame before (full-size pixels, the median of the frame's motion).
    camera: tuple[float, float] = (0.0, 0.0)
    weave: np.ndarray | None = None  # (4,) similarity into the previous frame (stabilise), None: unknown
    # Read for its neighbours' sake, not restored in this run (a chunk's handles): its colour is
    # never written, so only its signal is held (at 1080p a colour frame's colour is 12 MB, and a
    # chunk holds up to 12 such frames each side). A frame of large colour (SPARE_BYTES) waiting
    # ahead holds the smaller of the two until its signal is made: a colour frame its signal, a
    # black-and-white one its colour (one half-float plane).
    context: bool = False
    signal: Array | None = None  # the plate's signal on the pixel backend, once needed there


class Restorer:
    """Restores a stream of plates (not thread-safe; :meth:`prepare` is, for the reader pool)."""

    def __init__(
        self,
        settings: RestoreSettings,
        height: int,
        width: int,
        weights: np.ndarray,
        on_cut: Callable[[int], None] = lambda _: None,
        pixels: Pixels = OPENCV,
    ) -> None:
        """``weights``: (3,) luminance weights of the working space; ``pixels``: where the per-pixel work runs."""
        self.settings = settings
        self.pixels = pixels
        self.weights = np.asarray(weights, np.float32)
        self.geometry = Geometry(height, width, settings.flow_resolution)
        self.flow = FlowEstimator(settings.flow_quality, settings.flow_resolution)
        self.cut_flow = FlowEstimator(cuts.FLOW_QUALITY, settings.flow_resolution)
        self.grid = deflicker.grid_shape(settings.deflicker_regions, height, width)
        self.on_cut = on_cut
        # Motion between the frames of the window, both ways, keyed (target frame, reference frame).
        self._motions: dict[tuple[int, int], Motion] = {}

    def prepare(self, frame: int, source: SourceFrame) -> RestoreFrame:
        """The plate of one source frame (run it in the reader threads)."""
        s = self.settings
        return prepare(frame, source, self.geometry, s.infrared if s.dust else "", s.infrared_threshold)

    # -- the window ------------------------------------------------------------------------------
    def run(self, plates: Iterable[RestoreFrame], wanted: set[int]) -> Iterator[Restored]:
        """Restore the ``wanted`` frames of a stream of consecutive plates (the others are context)."""
        s = self.settings
        slots: dict[int, _Slot] = {}
        self._motions = {}
        last, final = -1, max(wanted, default=-math.inf)
        for last, plate in enumerate(plates):
            slot = slots[last] = self._admit(plate, slots.get(last - 1))
            slot.context = plate.frame not in wanted
            if s.scratches:  # the scratch test of later frames reads it too, whether or not this one is restored
                slot.profile = scratches.column_profile(plate.v, slot.camera)
            if s.repairs:
                self._hold(slot)
                self._beyond_reach(slots, last - FULL_REACH)
                if plate.frame > final:  # (no frame read after it is restored either)
                    self._beyond_reach(slots, last)
            centre = last - s.ahead
            if centre >= 0:
                yield from self._centre(slots, centre, last, wanted)
            self._forget(slots, centre)
        for centre in range(max(last - s.ahead + 1, 0), last + 1):
            yield from self._centre(slots, centre, last, wanted)

    def _admit(self, plate: RestoreFrame, previous: _Slot | None) -> _Slot:
        if previous is None or previous.plate is None or not (self.settings.repairs or self.settings.stabilise):
            return _Slot(plate, None, True)
        to_previous = self.cut_flow(plate.guide, previous.plate.guide)
        if cuts.cut_score(plate.small, previous.plate.small, to_previous) > self.settings.cut_threshold:
            self.on_cut(plate.frame)
            return _Slot(plate, None, True)
        if self.flow.preset == self.cut_flow.preset:  # the cut's field is the motion's own
            motion = Motion(to_previous, self.flow(previous.plate.guide, plate.guide))
        else:
            motion = measure_motion(self.flow, plate, previous.plate)
        self._motions[(plate.frame, previous.plate.frame)] = motion
        self._motions[(previous.plate.frame, plate.frame)] = motion.reversed()
        h, w = plate.small.shape
        seen = warp(previous.plate.small, identity_grid(h, w) + motion.to_reference)
        valid = seen_in_reference(motion, self.settings.occlusion_tolerance)
        slot = _Slot(plate, deflicker.exposure_step(plate.small, seen, valid, self.grid), False)
        if self.settings.scratches:  # (which earlier frames the scratch test compares a frame with)
            step = camera_motion(motion.to_reference) * (self.geometry.width / w)
            slot.camera = (float(step[0]), float(step[1]))
        if self.settings.stabilise:
            slot.weave = stabilise.fit_step(motion.to_reference, valid, self.geometry.height, self.geometry.width)
        return slot

    def _centre(self, slots: dict[int, _Slot], centre: int, last: int, wanted: set[int]) -> Iterator[Restored]:
        plate = slots[centre].plate
        if plate is not None and plate.frame in wanted:
            restored = self._restore(slots, centre, last)
            if self.settings.stabilise:
                restored = self._stabilise(slots, centre, last, restored)
            download = self.pixels.download
            yield replace(restored, rgb=download(restored.rgb), defect=download(restored.defect))
        if plate is not None:
            # The motions from a frame are checked for its own repairs (and the one to the frame
            # before, for its exposure step) and never again.
            for (target, _), motion in self._motions.items():
                if target == plate.frame:
                    motion.forget_consistency()

    def _hold(self, slot: _Slot) -> None:
        """Let a plate just read keep what it needs while it waits (see :data:`SPARE_BYTES` and
        :attr:`_Slot.context`): a frame to restore its colour, and its signal as half floats while
        beyond the full reach of the frame restored (one of large colour: none); a context frame its
        exact signal, or its colour where that is the smaller, until :meth:`_beyond_reach`."""
        plate = slot.plate
        spare = plate.source.colour.nbytes > SPARE_BYTES
        if slot.context and (not spare or plate.source.colour.nbytes >= plate.v.nbytes):
            plate.source = None
        elif spare:
            plate.v = None
        elif self.settings.ahead > FULL_REACH:  # (else it is within a reach at once)
            plate.v = to_half(plate.v)

    def _beyond_reach(self, slots: dict[int, _Slot], position: int) -> None:
        """A context frame at window ``position`` whose neighbours within :data:`FULL_REACH` are
        context frames too (those read so far: all of them, or none to come) holds its half signal
        alone: no restored frame's repairs read it, only the grain filter's still picture."""
        slot = slots.get(position)
        if slot is None or slot.plate is None or not slot.context:
            return
        if any(not slots[p].context for p in range(position - FULL_REACH, position + FULL_REACH + 1) if p in slots):
            return
        self._halve(slot)

    def _halve(self, slot: _Slot) -> None:
        """Hold a plate's signal as half floats (made from its colour where it holds none), its
        colour let go: a frame behind the full reach of the frame restored (restored already, or a
        context frame), or a context frame beyond every restored frame's."""
        slot.plate.v = to_half(self._held_signal(slot.plate))
        slot.plate.source = slot.signal = None

    def _held_signal(self, plate: RestoreFrame) -> np.ndarray:
        """The signal a plate holds, or (one of large colour waiting) the one its colour makes."""
        return held_signal(plate.source, self.weights) if plate.v is None else plate.v

    def _give_signals(self, slots: dict[int, _Slot], window: range) -> None:
        """Give the plates in ``window`` that hold no exact signal (see :data:`SPARE_BYTES`) their
        signal again (a context frame's colour then goes)."""
        for p in window:
            plate = slots[p].plate
            if plate is not None and (plate.v is None or plate.v.dtype == np.float16):
                assert plate.source is not None, "a plate gives up its colour once its signal is held for good"
                plate.v = held_signal(plate.source, self.weights)
                if slots[p].context:
                    plate.source = None

    def _shelve(self, slots: dict[int, _Slot], window: range) -> None:
        """Hold the signals of the frames behind a frame's full reach (``window``) as half floats
        (see :data:`SPARE_BYTES`)."""
        for p in window:
            if slots[p].plate is not None:
                self._halve(slots[p])

    def _forget(self, slots: dict[int, _Slot], centre: int) -> None:
        """Drop plates no longer needed as neighbours, motions no longer needed for them, and steps
        older than the exposure window."""
        s = self.settings
        old = centre - (s.radius if s.repairs else 0)
        if old in slots and slots[old].plate is not None:
            frame = slots[old].plate.frame
            slots[old].plate = slots[old].signal = None
            self._motions = {k: m for k, m in self._motions.items() if frame not in k}
        # No later frame's full reach goes back to this one: of its motions to the frames after it,
        # only the far chains' links (MEASURED_REACH long) are read again.
        passed = centre - FULL_REACH
        if passed in slots and slots[passed].plate is not None:
            frame = slots[passed].plate.frame
            for later in range(passed + 1, passed + FULL_REACH + 1):
                if later - passed != MEASURED_REACH and later in slots and slots[later].plate is not None:
                    self._motions.pop((frame, slots[later].plate.frame), None)
                    self._motions.pop((slots[later].plate.frame, frame), None)
        slots.pop(centre - s.behind - 1, None)

    def _span(self, slots: dict[int, _Slot], centre: int, last: int, back: int, forward: int) -> tuple[int, int]:
        """First and last window positions around ``centre`` within its scene."""
        first = centre
        while first > centre - back and first - 1 in slots and not slots[first].cut_before:
            first -= 1
        end = centre
        while end < min(centre + forward, last) and not slots[end + 1].cut_before:
            end += 1
        return first, end

    def _stabilise(self, slots: dict[int, _Slot], centre: int, last: int, restored: Restored) -> Restored:
        """The restored frame moved from its measured camera path onto the smooth one (gate weave removed)."""
        window = self.settings.stabilise_window
        first, end = self._span(slots, centre, last, window, window)
        # An unmeasured step breaks the path like a cut.
        first = max([first, *(p for p in range(first + 1, centre + 1) if slots[p].weave is None)])
        end = min([end, *(p - 1 for p in range(centre + 1, end + 1) if slots[p].weave is None)])
        steps = [slots[p].weave for p in range(first + 1, end + 1)]
        centred = stabilise.correction(steps, centre - first, window)
        if np.array_equal(centred, np.eye(3)):
            return restored
        px = self.pixels
        extras = restored.extras
        if extras:
            moved = px.download(stabilise.apply(px.upload(np.stack(list(extras.values()), axis=-1)), centred, px))
            extras = {name: np.ascontiguousarray(moved[..., i]) for i, name in enumerate(extras)}
        rgb = stabilise.apply(restored.rgb, centred, px)
        return replace(restored, extras=extras, rgb=rgb, defect=stabilise.apply_matte(restored.defect, centred, px))

    def _motion_to(self, slots: dict[int, _Slot], centre: int, position: int) -> Motion:
        """The motion from the frame at window position ``centre`` into the one at ``position`` (at
        most :data:`FULL_REACH` apart): measured up to :data:`MEASURED_REACH` frames apart, chained
        through the frames between beyond that. A chain is always made from the earlier frame, so
        the motion between two frames is the same whichever of them a render (or a chunk of it)
        restores."""
        first, last = sorted((centre, position))
        assert last - first <= FULL_REACH, "farther frames are reached by _flow_into"
        if last - first <= MEASURED_REACH:
            return self._motion(slots[centre].plate, slots[position].plate)
        key = (slots[first].plate.frame, slots[last].plate.frame)
        if key not in self._motions:
            via = last - min(MEASURED_REACH, last - first - MEASURED_REACH)  # the last link as long as it may be
            motion = self._motion_to(slots, first, via).then(self._motion(slots[via].plate, slots[last].plate))
            self._motions[key], self._motions[key[::-1]] = motion, motion.reversed()
        return self._motions[(slots[centre].plate.frame, slots[position].plate.frame)]

    def _flow_into(
        self, slots: dict[int, _Slot], centre: int, position: int, chained: dict[int, np.ndarray]
    ) -> np.ndarray:
        """(h, w, 2) working-scale flow from the frame at window position ``centre`` into the one at
        ``position``, any distance apart: beyond :data:`FULL_REACH` chained outwards from the centre,
        the flow into the frame a link nearer (links of :data:`MEASURED_REACH`) followed by the link.
        ``chained`` holds this centre's far flows made so far (by position): asked nearest first,
        each costs one link. Only the frame's own far flows are kept, and only while it is restored
        (the stillness of the grain filter's farthest neighbours reads each once; kept both ways
        for every frame, the chains of 4 and 5 frames alone held 70 MB more)."""
        distance = abs(position - centre)
        if distance <= FULL_REACH:
            return self._motion_to(slots, centre, position).to_reference
        if position not in chained:
            toward = 1 if position < centre else -1
            # The last link as long as it may be.
            via = position + toward * min(MEASURED_REACH, distance - MEASURED_REACH)
            link = self._motion(slots[via].plate, slots[position].plate)
            chained[position] = compose(self._flow_into(slots, centre, via, chained), link.to_reference)
        return chained[position]

    def _motion(self, target: RestoreFrame, reference: RestoreFrame) -> Motion:
        key = (target.frame, reference.frame)
        if key not in self._motions:
            motion = measure_motion(self.flow, target, reference)
            self._motions[key] = motion
            self._motions[(reference.frame, target.frame)] = motion.reversed()
        return self._motions[key]

    # -- one frame --------------------------------------------------------------------------------
    def _restore(self, slots: dict[int, _Slot], centre: int, last: int) -> Restored:
        s, px = self.settings, self.pixels
        plate = slots[centre].plate
        if not s.repairs:
            defect = np.zeros(plate.v.shape, np.float32)
            source = plate.source
            return Restored(plate.frame, source.spec, source.extras, px.upload(source.working()), px.upload(defect))
        first, end = self._span(slots, centre, last, s.radius, s.radius)
        window = range(first, end + 1)
        self._give_signals(slots, range(max(first, centre - FULL_REACH), min(end, centre + FULL_REACH) + 1))
        self._shelve(slots, range(first, centre - FULL_REACH))

        signal = plate.v
        defect = np.zeros(signal.shape, np.float32)
        still_lines, changes = None, {}
        if s.scratches:
            reach = min(s.radius, scratches.WINDOW)
            lines_window = range(max(first, centre - reach), min(end, centre + reach) + 1)
            profiles = [self._profile(slots[p]) for p in lines_window]
            shifts = [self._band_shift(plate, slots[p].plate) for p in lines_window]
            earliest, _ = self._span(slots, centre, last, reach + scratches.LOOKBACK, 0)
            earlier = [(self._profile(slots[p]), p - centre) for p in range(earliest, lines_window[0])]
            _, latest = self._span(slots, centre, last, 0, reach + scratches.LOOKAHEAD)
            later = [(self._profile(slots[p]), p - centre) for p in range(lines_window[-1] + 1, latest + 1)]
            found = scratches.find(
                profiles,
                [p - centre for p in lines_window],
                shifts,
                s.scratch_strength,
                self.geometry.height,
                earlier,
                later,
            )
            current = self._profile(slots[centre])
            signal, defect = scratches.remove(signal, found, current.measured())
            # The neighbours are cleaned of these too, lest denoising average them back and the
            # dust test take their absence for dust.
            still_lines = scratches.held_still(found, current)
            # A frame's change from the frames before it is the same in every render (and chunk)
            # only within the test's window; beyond it, a neighbour's line is interpolated.
            changes = {p: self._profile(slots[p]).measured() for p in lines_window}

        result, defect = self._repaired(slots, centre, window, signal, defect, still_lines, changes)

        gain = None
        if s.deflicker:
            d_first, d_end = self._span(slots, centre, last, s.deflicker_window, s.deflicker_window)
            short = s.deflicker_window - (d_end - centre)
            if short > 0:  # the shot ends (or cuts) within the window: as many frames more before
                d_first, _ = self._span(slots, centre, last, s.deflicker_window + short, 0)
            track = self._exposures(slots, d_first, d_end)
            log_gain = deflicker.correction(track, centre - d_first, s.deflicker_strength)
            if np.any(log_gain != 0):
                gain = deflicker.gain_field(log_gain, self.geometry.height, self.geometry.width, px)
        source = plate.source
        defect = px.upload(defect)
        colour = source.working()
        # The luminance as the source frame had it (the same product of the same colour, on the host).
        working, luminance = px.upload(colour), px.upload(luminance_of(colour, self.weights))
        rgb = to_linear(working, self._signal(slots[centre]), result, defect, luminance, self.weights, gain, px)
        # As a neighbour of later frames the plate needs its signal only.
        plate.source = None
        return Restored(plate.frame, source.spec, source.extras, rgb, defect)

    def _repaired(
        self,
        slots: dict[int, _Slot],
        centre: int,
        window: range,
        signal: np.ndarray,
        defect: np.ndarray,
        still_lines: np.ndarray | None,
        changes: dict[int, dict[int, scratches.Profile]],
    ) -> tuple[Array, np.ndarray]:
        """The frame at ``centre``'s signal (scratches already out, on the host) with its dust found
        and repaired and its grain reduced from the neighbours in its ``window``, on the pixel
        backend, and its ``defect`` matte with the dust added. A method of its own so that the
        witnesses (four planes each) and the grain filter's planes are let go before the way back
        to scene-linear: at 4K, a colour frame's conversion then peaks 0.7 GB lower."""
        s, px = self.settings, self.pixels
        plate = slots[centre].plate
        first = window[0]
        exposure = self._exposures(slots, first, window[-1])
        order = [p for p in sorted(window, key=lambda p: (abs(p - centre), p)) if p != centre]
        full = [p for p in order if abs(p - centre) <= FULL_REACH]
        log_exposure = lambda p: exposure[p - first] - exposure[centre - first]  # noqa: E731
        neighbour = lambda p: self._neighbour(  # noqa: E731
            plate, slots[p], self._motion_to(slots, centre, p), log_exposure(p), still_lines, changes.get(p)
        )
        # The two nearest each side are the dust test's witnesses, held whole; the others serve the
        # grain filter alone, warped one at a time as it takes them in (memory then grows little
        # with the radius), and the repair, which samples them at the spots. Beyond FULL_REACH,
        # the grain filter alone takes them, where the picture stands still.
        near = [[p for p in order if p < centre][:2], [p for p in order if p > centre][:2]]
        held = {p: neighbour(p) for side in near for p in side}
        sides = [[held[p].seen for p in side] for side in near]
        if s.dust:
            witnesses, strictness = dust.witnesses(sides)
            for n in held.values():
                if any(n.seen is w for w in witnesses):
                    self._bridge(n, plate, one_sided=strictness > 1.0)

        here = px.upload(signal)
        result = here
        if order:
            nearest = held[order[0]].seen
            sigma = denoise.measure_noise(here, nearest.signal, nearest.valid, px).at(here, px)
            spots = np.zeros(signal.shape, np.float32)
            if s.dust:
                lines = px.upload(defect > 0) if defect.any() else None
                spots = dust.matte(dust.detect(here, sides, sigma, s.dust_strength, DUST_FLOOR, px, lines))
                for n in held.values():
                    n.seen.unbridge()
            if plate.infrared is not None:
                spots = np.maximum(spots, plate.infrared)
            moving = (self._settled(held[p] if p in held else neighbour(p), plate, still_lines, changes) for p in full)
            far = [p for p in order if p not in full]
            still = self._still_neighbours(slots, centre, far, log_exposure, still_lines, changes)
            result = self._denoise(here, chain(moving, still), sigma)
            if spots.any():
                sources = [
                    (
                        slots[p].plate,
                        self._motion_to(slots, centre, p),
                        held[p].seen.gain if p in held else self._gain(log_exposure(p)),
                    )
                    for p in full
                ]
                result = self._repair(result, signal, spots, sources, sigma)
                defect = np.maximum(defect, spots)
        return result, defect

    def _exposures(self, slots: dict[int, _Slot], first: int, end: int) -> np.ndarray:
        """(n, gy, gx) log exposures of window positions ``first..end`` (the first at 0)."""
        steps = [np.zeros(self.grid, np.float32)] + [slots[p].step for p in range(first + 1, end + 1)]
        return deflicker.track(steps)

    @staticmethod
    def _profile(slot: _Slot) -> scratches.Profile:
        assert slot.profile is not None, "made as the plate is admitted"
        return slot.profile

    def _band_shift(self, centre: RestoreFrame, other: RestoreFrame) -> np.ndarray:
        """(bands,) median horizontal motion (full-size pixels) of the picture in each scratch band."""
        if other is centre:
            return np.zeros(scratches.BANDS, np.float32)
        dx = self._motion(centre, other).to_reference[..., 0] * (self.geometry.width / self.geometry.small_size[0])
        edges = np.linspace(0, dx.shape[0], scratches.BANDS + 1).round().astype(int)
        return np.array([np.median(dx[a:b:2, ::2]) for a, b in pairwise(edges)], np.float32)

    def _signal(self, slot: _Slot) -> Array:
        """The exact signal of a plate within the full reach of the frame restored (given by
        :meth:`_give_signals`), on the pixel backend: kept once there."""
        if slot.signal is None:
            assert slot.plate.v is not None and slot.plate.v.dtype == np.float32, "given within a full reach"
            slot.signal = self.pixels.upload(slot.plate.v)
        return slot.signal

    def _far_signal(self, slot: _Slot) -> Array:
        """The signal of a plate beyond the full reach of the frame restored, as the grain filter's
        still picture reads it: in half floats, whatever the plate holds (see :data:`SPARE_BYTES`),
        so that it is the same in every render and chunk."""
        return self.pixels.upload(from_half(to_half(self._held_signal(slot.plate))))

    def _neighbour(
        self,
        centre: RestoreFrame,
        slot: _Slot,
        motion: Motion,
        log_exposure: np.ndarray,
        lines: np.ndarray | None = None,
        changes: dict[int, scratches.Profile] | None = None,
    ) -> _Neighbour:
        """A neighbour warped onto the centre frame by ``motion`` (from the centre into it), its
        exposure matched to the centre's, and the scratch ``lines`` (found in the centre frame,
        :func:`.scratches.find`) removed near their columns (measured in the neighbour's
        ``changes`` where they are given, :func:`.scratches.remove`)."""
        g, px = self.geometry, self.pixels
        consistency = seen_in_reference(motion, self.settings.occlusion_tolerance)
        gain = self._gain(log_exposure)
        warped = px.warp_cubic(self._signal(slot), g.full_map(motion.to_reference, px))
        warped *= gain
        warped = self._without_lines(warped, slot.plate.frame - centre.frame, lines, changes)
        seen = dust.Seen(warped, g.enlarge(consistency, px), self._signal(slot), gain)
        return _Neighbour(slot.plate, motion, consistency, seen)

    def _still_neighbours(
        self,
        slots: dict[int, _Slot],
        centre: int,
        far: list[int],
        log_exposure: Callable[[int], np.ndarray],
        lines: np.ndarray | None,
        changes: dict[int, dict[int, scratches.Profile]],
    ) -> Iterator[dust.Seen]:
        """The neighbours at positions ``far`` (beyond :data:`FULL_REACH`, nearest first) where the
        picture stands still (:meth:`_still_neighbour`), one at a time. On each side they end at the
        first one under which too little of the frame stands still: the picture has moved by then."""
        moved: set[bool] = set()
        chained: dict[int, np.ndarray] = {}
        for p in far:
            side = p > centre
            if side in moved:
                continue
            flow = self._flow_into(slots, centre, p, chained)
            chained.pop(p - MEASURED_REACH if side else p + MEASURED_REACH, None)  # (no farther one chains from it)
            seen = self._still_neighbour(slots[centre].plate, slots[p], flow, log_exposure(p), lines, changes.get(p))
            if seen is None:
                moved.add(side)
            else:
                yield seen

    def _still_neighbour(
        self,
        centre: RestoreFrame,
        slot: _Slot,
        flow: np.ndarray,
        log_exposure: np.ndarray,
        lines: np.ndarray | None = None,
        changes: dict[int, scratches.Profile] | None = None,
    ) -> dust.Seen | None:
        """A neighbour beyond :data:`FULL_REACH` as it is, its exposure matched, reliable where
        ``flow`` (from the centre into it) stays under :data:`STILL_MOTION`; None where too
        little of the frame stands still. The centre's scratch ``lines`` are taken out of it near
        their columns (measured in the neighbour's ``changes`` where they are given), as
        :meth:`_neighbour` takes them out."""
        stands = self._stands(flow, STILL_MOTION)
        if stands is None:
            return None
        gain = self._gain(log_exposure)
        own = self._far_signal(slot)
        seen = self._without_lines(own * gain, slot.plate.frame - centre.frame, lines, changes)
        return dust.Seen(seen, self.geometry.enlarge(stands, self.pixels), own, gain, as_is=1.0)

    def _settled(
        self,
        neighbour: _Neighbour,
        centre: RestoreFrame,
        lines: np.ndarray | None,
        changes: dict[int, dict[int, scratches.Profile]],
    ) -> dust.Seen:
        """A near neighbour as the grain filter takes it: its warp, but where the picture stands
        still between it and the ``centre`` frame (motion under :data:`SETTLED_MOTION`) its own
        signal, its exposure matched and the scratch ``lines`` taken out as in the warp. The
        warp itself where too little of the frame stands still."""
        stands = self._stands(neighbour.motion.to_reference, SETTLED_MOTION)
        seen = neighbour.seen
        if stands is None:
            return seen
        frame = neighbour.plate.frame
        own = self._without_lines(seen.unwarped * seen.gain, frame - centre.frame, lines, changes.get(frame))
        own -= seen.signal
        as_is = self.geometry.enlarge(stands, self.pixels)
        own *= as_is
        own += seen.signal
        return dust.Seen(own, seen.valid, seen.unwarped, seen.gain, as_is=as_is)

    def _stands(self, flow: np.ndarray, limit: float) -> np.ndarray | None:
        """(h, w) working-scale share in [0, 1] of each pixel standing still: 1 where ``flow`` (from
        the centre frame into a neighbour) moves it under ``limit`` full-size pixels, fading to 0 at
        twice that; None where under :data:`STILL_SHARE` of the frame stands still."""
        g = self.geometry
        w, h = g.small_size
        moved = magnitude(flow * np.array([g.width / w, g.height / h], np.float32))
        stands = np.clip(2.0 - moved / np.float32(limit), 0.0, 1.0)
        if np.count_nonzero(stands) < STILL_SHARE * stands.size:
            return None
        return stands

    def _without_lines(
        self, seen: Array, offset: int, lines: np.ndarray | None, changes: dict[int, scratches.Profile] | None
    ) -> Array:
        """A neighbour ``offset`` frames away with the centre frame's scratch ``lines`` removed near
        their columns (:func:`.scratches.near`, :func:`.scratches.remove`)."""
        if lines is None or not lines.any():
            return seen
        around = scratches.near(lines, offset, self.geometry.height)
        return self.pixels.upload(scratches.remove(self.pixels.download(seen), around, changes)[0])

    def _gain(self, log_exposure: np.ndarray) -> Array:
        """(H, W) signal gain that matches a neighbour of ``log_exposure`` (its log exposure over the
        current frame's, on the deflicker grid) to the current frame."""
        # The signal is sqrt(Y): a luminance gain g is a signal gain sqrt(g).
        return deflicker.gain_field(-0.5 * log_exposure, self.geometry.height, self.geometry.width, self.pixels)

    def _bridge(self, neighbour: _Neighbour, centre: RestoreFrame, one_sided: bool = False) -> None:
        """Give a witness its bridged warp: where the motion fails its check, the motion of the
        surroundings stands in (a blotch corrupts the flow over itself), or the camera's where that
        shows the ``centre`` frame more closely: picture a mover uncovers moves with the background,
        while the motion filled in from around it carries some of the mover's. With witnesses on
        ``one_sided`` of the frame (a shot's end), also where that motion lands on what moving
        picture of the frame covers in the witness (:func:`.dust.covered`)."""
        g, px, seen = self.geometry, self.pixels, neighbour.seen
        doubt = cv2.dilate((neighbour.consistency < 0.5).astype(np.float32), np.ones((3, 3), np.uint8))
        seen.bridged = px.copy(seen.signal)
        seen.inside = px.mask(seen.signal.shape, True)
        bridged = self._or_camera(dust.fill_flow(neighbour.motion.to_reference, doubt), doubt, neighbour, centre)
        seen.locate = partial(g.sample_flow, bridged)
        if one_sided:
            hidden = dust.covered(neighbour.motion.to_reference, neighbour.consistency >= 0.5, bridged, doubt)
            seen.covered = g.enlarge(hidden.astype(np.float32), px) > 0.5
        ys, xs = nonzero(g.enlarge(doubt) > 0.0)
        if ys.size == 0:
            return
        x, y = g.sample_flow(bridged, ys, xs)
        at = px.upload(ys), px.upload(xs)
        seen.bridged[at] = px.upload(sample_points(neighbour.plate.v, x, y, INTERPOLATION)) * seen.gain[at]
        seen.inside[at] = px.upload(inside_points(x, y, g.height, g.width))

    def _or_camera(
        self, filled: np.ndarray, doubt: np.ndarray, neighbour: _Neighbour, centre: RestoreFrame
    ) -> np.ndarray:
        """The working-scale ``filled`` flow with the camera's motion (the median flow of the pixels
        whose flows agree both ways) in the ``doubt`` pixels where it shows the centre frame more
        closely, judged at the working scale with the witness's exposure matched."""
        sure = neighbour.consistency[::4, ::4] > 0.5
        ys, xs = nonzero(doubt > 0)
        if not sure.any() or ys.size == 0:
            return filled
        camera = camera_motion(neighbour.motion.to_reference, sure)
        gain = np.float32(self.pixels.download(neighbour.seen.gain[::16, ::16]).mean())  # smooth: its mean will do
        x, y = xs.astype(np.float32), ys.astype(np.float32)
        here, small = centre.small[ys, xs], neighbour.plate.small
        by_fill = sample_points(small, x + filled[ys, xs, 0], y + filled[ys, xs, 1], cv2.INTER_LINEAR) * gain
        by_camera = sample_points(small, x + camera[0], y + camera[1], cv2.INTER_LINEAR) * gain
        closer = np.abs(by_camera - here) < np.abs(by_fill - here)
        out = filled.copy()
        out[ys[closer], xs[closer]] = camera
        return out

    def _denoise(self, signal: Array, seen: Iterable[dust.Seen], sigma: Array) -> Array:
        s, px = self.settings, self.pixels
        if s.grain <= 0:
            return signal
        variance = sigma * sigma
        fused, left = self._temporal_average(signal, seen, variance)
        fused = denoise.smooth_spatially(fused, left, s.grain, px)
        if s.grain_keep > 0:
            fused += s.grain_keep * (signal - fused)
        return fused

    def _temporal_average(self, signal: Array, seen: Iterable[dust.Seen], variance: Array) -> tuple[Array, Array]:
        """``signal`` averaged with its ``seen`` neighbours (each weighed by how well its patches
        match the frame's, :class:`.denoise.TemporalWeight`), and the grain variance left in the
        average. A method of its own so that the neighbours and the weights' planes are let go
        before the spatial filters run (at 4K, a neighbour and its patch distance are 140 MB)."""
        px = self.pixels
        total = px.copy(signal)
        weights = px.ones(signal.shape)
        temporal_weight = denoise.TemporalWeight(signal, variance, self.settings.grain, px)
        for other in seen:
            weight = temporal_weight(other.distance(signal, px), other.valid, other.as_is)
            total += weight * other.signal
            weights += weight
        total /= weights
        return total, variance / weights

    def _repair(
        self,
        result: Array,
        signal: np.ndarray,
        spots: np.ndarray,
        neighbours: list[tuple[RestoreFrame, Motion, Array]],
        sigma: Array,
    ) -> Array:
        """Replace the ``spots`` of ``result`` by the median of the ``neighbours`` (each a plate, the
        motion from the current frame into it, and its exposure gain) through filled-in motion.

        The median still holds grain (about sqrt(pi / 2k) of it for k neighbours) where the
        denoised surroundings hold less: it is smoothed by the same edge-preserving filter as they
        are, for its own grain, so a repair is as grainy as the picture around it (neither a flat
        patch nor a noisier one). ``signal`` and ``spots`` are on the host; the repaired pixels are
        sampled there and written into ``result`` on the pixel backend.
        """
        g, px = self.geometry, self.pixels
        holes = cv2.dilate((g.shrink(spots) > 0).astype(np.float32), np.ones((5, 5), np.uint8))
        ys, xs = nonzero(spots > 0)
        at = px.upload(ys), px.upload(xs)
        values, usable = [], []
        for neighbour, motion, gain in neighbours:
            x, y = g.sample_flow(dust.fill_flow(motion.to_reference, holes), ys, xs)
            values.append(sample_points(neighbour.v, x, y, INTERPOLATION) * px.download(gain[at]))
            usable.append(inside_points(x, y, g.height, g.width).astype(np.float32))
        median, count = dust.median_of(values, usable)
        if (count == 0).any():
            fill = push_pull_fill(signal[..., None], 1.0 - spots)[..., 0]
            median = np.where(count > 0, median, fill[ys, xs])
        repaired = px.copy(result)
        repaired[at] = px.upload(median)
        if self.settings.grain > 0:  # worked out on the tiles around the spots alone
            tiles = Tiles(ys, xs, spots.shape, denoise.spatial_reach(), px)
            near = tiles.gather(sigma)
            left = near * near * np.float32(np.pi / (2.0 * len(neighbours)))
            smoothed = denoise.smooth_spatially(tiles.gather(repaired), left, self.settings.grain, px)
            repaired[at] = tiles.values(smoothed)
        alpha = px.upload(spots[ys, xs])
        repaired[at] = alpha * repaired[at] + (1.0 - alpha) * result[at]
        return repaired


def camera_motion(flow: np.ndarray, sure: np.ndarray | None = None) -> np.ndarray:
    """(2,) float32 the camera's motion in an (h, w, 2) flow: the median of every fourth pixel's
    each way (of those ``sure``, (h/4, w/4) bool, where given); movers are a minority."""
    points = flow[::4, ::4].reshape(-1, 2) if sure is None else flow[::4, ::4][sure]
    return np.median(points, axis=0).astype(np.float32)


def to_linear(
    working: Array,
    before: Array,
    after: Array,
    defect: Array,
    luminance: Array,
    weights: np.ndarray,
    gain: Array | None,
    pixels: Pixels = OPENCV,
) -> Array:
    """Carry a signal change back to the (H, W, 3) working-space pixels (arrays of ``pixels``).

    ``before``/``after`` are the (H, W) signals (sqrt luminance) before and after repair. The
    luminance change goes onto each pixel along its own chroma; inside ``defect`` the chroma comes
    from around the defect (a neutral frame stays neutral). ``luminance`` (H, W) is the frame's with
    the working space's (3,) ``weights``; ``gain`` (H, W) multiplies the result.
    """
    change = after * after - before * before
    neutral = bool((working[..., 0] == working[..., 1]).all()) and bool((working[..., 1] == working[..., 2]).all())
    if neutral:  # one channel's work, copied to all three (numpy spreads a plane over channels slowly)
        grey = working[..., 0] + change
        if gain is not None:
            grey *= gain
        return pixels.float32(pixels.concatenate([grey[..., None]] * 3, axis=-1))
    ratio = chroma_ratio(working, weights, pixels=pixels)
    rgb = working + change[..., None] * ratio
    if defect.any():
        filled = push_pull_fill(ratio, 1.0 - defect, pixels=pixels)
        repaired = apply_chroma(luminance + change, filled, weights, pixels)
        rgb += defect[..., None] * (repaired - rgb)
    if gain is not None:
        rgb *= gain[..., None]
    return pixels.float32(rgb)
