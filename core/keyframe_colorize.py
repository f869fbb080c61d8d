"""KeyframeColorize as a streaming job: grey sequence + colour keyframes -> colour EXR sequence.

The keyframes are painted files or, for AutoColorize, proposed by a colouriser (see
:mod:`tinct.core.keyframes`); everything below is the same for both.

The shot is cut at its keyframes into *segments*. A frame between keyframes ``k0 < t < k1`` is
coloured from both: a forward pass walks ``k0 -> t``, a backward pass ``k1 -> t``, and the frame is
joined from their two estimates at the working scale. With two cores or more the passes run side
by side, each in its own thread; they share the frames they read, the motions between them and
their estimates (see :mod:`tinct.core.interval`). On one core the backward pass runs first.
Frames before the first keyframe are walked backwards from it, frames after the last forwards.
A frame's colour depends only on its own segment, so a render split at keyframes (farm chunks) is
identical to a whole one, and a rerun recomputes only segments with frames missing.
"""

from __future__ import annotations

import itertools
from bisect import bisect_right
from collections.abc import Callable, Generator, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import numpy as np

from tinct.core.chroma import apply_chroma
from tinct.core.colour import ColourManager
from tinct.core.debris import run_folder
from tinct.core.engine import Ahead, ReadAhead, job_cores, write_all
from tinct.core.errors import ImageFileError, ParameterError
from tinct.core.flow import Motion
from tinct.core.imageio import write_exr
from tinct.core.interval import (
    BACKWARD,
    FORWARD,
    INTERVAL_MEMORY,
    Join,
    MemoryBudget,
    MotionExchange,
    Parking,
    SharedReads,
)
from tinct.core.keyframes import PaintedKeyframes, ProposedKeyframes, Proposer
from tinct.core.outputs import check_output, clamped_warning
from tinct.core.pixels import OPENCV, Pixels, join_channels
from tinct.core.propagation import Keyframe, Plate, PropagationSettings, Propagator, Track
from tinct.core.provenance import already_written, frame_hash, params_hash, provenance
from tinct.core.reference import ReferenceColorizer
from tinct.core.sequence import Sequence, format_frame_ranges
from tinct.core.source import LuminanceFrame, SourcePlate

CONFIDENCE_CHANNEL = "colorize.confidence"


# A walk from a keyframe: (frame, source, track, keyframe) for the keyframe and each frame after it
# in walking order (the track's arrays are of the request's pixel backend).
Walk = Generator[tuple[int, LuminanceFrame, Track, Keyframe], None, None]


@dataclass(frozen=True)
class OutputOptions:
    pixel_type: str = "half"
    compression: str = "zip"
    colorspace: str | None = None
    overwrite: bool = False


@dataclass(frozen=True)
class ColorizeRequest:
    """Exactly one of ``keyframes`` (painted files) and ``proposer`` (AutoColorize) is given."""

    source: Sequence
    keyframes: Sequence | None
    output: Sequence
    frames: list[int] | None = None
    source_colorspace: str | None = None
    keyframes_colorspace: str | None = None
    settings: PropagationSettings = field(default_factory=PropagationSettings)
    output_options: OutputOptions = field(default_factory=OutputOptions)
    ocio: str | None = None
    node: str = "KeyframeColorize"
    node_version: int = 1
    params: dict[str, object] = field(default_factory=dict)
    proposer: Proposer | None = None
    # Where the per-pixel work of propagation runs (OpenCV on the CPU, or torch on a device).
    pixels: Pixels = OPENCV


@dataclass(frozen=True)
class Segment:
    """Output frames coloured from the keyframes ``before`` and/or ``after`` them (None: none that side)."""

    before: int | None
    after: int | None
    frames: tuple[int, ...]


@dataclass
class JobReport:
    written: list[int]
    skipped: list[int]
    notes: list[str]


def plan_segments(frames: list[int], keys: list[int]) -> list[Segment]:
    """Cut the output ``frames`` at the sorted keyframes ``keys``: keyframes open their segment."""
    segments: list[Segment] = []
    bounds = [None, *keys, None]
    for before, after in itertools.pairwise(bounds):
        inside = tuple(f for f in frames if (before is None or f >= before) and (after is None or f < after))
        if inside:
            segments.append(Segment(before, after, inside))
    return segments


class KeyframeColorizeJob:
    """Validates a request up front (every user error before the first frame), then runs it."""

    def __init__(self, request: ColorizeRequest, log: Callable[[str], None] = lambda _: None) -> None:
        self.request = request
        self.log = log
        self.colour = ColourManager(request.ocio)
        self.plate = SourcePlate(request.source, request.frames, self.colour, request.source_colorspace, log=log)
        self.frames, self.all_source_frames = self.plate.frames, self.plate.all_frames
        self.width, self.height = self.plate.width, self.plate.height
        self._check_output_paths()
        self.keyframes = self._keyframe_source()
        self.keys = self.keyframes.frames
        options = request.output_options
        self.output_space = self.colour.resolve(options.colorspace) if options.colorspace else self.plate.space
        log(f"output colour space: {self.output_space}; OCIO config: {self.colour.name} ({self.colour.choice.reason})")
        self.weights = self.plate.weights
        self.params_hash = self._params_hash()
        self.clamped: list[int] = []  # frames written with values clamped to the half-float range
        self._segment_hashes: dict[tuple[int, int], str] = {}
        self._prepared_keys: dict[int, Keyframe] = {}
        # Makes the finished, full-size colour of frames; that uses no flow estimator, so one
        # serves every pass and thread.
        self._finisher = Propagator(request.settings, self.height, self.width, request.pixels)

    def _keyframe_source(self) -> PaintedKeyframes | ProposedKeyframes:
        req = self.request
        if req.keyframes is not None and req.proposer is None:
            return PaintedKeyframes(req.keyframes, self.plate, self.colour, req.keyframes_colorspace, log=self.log)
        if req.proposer is not None and req.keyframes is None:
            return ProposedKeyframes(req.proposer, self.plate, req.settings, log=self.log)
        raise ParameterError(
            "Colourise needs keyframes or a colouriser, not both",
            expected="painted keyframes (--keyframes) or automatic colour (a model or --reference)",
            found="both" if req.keyframes is not None else "neither",
            repair="pass --keyframes to colour from painted keyframes, or leave it out for automatic colour",
        )

    def _check_output_paths(self) -> None:
        req = self.request
        keys = req.keyframes
        check_output(
            req.output,
            self.frames,
            {
                "source": [req.source.path(f) for f in self.all_source_frames],
                "keyframes": [keys.path(f) for f in keys.existing_frames()] if keys is not None else [],
                "reference": req.proposer.inputs if req.proposer is not None else (),
            },
        )

    def _params_hash(self) -> str:
        req = self.request
        options = req.output_options
        return params_hash(
            node=req.node,
            version=req.node_version,
            params=req.params,
            source=req.source,
            source_space=self.plate.space,
            output_space=self.output_space,
            config=self.colour.name,
            pixel_type=options.pixel_type,
            compression=options.compression,
            keyframes=self.keyframes.digest(),
        )

    def frame_hash(self, frame: int) -> str:
        """The frame's identity: the parameters and the plate of its segment, from the keyframe before
        it to the one after it (or the shot's end where there is none), which its colour depends on."""
        index = bisect_right(self.keys, frame)
        first = self.keys[index - 1] if index > 0 else self.all_source_frames[0]
        last = self.keys[index] if index < len(self.keys) else self.all_source_frames[-1]
        if (first, last) not in self._segment_hashes:
            self._segment_hashes[first, last] = frame_hash(self.params_hash, self.plate.stamps(first, last))
        return self._segment_hashes[first, last]

    # -- running -------------------------------------------------------------------------------
    def is_done(self, frame: int) -> bool:
        if self.request.output_options.overwrite:
            return False
        return already_written(self.request.output.path(frame), self.frame_hash(frame))

    def run(self, progress_callback: Callable[[int, int, str], bool | None] | None = None) -> JobReport:
        segments = plan_segments(self.frames, self.keys)
        todo = [s for s in segments if not all(self.is_done(f) for f in s.frames)]
        skipped = [f for s in segments if s not in todo for f in s.frames]
        if skipped:
            self.log(f"already written from the same inputs and parameters, skipped: {format_frame_ranges(skipped)}")
        total = sum(len(s.frames) for s in todo)
        # One cache folder per run: farm tasks of one shot run side by side in the same output folder.
        with run_folder(self.request.output.directory, self.params_hash[:12], self.log) as cache:
            results = (item for segment in todo for item in self._colour_segment(segment, cache))
            write = partial(self._write, cache)
            written, also_done = write_all(results, write, total, self.request.node, progress_callback, self.is_done)
        skipped += also_done
        if self.clamped:
            self.log(clamped_warning(self.clamped))
        return JobReport(written=sorted(written), skipped=sorted(skipped), notes=[])

    def _keyframe(self, propagator: Propagator, frame: int, source: LuminanceFrame, plate: Plate) -> Keyframe:
        """The keyframe prepared for propagation; a keyframe closes one segment and opens the next,
        so it is prepared once for both (it depends on its own frame only)."""
        if frame not in self._prepared_keys:
            self._prepared_keys[frame] = self._prepare_keyframe(propagator, frame, source, plate)
        return self._prepared_keys[frame]

    def _prepare_keyframe(self, propagator: Propagator, frame: int, source: LuminanceFrame, plate: Plate) -> Keyframe:
        key_luminance, key_chroma, certainty = self.keyframes.colour_of(frame, source)
        return propagator.keyframe(
            frame, plate, key_luminance, key_chroma, self._texture_matcher(key_luminance, key_chroma), certainty
        )

    def _texture_matcher(self, key_luminance: np.ndarray, key_chroma: np.ndarray) -> ReferenceColorizer | None:
        """The keyframe as a reference photograph, for content its tracking never reaches; None
        for a keyframe with too little colour to match (the carried colour continues there)."""
        try:
            return ReferenceColorizer(apply_chroma(key_luminance, key_chroma, self.weights), self.colour)
        except ImageFileError:
            return None

    def _colour_segment(self, segment: Segment, cache: Path) -> Iterator[tuple[int, tuple[LuminanceFrame, np.ndarray]]]:
        """Yield (frame, (source, colour)) for every frame of the segment: colour (H, W, 4) is its
        chroma ratio and confidence."""
        # Only this segment's keyframes stay prepared: memory does not grow with the shot.
        self._prepared_keys = {k: v for k, v in self._prepared_keys.items() if k in (segment.before, segment.after)}
        before, after, frames = segment.before, segment.after, segment.frames
        if before is not None and after is not None:
            yield from self._colour_interval(segment, cache)
            return
        if after is not None:  # leading frames: walked backwards from the first keyframe
            walk = self._walk(after, [f for f in self.all_source_frames if frames[0] <= f < after][::-1], None)
        elif before is not None:  # trailing frames: walked forwards from the last keyframe
            walk = self._walk(before, [f for f in self.all_source_frames if before < f <= frames[-1]], None)
        else:
            raise AssertionError("a segment has a keyframe on at least one side")
        wanted = set(frames)
        for frame, source, track, key in walk:
            if frame in wanted:
                yield frame, (source, self._finished(track, key))

    def _colour_interval(
        self, segment: Segment, cache: Path
    ) -> Iterator[tuple[int, tuple[LuminanceFrame, np.ndarray]]]:
        """The frames between two keyframes: a forward pass from the keyframe before and a backward
        pass from the one after, joined per frame. With two cores or more the passes run side by side;
        frames are then finished from the middle of the interval outwards."""
        before, after, frames = segment.before, segment.after, segment.frames
        assert before is not None and after is not None
        # The forward pass walks from the keyframe before, whichever frames are wanted, so any range
        # of frames gets the pixels a whole render gives; the backward pass stops short of the
        # keyframe before, whose colour is its own (wanted alone, it is the forward pass's first frame).
        between = set(frames) - {before}
        forward = [f for f in self.all_source_frames if before < f <= frames[-1]]
        backward = [f for f in self.all_source_frames if between and min(between) <= f < after][::-1]
        budget = MemoryBudget(INTERVAL_MEMORY)
        parking = Parking(cache, budget)
        walks = [before, *forward], [after, *backward]  # each from its keyframe
        motions = MotionExchange(parking, *walks)
        reads = SharedReads(self._read_plate, *walks, budget)
        join = Join(parking, before if before in frames else None, self._finisher)
        span = after - before
        walk_forward = self._walk(before, forward, motions, reads.read)
        passes = [partial(self._run_pass, join, FORWARD, walk_forward, set(frames), span)]
        if between:
            walk_backward = self._walk(after, backward, motions, reads.read)
            passes.append(partial(self._run_pass, join, BACKWARD, walk_backward, between, span))
        with ThreadPoolExecutor(max_workers=min(2, job_cores()), thread_name_prefix="tinct-pass") as pool:
            try:
                # Backward first: on one core it runs whole before the forward pass, as frames are written in order.
                for run_pass in passes[::-1]:
                    pool.submit(run_pass)
                yield from join.finished(len(passes))
            finally:
                join.close()

    def _run_pass(self, join: Join, direction: str, walk: Walk, wanted: set[int], span: int) -> None:
        """Walk one pass of an interval, handing each wanted frame's estimate to ``join``; the first
        exception goes to ``join`` too (raised where the frames are taken)."""
        try:
            for frame, source, track, key in walk:
                if join.stopped:
                    break
                if frame in wanted:
                    join.deliver(frame, direction, source, track, key, 1.0 - abs(frame - track.key) / span)
        except BaseException as error:
            join.fail(error)
        finally:
            walk.close()
            join.done()

    def _walk(
        self,
        key_frame: int,
        frames: list[int],
        motions: MotionExchange | None,
        read: Callable[[int], tuple[LuminanceFrame, Plate]] | None = None,
    ) -> Walk:
        """Walk from the keyframe ``key_frame`` over ``frames`` (in walking order): (frame, source,
        track, keyframe) for the keyframe and each frame. Frames are read with their plates (by
        ``read``, default :meth:`_read_plate`) and motions made a step ahead, beside the propagation;
        ``motions`` shares the motions with the interval's other pass."""
        propagator = Propagator(self.request.settings, self.height, self.width, self.request.pixels)
        # One frame ahead, read and prepared: the interval's two walks may run at once.
        reader = iter(ReadAhead(read or self._read_plate, [key_frame, *frames], depth=1))
        _, (source, plate) = next(reader)
        key = self._keyframe(propagator, key_frame, source, plate)
        track = propagator.start(key)
        yield key_frame, source, track, key
        # A flow estimator serves one thread: the walk ahead has its own propagator.
        walker = Propagator(self.request.settings, self.height, self.width)
        for frame, source, current, motion in Ahead(_walk_ahead(walker, reader, key_frame, plate, motions), depth=1):
            track = propagator.step(track, plate, current, key, motion)
            plate = current
            yield frame, source, track, key

    def _read_plate(self, frame: int) -> tuple[LuminanceFrame, Plate]:
        """A source frame, and its plate for tracking."""
        source = self.plate.read_luminance(frame)
        # (Any reader thread may use the finisher here: making a plate touches no flow estimator.)
        return source, self._finisher.plate(source.luminance)

    def _finished(self, track: Track, key: Keyframe) -> np.ndarray:
        """The finished colour of a frame that one pass alone colours, on the host."""
        return self.request.pixels.download(self._finisher.colour(track, key))

    def _write(self, cache: Path, frame: int, source: LuminanceFrame, colour: np.ndarray) -> None:
        """Write one frame from its (H, W, 4) chroma ratio and confidence."""
        coloured = apply_chroma(source.luminance, colour, self.weights)  # RGB, then the confidence
        # A confidence from an earlier colorize upstream is replaced by this run's, not duplicated.
        extras = {name: plane for name, plane in source.extras.items() if name != CONFIDENCE_CHANNEL}
        pixels = coloured
        if extras or not self.colour.is_identity(self.colour.working_space, self.output_space):
            rgb = self.colour.from_working(coloured[..., :3], self.output_space)
            pixels = join_channels([rgb, *(plane[..., None] for plane in extras.values()), coloured[..., 3:]])
        req = self.request
        attributes = provenance(
            node=req.node,
            params=req.params,
            source=req.source.path(frame),
            frame=frame,
            colour=self.colour,
            output_space=self.output_space,
            params_hash=self.params_hash,
            identity=self.frame_hash(frame),
        )
        attributes["tinct:keyframes"] = format_frame_ranges(self.keys)
        if write_exr(
            req.output.path(frame),
            pixels,
            ["R", "G", "B", *extras, CONFIDENCE_CHANNEL],
            template=source.spec,
            pixel_type=req.output_options.pixel_type,
            compression=req.output_options.compression,
            attributes=attributes,
            scratch=cache,
        ):
            self.clamped.append(frame)


def _walk_ahead(
    walker: Propagator,
    frames: Iterator[tuple[int, tuple[LuminanceFrame, Plate]]],
    previous: int,
    plate: Plate,
    motions: MotionExchange | None,
) -> Iterator[tuple[int, LuminanceFrame, Plate, Motion]]:
    """The frames of a walk from ``previous`` (whose plate is ``plate``), each with its plate and the
    motion to it from the frame before: from ``motions`` where the other pass made it, else computed."""
    for frame, (source, current) in frames:
        if motions is None:
            motion = walker.motion(plate, current)
        else:
            motion = motions.between(walker, (previous, plate), (frame, current))
        yield frame, source, current, motion
        previous, plate = frame, current
