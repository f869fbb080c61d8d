"""Restore as a streaming job: a damaged sequence -> a restored EXR sequence with a defect matte.

The frames to write are grouped into *runs* of source frames read in one pass: each output frame
needs ``behind`` frames before it and ``ahead`` after it (its temporal handles, cut short at scene
cuts), and overlapping needs merge. A run streams through a :class:`Restorer` whose memory is a
few frames, whatever the shot's length. Because a frame's result depends only on its handles, a
render split into chunks (``--frames``, farm tasks) equals a whole render, and a rerun restores
only the frames not yet written with the same parameters.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from tinct.core.colour import ColourManager
from tinct.core.debris import run_folder
from tinct.core.engine import ReadAhead, write_all
from tinct.core.errors import ParameterError
from tinct.core.imageio import read_spec, write_exr
from tinct.core.keyframe_colorize import JobReport, OutputOptions
from tinct.core.outputs import check_output, clamped_warning
from tinct.core.pixels import OPENCV, Pixels, join_channels
from tinct.core.provenance import already_written, frame_hash, params_hash, provenance
from tinct.core.restore.clarity import Upscaler, enlarge, scaled_spec
from tinct.core.restore.frames import RestoreFrame, infrared_channel
from tinct.core.restore.pipeline import Restored, Restorer, RestoreSettings
from tinct.core.sequence import Sequence, format_frame_ranges
from tinct.core.source import SourcePlate

DEFECT_CHANNEL = "restore.defect"


@dataclass(frozen=True)
class RestoreRequest:
    source: Sequence
    output: Sequence
    frames: list[int] | None = None
    source_colorspace: str | None = None
    settings: RestoreSettings = field(default_factory=RestoreSettings)
    output_options: OutputOptions = field(default_factory=OutputOptions)
    ocio: str | None = None
    node: str = "Restore"
    node_version: int = 1
    params: dict[str, object] = field(default_factory=dict)
    # Clarity: enlarges the restored frames; ``upscaler_id`` names it (model and weights) for
    # provenance and resume.
    upscaler: Upscaler | None = None
    upscaler_id: str = ""
    # Where the per-pixel work of restoration runs (OpenCV on the CPU, or torch on a device).
    pixels: Pixels = OPENCV


@dataclass(frozen=True)
class Run:
    """Source frames read in one pass (with handles) and the frames of them written."""

    read: tuple[int, ...]
    write: tuple[int, ...]


def plan_runs(todo: list[int], frames: list[int], behind: int, ahead: int) -> list[Run]:
    """Group the sorted ``todo`` frames into passes over the sorted source ``frames``.

    Handles count source frames (gaps in the numbering are followed across).
    """
    position = {f: i for i, f in enumerate(frames)}
    runs: list[tuple[int, int, list[int]]] = []
    for frame in todo:
        lo, hi = max(position[frame] - behind, 0), min(position[frame] + ahead, len(frames) - 1)
        if runs and lo <= runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], max(runs[-1][1], hi), runs[-1][2] + [frame])
        else:
            runs.append((lo, hi, [frame]))
    return [Run(tuple(frames[lo : hi + 1]), tuple(write)) for lo, hi, write in runs]


class RestoreJob:
    """Validates a request up front (every user error before the first frame), then runs it."""

    def __init__(self, request: RestoreRequest, log: Callable[[str], None] = lambda _: None) -> None:
        self.request = request
        self.log = log
        self.colour = ColourManager(request.ocio)
        self.plate = SourcePlate(request.source, request.frames, self.colour, request.source_colorspace, log=log)
        self.frames, self.all_source_frames = self.plate.frames, self.plate.all_frames
        self.width, self.height = self.plate.width, self.plate.height
        self._check_output_path()
        self._check_settings()
        options = request.output_options
        self.output_space = self.colour.resolve(options.colorspace) if options.colorspace else self.plate.space
        log(f"output colour space: {self.output_space}; OCIO config: {self.colour.name} ({self.colour.choice.reason})")
        self.scale = request.upscaler.scale if request.upscaler is not None else 1
        self.params_hash = self._params_hash()
        self._positions = {f: i for i, f in enumerate(self.all_source_frames)}
        self.cuts: list[int] = []
        self.clamped: list[int] = []  # frames written with values clamped to the half-float range

    # -- validation ----------------------------------------------------------------------------
    def _check_output_path(self) -> None:
        req = self.request
        check_output(req.output, self.frames, {"source": [req.source.path(f) for f in self.all_source_frames]})

    def _check_settings(self) -> None:
        s = self.request.settings
        wanted = s.infrared if s.dust else ""
        if wanted and wanted != "auto":
            path = self.request.source.path(self.frames[0])
            channels = list(read_spec(path, frame=self.frames[0]).channelnames)
            if infrared_channel(channels, wanted) is None:
                raise ParameterError(
                    "Infrared channel not in the source",
                    expected=f"a channel named {wanted!r}",
                    found="channels " + ", ".join(channels),
                    repair="name one of the source's channels, 'auto' to use one only when present, or '' for none",
                    file=path,
                    frame=self.frames[0],
                )
        upscaler = self.request.upscaler
        if upscaler is not None and (not isinstance(upscaler.scale, int) or upscaler.scale < 1):
            raise ParameterError(
                "Clarity scale must be a whole number of at least 1",
                expected="1, 2 or 4",
                found=repr(upscaler.scale),
                repair="choose another clarity model",
            )

    def _params_hash(self) -> str:
        req = self.request
        return params_hash(
            node=req.node,
            version=req.node_version,
            params=req.params,
            source=req.source,
            source_space=self.plate.space,
            output_space=self.output_space,
            config=self.colour.name,
            pixel_type=req.output_options.pixel_type,
            compression=req.output_options.compression,
            clarity=req.upscaler_id,
        )

    def frame_hash(self, frame: int) -> str:
        """The frame's identity: the parameters and the source frames of its temporal handles."""
        s, frames = self.request.settings, self.all_source_frames
        position = self._positions[frame]
        first, last = frames[max(position - s.behind, 0)], frames[min(position + s.ahead, len(frames) - 1)]
        return frame_hash(self.params_hash, self.plate.stamps(first, last))

    # -- running -------------------------------------------------------------------------------
    def is_done(self, frame: int) -> bool:
        if self.request.output_options.overwrite:
            return False
        return already_written(self.request.output.path(frame), self.frame_hash(frame))

    def run(self, progress_callback: Callable[[int, int, str], bool | None] | None = None) -> JobReport:
        todo = [f for f in self.frames if not self.is_done(f)]
        skipped = [f for f in self.frames if f not in set(todo)]
        if skipped:
            self.log(f"already written from the same inputs and parameters, skipped: {format_frame_ranges(skipped)}")
        # A run folder holds the frames being written: a killed run's partial files go with it.
        with run_folder(self.request.output.directory, self.params_hash[:12], self.log) as scratch:
            written, _ = write_all(
                self._restore(todo),
                partial(self._write, scratch),
                len(todo),
                self.request.node,
                progress_callback,
            )
        if self.clamped:
            self.log(clamped_warning(self.clamped))
        notes = [f"scene cut before frame {format_frame_ranges(sorted(set(self.cuts)))}"] if self.cuts else []
        return JobReport(written=sorted(written), skipped=sorted(skipped), notes=notes)

    def _restore(self, todo: list[int]) -> Iterator[tuple[int, tuple[Restored]]]:
        s = self.request.settings
        for run in plan_runs(todo, self.all_source_frames, s.behind, s.ahead):
            restorer = Restorer(
                s, self.height, self.width, self.plate.weights, on_cut=self._cut, pixels=self.request.pixels
            )
            reader = ReadAhead(lambda f, r=restorer: self._read(r, f), run.read)
            for restored in restorer.run((plate for _, plate in reader), set(run.write)):
                yield restored.frame, (restored,)

    def _cut(self, frame: int) -> None:
        if frame not in self.cuts:
            self.cuts.append(frame)
            self.log(f"scene cut before frame {frame}: nothing is borrowed across it")

    def _read(self, restorer: Restorer, frame: int) -> RestoreFrame:
        return restorer.prepare(frame, self.plate.read(frame))

    def _write(self, scratch: Path, frame: int, restored: Restored) -> None:
        req = self.request
        rgb_working, defect = restored.rgb, restored.defect[..., None]
        # A matte from an earlier restore upstream is replaced by this run's, not duplicated.
        extras = [c for c in restored.extras if c != DEFECT_CHANNEL]
        other = [restored.extras[c][..., None] for c in extras]
        template = restored.spec
        if req.upscaler is not None and self.scale > 1:
            rgb_working = req.upscaler(rgb_working)
            other = [enlarge(c, self.scale) for c in other]
            defect = enlarge(defect, self.scale)
            template = scaled_spec(restored.spec, self.scale)
        # (In the working space already, the restored pixels are joined as they are, not copied first.)
        same_space = self.colour.is_identity(self.colour.working_space, self.output_space)
        rgb = rgb_working if same_space else self.colour.from_working(rgb_working, self.output_space)
        pixels = join_channels([rgb, *other, defect])
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
        if req.upscaler_id:
            attributes["tinct:clarity"] = req.upscaler_id
        if write_exr(
            req.output.path(frame),
            pixels,
            ["R", "G", "B", *extras, DEFECT_CHANNEL],
            template=template,
            pixel_type=req.output_options.pixel_type,
            compression=req.output_options.compression,
            attributes=attributes,
            scratch=scratch,
        ):
            self.clamped.append(frame)
