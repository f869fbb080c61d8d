"""A source plate sequence as the engine sees it: frames, resolution, colour space, working pixels."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import OpenImageIO as oiio

from tinct.core.chroma import luminance
from tinct.core.colour import ColourManager
from tinct.core.errors import ImageFileError
from tinct.core.imageio import Image, is_float_spec, read_image, read_spec, spec_colorspace
from tinct.core.sequence import Sequence, find_gaps, format_frame_ranges, resolve_frames


@dataclass
class SourceFrame:
    image: Image
    working: np.ndarray  # (H, W, 3) float32 in the working (scene-linear) space
    luminance: np.ndarray  # (H, W) float32 luminance of ``working``


@dataclass(frozen=True)
class LuminanceFrame:
    """What a job that needs only a frame's luminance keeps of it: the luminance, and what its output
    copies from the source (the file's header, the channels beyond its colour)."""

    luminance: np.ndarray  # (H, W) float32
    spec: oiio.ImageSpec
    extras: dict[str, np.ndarray]  # (H, W) float32 planes by channel name, in the file's order


class SourcePlate:
    """Resolves frames and colour space once, then reads frames into the working space (thread-safe)."""

    def __init__(
        self,
        sequence: Sequence,
        requested: list[int] | None,
        colour: ColourManager,
        colorspace: str | None = None,
        role: str = "source",
        log: Callable[[str], None] = lambda _: None,
    ) -> None:
        self.sequence, self.colour, self._explicit_space = sequence, colour, colorspace
        self.frames = resolve_frames(sequence, requested, role=role)
        self.all_frames = sequence.existing_frames() if not sequence.is_single_file else self.frames
        gaps = find_gaps(self.all_frames)
        if gaps:
            missing = [f for lo, hi in gaps for f in range(lo, hi + 1)]
            log(f"{role} has gaps, frames missing: {format_frame_ranges(missing)} (motion is followed across them)")
        spec = read_spec(sequence.path(self.frames[0]), frame=self.frames[0])
        self.width, self.height = spec.width, spec.height
        self.space, self._reason = colour.source_space(colorspace, spec_colorspace(spec), is_float_spec(spec))
        log(f"{role} colour space: {self.space} ({self._reason})")
        self.weights = colour.luminance_weights()
        self._stamps: dict[int, tuple[int, int]] = {}

    def read(self, frame: int) -> SourceFrame:
        image = read_image(self.sequence.path(frame), frame=frame)
        self._check_like_first(frame, image)
        working = self._working(image)
        return SourceFrame(image, working, luminance(working, self.weights).astype(np.float32, copy=False))

    def read_luminance(self, frame: int) -> LuminanceFrame:
        """The frame's luminance and what its output copies, the rest of it let go at once."""
        source = self.read(frame)
        return LuminanceFrame(source.luminance, source.image.spec, source.image.extra_planes())

    def _working(self, image: Image) -> np.ndarray:
        """The frame's colour in the working space. A file of just R, G, B already in the working
        space lends its own pixels, read-only (a frame's memory is then held once, not twice)."""
        if image.channels == ["R", "G", "B"] and self.colour.is_identity(self.space, self.colour.working_space):
            shared = image.pixels.view()
            shared.flags.writeable = False
            return shared
        return self.colour.to_working(image.rgb(), self.space)

    def stamps(self, first: int, last: int) -> list[tuple[int, int, int]]:
        """(frame, size, mtime_ns) of every source file from ``first`` to ``last``: a changed file
        changes the identity of the output frames made from it (see tinct.core.provenance.frame_hash)."""
        frames = self.all_frames[bisect_left(self.all_frames, first) : bisect_right(self.all_frames, last)]
        for frame in frames:
            if frame not in self._stamps:
                status = self.sequence.path(frame).stat()
                self._stamps[frame] = status.st_size, status.st_mtime_ns
        return [(frame, *self._stamps[frame]) for frame in frames]

    def _check_like_first(self, frame: int, image: Image) -> None:
        """Every frame must have the first frame's size, and the colour space its own file gives it."""
        first, path = self.frames[0], self.sequence.path(frame)
        if (image.width, image.height) != (self.width, self.height):
            raise ImageFileError(
                "Frame size differs within the sequence",
                expected=f"{self.width}x{self.height} like frame {first}",
                found=f"{image.width}x{image.height}",
                repair="reformat the sequence to one resolution before Tinct",
                file=path,
                frame=frame,
            )
        space, reason = self.colour.source_space(self._explicit_space, image.colorspace_attr, image.is_float)
        if space != self.space:
            raise ImageFileError(
                "Frame of another format or colour space within the sequence",
                expected=f"{self.space} like frame {first} ({self._reason})",
                found=f"a {image.file_format} file of {image.spec.format} pixels, in {space} ({reason})",
                repair="render or convert the frame again like the others (whatever its name says, "
                "the file's bytes decide its format), or name one colour space for every frame (--source-colorspace)",
                file=path,
                frame=frame,
            )
