"""KeyframeColorize as a streaming job: grey sequence + colour keyframes -> colour EXR sequence.

The keyframes are painted files or, for AutoColorize, proposed by a colouriser (see
:mod:`tinct.core.keyframes`); everything below is the same for both.

The shot is cut at its keyframes into *segments*. A frame between keyframes ``k0 < t < k1`` is
coloured from both: a backward pass walks ``k1 -> t`` and parks its estimates on disk (half-float
chroma and confidence), then a forward pass walks ``k0 -> t``, joins both estimates and writes the
frame. Frames before the first keyframe are walked backwards from it, frames after the last
forwards. A frame's colour depends only on its own segment, so a render split at keyframes (farm
chunks) is identical to a whole one, and a rerun recomputes only segments with frames missing.
"""

from __future__ import annotations

import itertools
from bisect import bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import numpy as np

from tinct.core.chroma import apply_chroma
from tinct.core.colour import ColourManager
from tinct.core.debris import run_folder
from tinct.core.engine import Ahead, ReadAhead, write_all
from tinct.core.errors import ImageFileError, ParameterError
from tinct.core.flow import Motion
from tinct.core.imageio import write_exr
from tinct.core.keyframes import PaintedKeyframes, ProposedKeyframes, Proposer
from tinct.core.outputs import check_output, clamped_warning
from tinct.core.propagation import (
    Keyframe,
    Plate,
    PropagationSettings,
    Propagator,
    blend,
)
from tinct.core.provenance import already_written, frame_hash, params_hash, provenance
from tinct.core.reference import ReferenceColorizer
from tinct.core.sequence import Sequence, format_frame_ranges
from tinct.core.source import SourceFrame, SourcePlate

CONFIDENCE_CHANNEL = "colorize.confidence"


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

    def _keyframe(self, propagator: Propagator, frame: int, source: SourceFrame, plate: Plate) -> Keyframe:
        """The keyframe prepared for propagation; a keyframe closes one segment and opens the next,
        so it is prepared once for both (it depends on its own frame only)."""
        if frame not in self._prepared_keys:
            self._prepared_keys[frame] = self._prepare_keyframe(propagator, frame, source, plate)
        return self._prepared_keys[frame]

    def _prepare_keyframe(self, propagator: Propagator, frame: int, source: SourceFrame, plate: Plate) -> Keyframe:
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

    def _colour_segment(
        self, segment: Segment, cache: Path
    ) -> Iterator[tuple[int, tuple[SourceFrame, np.ndarray, np.ndarray]]]:
        """Yield (frame, (source, chroma, confidence)) for every frame of the segment."""
        propagator = Propagator(self.request.settings, self.height, self.width)
        # Only this segment's keyframes stay prepared: memory does not grow with the shot.
        self._prepared_keys = {k: v for k, v in self._prepared_keys.items() if k in (segment.before, segment.after)}
        before, after, frames = segment.before, segment.after, segment.frames
        backward = [f for f in self.all_source_frames if frames[0] <= f < after][::-1] if after is not None else []
        forward = [f for f in self.all_source_frames if before <= f <= frames[-1]] if before is not None else []
        plan = ([after] if after is not None else []) + backward + forward
        reader = iter(ReadAhead(self.plate.read, plan))
        span = (after - before) if before is not None and after is not None else None
        wanted = set(frames)

        def temporal_weight(frame: int, key: int) -> float:
            return 1.0 if span is None else 1.0 - abs(frame - key) / span

        if after is not None:
            _, source = next(reader)
            plate = propagator.plate(source.luminance)
            key = self._keyframe(propagator, after, source, plate)
            track = propagator.start(key)
            # Plates and flows of the walk are made a step ahead, beside the propagation; the
            # forward pass steps between the same two frames, so their motion is kept for it.
            walker = Propagator(self.request.settings, self.height, self.width)
            keep = partial(_park_motion, cache) if before is not None else None
            for frame, source, current, motion in Ahead(_backward_walk(walker, reader, plate, len(backward), keep)):
                track = propagator.step(track, plate, current, key, motion)
                plate = current
                if frame not in wanted:
                    continue
                if before is None:  # leading frames: the backward pass is all there is
                    yield frame, (source, track.chroma, track.confidence)
                else:
                    _park(cache, frame, "estimate", np.dstack([track.chroma, track.confidence]))
        if before is None:
            return
        # The forward pass walks from the keyframe before, whichever frames are wanted, so any range
        # of frames gets the pixels a whole render gives; only wanted frames were parked and are joined.
        walker = Propagator(self.request.settings, self.height, self.width)
        for frame, source, current, parked in Ahead(_forward_walk(walker, reader, cache)):
            if frame == before:
                key = self._keyframe(propagator, before, source, current)
                track = propagator.start(key)
            else:
                track = propagator.step(track, plate, current, key, parked)
            plate = current
            if frame not in wanted:
                continue
            if frame == before:
                chroma, confidence = track.chroma, track.confidence
            else:
                estimates = [(track.chroma, track.confidence, temporal_weight(frame, before))]
                if after is not None:
                    parked = _unpark(cache, frame, "estimate")
                    estimates.append((parked[..., :3], parked[..., 3], temporal_weight(frame, after)))
                chroma, confidence = blend(estimates)
            yield frame, (source, chroma, confidence)

    def _write(self, cache: Path, frame: int, source: SourceFrame, chroma: np.ndarray, confidence: np.ndarray) -> None:
        rgb_working = apply_chroma(source.luminance, chroma, self.weights)
        rgb = self.colour.from_working(rgb_working, self.output_space)
        image = source.image
        # A confidence from an earlier colorize upstream is replaced by this run's, not duplicated.
        extras = [c for c in image.extra_channels() if c != CONFIDENCE_CHANNEL]
        pixels = np.concatenate(
            [rgb, *(image.pixels[..., image.index(c), None] for c in extras), confidence[..., None]], axis=-1
        )
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
            template=image.spec,
            pixel_type=req.output_options.pixel_type,
            compression=req.output_options.compression,
            attributes=attributes,
            scratch=cache,
        ):
            self.clamped.append(frame)


def _backward_walk(
    walker: Propagator,
    frames: Iterator[tuple[int, SourceFrame]],
    plate: Plate,
    count: int,
    keep: Callable[[int, Motion], None] | None,
) -> Iterator[tuple[int, SourceFrame, Plate, Motion]]:
    """The next ``count`` frames of a walk from ``plate``, each with its plate and the motion to it
    from the frame before; ``keep(frame, motion)`` parks that motion for the forward pass.
    ``walker`` is the walk's own propagator (a flow estimator serves one thread)."""
    for frame, source in itertools.islice(frames, count):
        current = walker.plate(source.luminance)
        motion = walker.motion(plate, current)
        if keep is not None:
            keep(frame, motion)
        yield frame, source, current, motion
        plate = current


def _forward_walk(
    walker: Propagator, frames: Iterator[tuple[int, SourceFrame]], cache: Path
) -> Iterator[tuple[int, SourceFrame, Plate, Motion | None]]:
    """Each frame of the forward pass with its plate and the motion from the frame before: the one
    the backward pass parked, else computed (None for the first frame, the keyframe)."""
    plate: Plate | None = None
    previous: int | None = None
    for frame, source in frames:
        current = walker.plate(source.luminance)
        motion = None if plate is None else _unpark_motion(cache, previous) or walker.motion(plate, current)
        yield frame, source, current, motion
        plate, previous = current, frame


def _park_motion(cache: Path, frame: int, motion: Motion) -> None:
    """Park the backward step's motion onto ``frame`` as the forward pass will walk it."""
    forward = motion.reversed()
    _park(cache, frame, "motion", np.dstack([forward.to_reference, forward.to_target]))


def _park(cache: Path, frame: int, kind: str, array: np.ndarray) -> None:
    """Keep what the backward pass found (an estimate, a motion) on disk, in half float, until the
    forward pass reaches its frame."""
    parked = array.astype(np.float16)
    try:
        np.save(cache / f"{frame}.{kind}.npy", parked)
    except OSError as exc:
        raise ImageFileError(
            "Cannot keep the backward pass's estimates beside the output",
            expected=f"free space in {cache.parent} for about {parked.nbytes / 1e6:.1f} MB a frame "
            "between two keyframes, while they are coloured",
            found=str(exc),
            repair="free space in the output folder, or write to a folder with more, and run again: "
            "finished frames are kept",
            file=cache,
            frame=frame,
        ) from exc


def _unpark(cache: Path, frame: int, kind: str) -> np.ndarray:
    path = cache / f"{frame}.{kind}.npy"
    parked = np.load(path).astype(np.float32)
    path.unlink()
    return parked


def _unpark_motion(cache: Path, frame: int | None) -> Motion | None:
    """The motion the backward pass parked for the step after ``frame``, seen walking forwards;
    None where that pass did not walk (frames before those asked for)."""
    if frame is None or not (cache / f"{frame}.motion.npy").exists():
        return None
    parked = _unpark(cache, frame, "motion")
    return Motion(parked[..., :2], parked[..., 2:])
