"""`tinct info SRC`: what Tinct sees in a sequence (frames, gaps, channels, colour) before any render."""

from __future__ import annotations

import argparse

from tinct.core.colour import ColourManager
from tinct.core.imageio import is_float_spec, read_spec, spec_colorspace
from tinct.core.sequence import find_gaps, format_frame_ranges, parse_sequence, resolve_frames


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
    spec = read_spec(seq.path(frames[0]), frame=frames[0])
    window = f"data {spec.width}x{spec.height}+{spec.x}+{spec.y}, display {spec.full_width}x{spec.full_height}+{spec.full_x}+{spec.full_y}"
    print(f"image:    {window}, {spec.format}, channels {', '.join(spec.channelnames)}")
    space, reason = colour.source_space(None, spec_colorspace(spec), is_float_spec(spec))
    print(f"colour:   {space} ({reason})")
    for attribute in spec.extra_attribs:
        if attribute.name.startswith("tinct:"):
            print(f"{attribute.name}: {attribute.value}")
    return 0
