"""`tinct colorize SRC -o OUT [--keyframes KEYS | --reference IMAGE]`: KeyframeColorize with painted
keyframes, AutoColorize without; flags generated from both node definitions."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tinct.core.colour import ColourManager
from tinct.core.engine import Progress
from tinct.core.errors import ParameterError
from tinct.core.keyframe_colorize import ColorizeRequest, KeyframeColorizeJob, OutputOptions
from tinct.core.keyframe_suggest import suggest_for_plate
from tinct.core.sequence import parse_frame_range, parse_sequence
from tinct.core.source import SourcePlate
from tinct.nodes.auto_colorize import AUTO_COLORIZE, proposer
from tinct.nodes.keyframe_colorize import KEYFRAME_COLORIZE, propagation_settings
from tinct.nodes.output import OUTPUT
from tinct.plugin.cli.arguments import add_node_parameters, node_values


def log(text: str) -> None:
    print(f"tinct: {text}", file=sys.stderr)


def register(commands: argparse._SubParsersAction) -> None:
    node, auto = KEYFRAME_COLORIZE, AUTO_COLORIZE
    parser = commands.add_parser(
        "colorize", help="colour a grey sequence or photograph, from colour keyframes or automatically",
        description=f"With --keyframes: {node.help}\nWithout: {auto.help}",
    )
    parser.add_argument(node.inputs[0].name, metavar="SRC", help=f"{node.inputs[0].help}: name.####.exr, %%04d, $F4, @@@@")
    parser.add_argument("--keyframes", metavar="KEYS", help=node.inputs[1].help)
    parser.add_argument("--reference", metavar="IMAGE", help=f"(without --keyframes) {auto.inputs[1].help}")
    parser.add_argument("--reference-colorspace", metavar="CS", help="colour space of IMAGE (default: file metadata, else role)")
    parser.add_argument("-o", "--output", metavar="OUT", help="output EXR sequence pattern")
    parser.add_argument("--frames", metavar="RANGE", help="frames to write, e.g. 1001-1100, 1001-1100x2, 1001,1005 (default: all)")
    parser.add_argument("--source-colorspace", metavar="CS", help="colour space of SRC (default: file metadata, else role)")
    parser.add_argument("--keyframes-colorspace", metavar="CS", help="colour space of KEYS (default: file metadata, else role)")
    parser.add_argument("--suggest-keyframes", metavar="N", type=int,
                        help="print the N frames where a new keyframe would help most (existing KEYS count), write nothing")
    add_output_arguments(parser)
    add_node_parameters(parser, node)
    add_node_parameters(parser, auto, skip=node.parameters)
    parser.set_defaults(run=run)


def add_output_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--output-colorspace", metavar="CS", help="colour space written (default: the source's)")
    parser.add_argument("--ocio", metavar="CONFIG", help="OCIO config path or ocio:// URI (default: $OCIO, else the built-in studio config)")
    parser.add_argument("--overwrite", action="store_true", help="rewrite frames already written with the same parameters")
    add_node_parameters(parser, OUTPUT)


def output_options(args: argparse.Namespace) -> OutputOptions:
    values = node_values(args, OUTPUT)
    return OutputOptions(
        pixel_type=str(values["pixel_type"]), compression=str(values["compression"]),
        colorspace=args.output_colorspace, overwrite=args.overwrite,
    )


def run(args: argparse.Namespace) -> int:
    automatic = not args.keyframes
    node = AUTO_COLORIZE if automatic else KEYFRAME_COLORIZE
    _check_flags(args)
    values = node_values(args, node)
    frames = parse_frame_range(args.frames) if args.frames else None
    if args.suggest_keyframes is not None:
        return _suggest(args, frames, values)
    if not args.output:
        raise ParameterError("tinct colorize needs -o/--output", expected="-o PATTERN", found="nothing",
                             repair="pass the output sequence pattern, e.g. -o out/sh010_colour.####.exr")
    request = ColorizeRequest(
        source=parse_sequence(args.source), keyframes=None if automatic else parse_sequence(args.keyframes),
        output=parse_sequence(args.output), frames=frames, source_colorspace=args.source_colorspace,
        keyframes_colorspace=args.keyframes_colorspace, settings=propagation_settings(values),
        output_options=output_options(args), ocio=args.ocio, node=node.name, node_version=node.version,
        params={**values, **({"reference": str(Path(args.reference).resolve())} if args.reference else {})},
        proposer=proposer(values, ColourManager(args.ocio), args.reference, args.reference_colorspace) if automatic else None,
    )
    report = KeyframeColorizeJob(request, log=log).run(progress_callback=args.progress_callback)
    log(f"wrote {len(report.written)} frame(s) to {request.output.display()}"
        + (f"; {len(report.skipped)} already done" if report.skipped else ""))
    return 0


def _check_flags(args: argparse.Namespace) -> None:
    """Refuse a flag that another one makes meaningless: nothing given is silently ignored."""
    own = set(KEYFRAME_COLORIZE.parameters)
    automatic = [(p.flag, getattr(args, p.name)) for p in AUTO_COLORIZE.parameters if p not in own]
    automatic += [("--reference", args.reference), ("--reference-colorspace", args.reference_colorspace)]
    if args.keyframes:
        _refuse(automatic, ("--keyframes", args.keyframes),
                "painted keyframes give the colour: leave out these flags, or --keyframes for automatic colour")
    if args.reference:
        _refuse([("--model", args.model)], ("--reference", args.reference),
                "the reference photograph gives the colour: leave out --model, or --reference to use the model")
    if args.suggest_keyframes is not None:
        _refuse([("-o", args.output)], ("--suggest-keyframes", args.suggest_keyframes),
                "--suggest-keyframes prints frames and writes nothing: leave out -o, or --suggest-keyframes to render")


def _refuse(flags: list[tuple[str, object]], by: tuple[str, object], repair: str) -> None:
    given = [f"{flag} {value}" for flag, value in flags if value is not None]
    if given:
        names = ", ".join(g.split()[0] for g in given)
        raise ParameterError(f"{names} and {by[0]} together", expected=f"{by[0]} without {names}",
                             found=f"{by[0]} {by[1]} with {', '.join(given)}", repair=repair)


def _suggest(args: argparse.Namespace, frames: list[int] | None, values: dict) -> int:
    plate = SourcePlate(parse_sequence(args.source), frames, ColourManager(args.ocio), args.source_colorspace, log=log)
    existing = parse_sequence(args.keyframes).existing_frames() if args.keyframes else []
    progress = Progress(len(plate.frames), "measuring motion")
    try:
        picks = suggest_for_plate(plate, propagation_settings(values), args.suggest_keyframes, existing, progress)
    finally:
        progress.close()
    print("frame  gain (frames' worth of confidence)")
    for frame, gain in sorted(picks):
        print(f"{frame:>5}  {gain:.2f}")
    return 0
