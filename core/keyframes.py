"""Where a colourisation's keyframes come from: painted files, or a colouriser that proposes them.

Both kinds give the propagation the same thing for a keyframe frame: the keyframe's luminance and
its chroma ratio in the working space (see :mod:`tinct.core.chroma`), and a digest of everything
their colour depends on, so a changed keyframe invalidates the frames already written.

- :class:`PaintedKeyframes`: an EXR (or any readable) sequence named by the plate frames it colours;
  an artist painted or graded them. Only their chroma is used; the propagation registers them to
  the plate, so a slightly soft, shifted or differently exposed keyframe still works.
- :class:`ProposedKeyframes`: no keyframe exists. A colouriser (a model, or a reference photograph
  matched by texture) colours a few frames of the plate, placed where new content appears, and the
  propagation carries that colour through the shot, so it stays steady from frame to frame instead
  of flickering as a frame-by-frame colouriser does.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tinct.core.chroma import chroma_ratio, luminance
from tinct.core.colour import ColourManager
from tinct.core.engine import Progress
from tinct.core.errors import ImageFileError, SequenceError
from tinct.core.imageio import is_float_spec, read_image, read_spec, spec_colorspace
from tinct.core.keyframe_suggest import suggest_for_plate
from tinct.core.propagation import PropagationSettings
from tinct.core.sequence import Sequence, format_frame_ranges
from tinct.core.source import LuminanceFrame, SourcePlate

# (H, W) float32 working-space luminance -> (H, W, 3) float32 chroma ratio and (H, W) float32
# confidence in [0, 1]: how sure the colouriser is of each pixel's colour.
Colorizer = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]


def check_keyframes(keyframes: Sequence, source: Sequence, source_frames: list[int]) -> list[int]:
    """The frames of the ``keyframes`` files, checked: numbered, at least one, each on one of the
    sorted ``source_frames`` of ``source`` (what a render and a publish check both refuse)."""
    if keyframes.is_single_file:
        raise SequenceError(
            "Keyframes need frame numbers",
            expected="a keyframe pattern such as keys/sh010.####.exr whose files are named by the frame they colour",
            found=keyframes.pattern,
            repair="name each keyframe file with its frame number and pass the pattern",
        )
    keys = keyframes.existing_frames()
    if not keys:
        raise SequenceError(
            "No keyframes found",
            expected=f"at least one file matching {keyframes.display()}",
            found=f"no such files in {keyframes.directory}",
            repair="render or paint at least one colour keyframe, or check the pattern's padding",
        )
    lo, hi = source_frames[0], source_frames[-1]
    outside = [k for k in keys if k < lo or k > hi]
    if outside:
        raise SequenceError(
            "Keyframe outside the source range",
            expected=f"keyframes within the source frames {lo}-{hi}",
            found=f"keyframe(s) {format_frame_ranges(outside)}",
            repair="renumber the keyframe files to the source frames they were painted on, or remove them",
            file=keyframes.path(outside[0]),
            frame=outside[0],
        )
    missing = [k for k in keys if k not in set(source_frames)]
    if missing:
        raise SequenceError(
            "Keyframe on a missing source frame",
            expected="every keyframe to have its source frame",
            found=f"no source frame {format_frame_ranges(missing)}",
            repair="render the missing source frames or remove those keyframes",
            file=source.path(missing[0]),
            frame=missing[0],
        )
    return keys


@dataclass(frozen=True)
class Proposer:
    """A colouriser that proposes keyframes from the plate alone.

    Attributes:
        colourise: the colouriser; it must be deterministic (resumed and chunked renders rely on it).
        identity: what its output depends on (e.g. model name and weights sha256, or the reference
            image's digest); part of the parameter hash that decides whether a frame is done.
        interval: about one proposed keyframe per this many frames of the shot.
        description: for logs, e.g. ``model tinct-autocolor-v2``.
        inputs: the files its colour is read from (a reference photograph), which no output may overwrite.
    """

    colourise: Colorizer
    identity: str
    interval: int = 48
    description: str = ""
    inputs: tuple[Path, ...] = ()


class PaintedKeyframes:
    """Keyframe files named by the plate frame they colour; checked against the plate up front."""

    def __init__(
        self,
        sequence: Sequence,
        plate: SourcePlate,
        colour: ColourManager,
        colorspace: str | None = None,
        log: Callable[[str], None] = lambda _: None,
    ) -> None:
        self.sequence, self.plate, self.colour = sequence, plate, colour
        self.frames = self._validated_frames()
        spec = read_spec(sequence.path(self.frames[0]), frame=self.frames[0])
        self.space, reason = colour.source_space(colorspace, spec_colorspace(spec), is_float_spec(spec))
        log(f"keyframes colour space: {self.space} ({reason})")
        self._check_headers(colorspace)

    def digest(self) -> str:
        """A repainted keyframe must invalidate finished frames: hash pixels, not file dates."""
        digest = hashlib.sha256(f"painted:{self.space}".encode())
        for key in self.frames:
            image = read_image(self.sequence.path(key), frame=key)
            digest.update(json.dumps([key, image.channels]).encode())
            digest.update(image.pixels.tobytes())
        return digest.hexdigest()

    def colour_of(self, frame: int, source: LuminanceFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """(luminance (H, W), chroma ratio (H, W, 3), None) of the keyframe painted for ``frame``:
        painted colour is the artist's decision, certain everywhere."""
        image = read_image(self.sequence.path(frame), frame=frame)
        working = self.colour.to_working(image.rgb(), self.space)
        weights = self.plate.weights
        return luminance(working, weights).astype(np.float32), chroma_ratio(working, weights), None

    def _validated_frames(self) -> list[int]:
        return check_keyframes(self.sequence, self.plate.sequence, self.plate.all_frames)

    def _check_headers(self, colorspace: str | None) -> None:
        """Every keyframe has the plate's size, and the colour space its own file gives it is the first's."""
        plate = self.plate
        for key in self.frames:
            path = self.sequence.path(key)
            spec = read_spec(path, frame=key)
            if (spec.width, spec.height) != (plate.width, plate.height):
                raise ImageFileError(
                    "Keyframe resolution differs from the source",
                    expected=f"{plate.width}x{plate.height} like {plate.sequence.path(plate.frames[0])}",
                    found=f"{spec.width}x{spec.height}",
                    repair="render the keyframe at the plate's resolution (no reformat between plate and paint)",
                    file=path,
                    frame=key,
                )
            space, reason = self.colour.source_space(colorspace, spec_colorspace(spec), is_float_spec(spec))
            if space != self.space:
                raise ImageFileError(
                    "Keyframe of another format or colour space than the first",
                    expected=f"{self.space} like keyframe {self.frames[0]}",
                    found=f"{spec.format} pixels, in {space} ({reason})",
                    repair="render the keyframes alike (whatever its name says, the file's bytes decide its "
                    "format), or give their colour space explicitly (--keyframes-colorspace)",
                    file=path,
                    frame=key,
                )


class ProposedKeyframes:
    """Keyframes a colouriser proposes on frames chosen where new content appears.

    The frames are chosen over the whole source shot (not only the frames requested), with the same
    motion reliability measure as ``--suggest-keyframes``: a cut or a reveal earns a keyframe, a
    steady stretch does not. So any chunk of a farm render proposes the same keyframes, and chunked
    renders equal whole ones.
    """

    def __init__(
        self,
        proposer: Proposer,
        plate: SourcePlate,
        settings: PropagationSettings,
        log: Callable[[str], None] = lambda _: None,
    ) -> None:
        self.proposer, self.plate = proposer, plate
        self.frames = self._choose_frames(settings, log)
        # Segments run in order and meet at keyframes: each proposal is needed twice in a row.
        self._last: tuple[int, np.ndarray, np.ndarray] | None = None
        log(f"proposed keyframes ({proposer.description or 'colouriser'}): {format_frame_ranges(self.frames)}")

    def digest(self) -> str:
        return hashlib.sha256(json.dumps(["proposed", self.proposer.identity, self.frames]).encode()).hexdigest()

    def colour_of(self, frame: int, source: LuminanceFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """(luminance, chroma ratio, confidence) proposed for ``frame``: its own plate, coloured."""
        last = self._last  # one read: the two passes of an interval ask from their own threads
        if last is None or last[0] != frame:
            chroma, confidence = self.proposer.colourise(source.luminance)
            last = self._last = frame, chroma.astype(np.float32), confidence.astype(np.float32)
        return source.luminance, last[1], last[2]

    def _choose_frames(self, settings: PropagationSettings, log: Callable[[str], None]) -> list[int]:
        frames = self.plate.all_frames
        if len(frames) == 1:
            return list(frames)
        count = math.ceil(len(frames) / self.proposer.interval)
        log(f"choosing {count} keyframe(s) to propose over {len(frames)} frames")
        progress = Progress(len(frames), "choosing keyframes")
        try:
            picks = suggest_for_plate(self.plate, settings, count, frames=frames, progress=progress)
        finally:
            progress.close()
        return sorted(frame for frame, _ in picks)
