"""What a job may write, checked up front for every node and host before the first frame is written.

An output is refused when it is not an EXR, when a job of several frames would write them all over
one file, or when any output file is any input file: a source frame, a keyframe or a reference
photograph, however the path is spelled (``..``, a symlink) and also through a hard link. Values
that half floats cannot hold are clamped on writing (tinct.core.imageio.write_exr); the job's log
names those frames (:func:`clamped_warning`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from tinct.core.errors import ParameterError, SequenceError
from tinct.core.imageio import HALF_MAX
from tinct.core.sequence import Sequence, format_frame_ranges


def check_output(output: Sequence, frames: list[int], inputs: Mapping[str, Iterable[Path]]) -> None:
    """Refuse an output that is not EXR, names an input file, or has no frame token for several ``frames``.

    ``inputs`` maps a role ("source", "keyframes", "reference") to every file of it the job reads.
    """
    name = output.prefix if output.is_single_file else output.suffix
    extension = name[name.rfind(".") :] if "." in name else ""
    if extension.lower() != ".exr":
        raise ParameterError(
            "Tinct writes EXR files only",
            expected="an output name ending in .exr",
            found=f"{output.display()} ends in {extension!r}" if extension else f"{output.display()} has no extension",
            repair=f"write EXR, e.g. -o {_suggestion(output)}, and convert the frames afterwards if another "
            "format is needed",
            file=output.display(),
        )
    real_dirs: dict[Path, Path] = {}
    owners: dict[object, tuple[str, Path]] = {}
    for role, paths in inputs.items():
        for path in paths:
            for key in _identities(path, real_dirs):
                owners.setdefault(key, (role, path))
    # A single file is the same path for every frame: check it once, and name no frame.
    targets = {output.path(frame): None if output.is_single_file else frame for frame in frames}
    for target, frame in targets.items():
        for key in _identities(target, real_dirs):
            if key in owners:
                role, path = owners[key]
                raise SequenceError(
                    f"Output would overwrite the {role}",
                    expected=f"output files apart from every input file ({role} included)",
                    found=f"output {target} is the {role} file {path}",
                    repair="write to another folder or name, e.g. add _v2 before the frame number",
                    file=target,
                    frame=frame,
                )
    if output.is_single_file and len(frames) > 1:
        raise SequenceError(
            "Output has no frame number",
            expected="a frame token in the output name when more than one frame is written",
            found=f"{output.display()} for {len(frames)} frames ({format_frame_ranges(frames)})",
            repair=f"add a frame token before the extension, e.g. -o {_suggestion(output)}",
            file=output.display(),
        )


def _identities(path: Path, real_dirs: dict[Path, Path]) -> list[object]:
    """The canonical path of ``path`` (its folder resolved once) and, when it exists, its (device, inode)."""
    folder = real_dirs.get(path.parent)
    if folder is None:
        folder = real_dirs[path.parent] = path.parent.resolve()
    keys: list[object] = [os.path.normcase(folder / path.name)]
    try:
        status = path.stat()  # follows a symlinked file to the file it names
    except OSError:
        return keys
    if status.st_ino:  # some network file systems give no inode numbers
        keys.append((status.st_dev, status.st_ino))
    return keys


def _suggestion(output: Sequence) -> str:
    """The output's name with a frame token (where it has none) and the extension .exr."""
    name = Path(output.display()).name
    base, dot, extension = name.rpartition(".")
    if not dot or "#" in extension:
        base = name
    return str(output.directory / f"{base}{'.####' if output.is_single_file else ''}.exr")


def clamped_warning(frames: list[int]) -> str:
    """The job log's line for frames whose values half floats cannot hold (see write_exr)."""
    return (
        f"values beyond the half-float range were clamped to +-{HALF_MAX:g} in frame(s) "
        f"{format_frame_ranges(frames)}; pass --pixel-type float to keep them"
    )
