"""`tinct info SRC`: what Tinct sees in a sequence (frames, gaps, channels, colour) before any render.

Every frame is checked (its header, and its first and last rows of pixels: a truncated file lacks
them): a frame that cannot be read, whose format is not the one its name says, or whose resolution
differs from the first frame's is named, and the command exits 2."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from tinct.core.colour import ColourManager
from tinct.core.errors import ImageFileError, SequenceError
from tinct.core.imageio import formats_named, is_float_spec, read_header, spec_colorspace
from tinct.core.sequence import Sequence, find_gaps, format_frame_ranges, parse_sequence, resolve_frames

if TYPE_CHECKING:
    import OpenImageIO as oiio


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("info", help="describe a sequence, or list the OCIO config's colour spaces")
    parser.add_argument("source", metavar="SRC", nargs="?", help="sequence pattern or file")
    parser.add_argument("--colorspaces", action="store_true", help="list the colour spaces of the OCIO config")
    parser.add_argument("--ocio", metavar="CONFIG", help="OCIO config path or ocio:// URI")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    colour = ColourManager(args.ocio)
    print(f"OCIO config: {colour.name} ({colour.choice.reason}); working space {colour.working_space}")
    if args.colorspaces:
        for name in colour.colorspace_names():
            print(f"  {name}")
    if not args.source:
        return 0
    seq = parse_sequence(args.source)
    frames = resolve_frames(seq, None)
    print(f"sequence: {seq.display()}")
    print(f"frames:   {format_frame_ranges(frames)} ({len(frames)})")
    gaps = find_gaps(frames)
    if gaps:
        print("gaps:     " + ", ".join(f"{lo}-{hi}" if lo != hi else str(lo) for lo, hi in gaps))
    first, problems = _check_frames(seq, frames)
    if first is not None:
        frame, spec = first
        window = f"data {spec.width}x{spec.height}+{spec.x}+{spec.y}, display {spec.full_width}x{spec.full_height}+{spec.full_x}+{spec.full_y}"
        print(f"image:    {window}, {spec.format}, channels {', '.join(spec.channelnames)} (frame {frame})")
        space, reason = colour.source_space(None, spec_colorspace(spec), is_float_spec(spec))
        print(f"colour:   {space} ({reason})")
        for attribute in spec.extra_attribs:
            if attribute.name.startswith("tinct:"):
                print(f"{attribute.name}: {attribute.value}")
    if problems:
        raise SequenceError(
            f"{len(problems)} of {len(frames)} frame(s) have problems",
            expected="every frame complete, in the format its name says, at one resolution",
            found="\n            ".join(problems),
            repair="render or copy again the frames that are truncated or unreadable; convert the files whose format "
            "differs from their name (or rename them); reformat the sequence to one resolution",
            file=seq.display(),
        )
    print(f"checked:  every frame's header and its first and last rows of pixels ({len(frames)} frame(s)), no problems")
    return 0


def _check_frames(seq: Sequence, frames: list[int]) -> tuple[tuple[int, oiio.ImageSpec] | None, list[str]]:
    """The first readable frame and its header, and a line naming each frame with a problem."""
    first: tuple[int, oiio.ImageSpec] | None = None
    problems = []
    for frame in frames:
        path = seq.path(frame)
        try:
            spec, file_format = read_header(path, frame=frame)
        except ImageFileError as error:
            problems.append(f"frame {frame} ({path}): {error.title[0].lower()}{error.title[1:]}: {error.found}")
            continue
        if file_format not in formats_named(path):
            problems.append(
                f"frame {frame} ({path}): a {file_format} file named {path.suffix or 'without an extension'}"
            )
        if first is None:
            first = (frame, spec)
        elif _size(spec) != _size(first[1]):
            problems.append(f"frame {frame} ({path}): {_size(spec)}, frame {first[0]} is {_size(first[1])}")
    return first, problems


def _size(spec: oiio.ImageSpec) -> str:
    return f"data {spec.width}x{spec.height}, display {spec.full_width}x{spec.full_height}"
