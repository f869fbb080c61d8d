"""A source plate sequence as the engine sees it: frames, resolution, colour space, working pixels."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from tinct.core.chroma import luminance
from tinct.core.colour import ColourManager
from tinct.core.imageio import Image, is_float_spec, read_image, read_spec, spec_colorspace
from tinct.core.sequence import Sequence, find_gaps, format_frame_ranges, resolve_frames


@dataclass
class SourceFrame:
    image: Image
    working: np.ndarray      # (H, W, 3) float32 in the working (scene-linear) space
    luminance: np.ndarray    # (H, W) float32 luminance of ``working``


class SourcePlate:
    """Resolves frames and colour space once, then reads frames into the working space (thread-safe)."""

    def __init__(
        self, sequence: Sequence, requested: list[int] | None, colour: ColourManager,
        colorspace: str | None = None, role: str = "source", log: Callable[[str], None] = lambda _: None,
    ) -> None:
        self.sequence, self.colour = sequence, colour
        self.frames = resolve_frames(sequence, requested, role=role)
        self.all_frames = sequence.existing_frames() if not sequence.is_single_file else self.frames
        gaps = find_gaps(self.all_frames)
        if gaps:
            missing = [f for lo, hi in gaps for f in range(lo, hi + 1)]
            log(f"{role} has gaps, frames missing: {format_frame_ranges(missing)} (motion is followed across them)")
        spec = read_spec(sequence.path(self.frames[0]), frame=self.frames[0])
        self.width, self.height = spec.width, spec.height
        self.space, reason = colour.source_space(colorspace, spec_colorspace(spec), is_float_spec(spec))
        log(f"{role} colour space: {self.space} ({reason})")
        self.weights = colour.luminance_weights()

    def read(self, frame: int) -> SourceFrame:
        image = read_image(self.sequence.path(frame), frame=frame)
        working = self.colour.to_working(image.rgb(), self.space)
        return SourceFrame(image, working, luminance(working, self.weights).astype(np.float32))
