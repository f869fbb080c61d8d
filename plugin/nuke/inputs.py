"""What a Tinct node's inputs see, as EXR sequences the engine can read.

An input fed straight by a Read of EXR files that Nuke does not convert (raw, or the EXR default
of the working space) and that covers the frames is handed to the engine as is. Anything else is
rendered once, through a temporary Write, to an EXR sequence of the working-space pixels.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import nuke

from tinct.core.errors import CancelledError, TinctError
from tinct.core.sequence import parse_sequence


class InputRenderError(TinctError):
    """Nuke could not render what feeds one of a Tinct node's inputs."""


def contiguous_runs(frames: Sequence[int]) -> list[tuple[int, int]]:
    """Sorted ``frames`` as (first, last) runs, e.g. [1, 2, 3, 7] -> [(1, 3), (7, 7)]."""
    runs: list[tuple[int, int]] = []
    for frame in sorted(set(frames)):
        if runs and frame == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], frame)
        else:
            runs.append((frame, frame))
    return runs


def reusable_read(upstream: nuke.Node, frames: Sequence[int]) -> str | None:
    """The file pattern of ``upstream`` if it is a Read whose EXR pixels reach Nuke unchanged on
    all of ``frames``; None when the input must be rendered."""
    if upstream.Class() != "Read":
        return None
    path = nuke.filename(upstream)
    if not path or not path.lower().endswith(".exr"):
        return None
    offset, raw, colorspace = (upstream.knob(name) for name in ("frame", "raw", "colorspace"))
    if offset is not None and str(offset.value()).strip():
        return None  # the Read renumbers frames: file numbers are not comp frames
    unconverted = (raw is not None and bool(raw.value())) or (
        colorspace is not None and str(colorspace.value()).startswith("default")
    )
    if not unconverted:
        return None
    span = upstream.frameRange()
    if not (span.first() <= min(frames) and max(frames) <= span.last()):
        return None
    return path


def render_upstream(group: nuke.Node, index: int, pattern: str, frames: Sequence[int]) -> None:
    """Render what feeds ``group``'s input ``index`` on ``frames`` to the EXR sequence ``pattern``
    (32-bit float working-space pixels, RGBA). ``pattern`` is Tinct's own cache: files of it on
    other frames are removed."""
    upstream = group.input(index)
    if upstream is None:
        raise InputRenderError(f"{group.name()} input {index} is not connected")
    sequence = parse_sequence(pattern)
    sequence.directory.mkdir(parents=True, exist_ok=True)
    for dropped in set(sequence.existing_frames()) - set(frames):
        sequence.path(dropped).unlink()  # a frame dropped from a keyframe list must not stay a keyframe
    with group.parent():
        write = nuke.nodes.Write(file=Path(pattern).as_posix(), file_type="exr", raw=True, channels="rgba")
    try:
        write["datatype"].setValue("32 bit float")
        write.setInput(0, upstream)
        for first, last in contiguous_runs(frames):
            nuke.execute(write, first, last, 1)
    except RuntimeError as failure:  # how nuke.execute reports both a cancel and a render error
        if "cancel" in str(failure).lower():
            raise CancelledError(
                "Stopped by the user while rendering the inputs", repair="press Process again"
            ) from failure
        raise InputRenderError(
            f"Nuke could not render the input of {group.name()} from {upstream.name()}",
            expected="an upstream tree that renders on every frame of the range",
            found=str(failure),
            repair="fix the error shown on the upstream nodes, or narrow the frame range",
        ) from failure
    finally:
        nuke.delete(write)
