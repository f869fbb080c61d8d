"""`tinct colorize SRC -o OUT [--keyframes KEYS | --reference IMAGE]`: KeyframeColorize with painted
keyframes, AutoColorize without; flags generated from both node definitions."""

from __future__ import annotations

import argparse
import sys

from tinct.core.colour import ColourManager
from tinct.core.engine import Progress
from tinct.core.errors import ParameterError
from tinct.core.keyframe_suggest import suggest_for_plate
from tinct.core.sequence import parse_frame_range, parse_sequence
from tinct.core.source import SourcePlate
from tinct.nodes.api import Request
from tinct.nodes.auto_colorize import AUTO_COLORIZE
from tinct.nodes.definition import NodeDefinition
from tinct.nodes.keyframe_colorize import KEYFRAME_COLORIZE, propagation_settings
from tinct.plugin.cli.arguments import add_node_arguments, node_request, node_values
from tinct.plugin.cli.restore import run as run_request


def log(text: str) -> None:
    print(f"tinct: {text}", file=sys.stderr)


def register(commands: argparse._SubParsersAction) -> None:
    node, auto = KEYFRAME_COLORIZE, AUTO_COLORIZE
    parser = commands.add_parser(
        "colorize",
        help="colour a grey sequence or photograph, from colour keyframes or automatically",
        description=f"With --keyframes: {node.help}\nWithout: {auto.help}",
    )
    add_node_arguments(parser, [node, auto])
    parser.add_argument(
        "--suggest-keyframes",
        metavar="N",
        type=int,
        help="print the N frames where a new keyframe would help most (existing KEYS count), write nothing",
    )
    parser.set_defaults(run=run, request=request)


def chosen_node(args: argparse.Namespace) -> NodeDefinition:
    """KeyframeColorize with painted keyframes, AutoColorize without."""
    return KEYFRAME_COLORIZE if args.keyframes else AUTO_COLORIZE


def request(args: argparse.Namespace) -> Request:
    _check_flags(args)
    return node_request(args, chosen_node(args))


def run(args: argparse.Namespace) -> int:
    if args.suggest_keyframes is not None:
        _check_flags(args)
        return _suggest(args, node_values(args, chosen_node(args)))
    return run_request(request(args), args.workers)


def _check_flags(args: argparse.Namespace) -> None:
    """Refuse a flag that another one makes meaningless: nothing given is silently ignored."""
    own = set(KEYFRAME_COLORIZE.parameters)
    automatic = [(p.flag, getattr(args, p.name)) for p in AUTO_COLORIZE.parameters if p not in own]
    automatic += [("--reference", args.reference), ("--reference-colorspace", args.reference_colorspace)]
    if args.keyframes:
        _refuse(
            automatic,
            ("--keyframes", args.keyframes),
            "painted keyframes give the colour: leave out these flags, or --keyframes for automatic colour",
        )
    else:
        _refuse(
            [("--keyframes-colorspace", args.keyframes_colorspace)],
            ("no --keyframes", "(automatic colour)"),
            "the keyframes colour space needs --keyframes: leave it out, or give the keyframes",
        )
    if args.reference:
        _refuse(
            [("--model", args.model), ("--vibrance", args.vibrance)],
            ("--reference", args.reference),
            "the reference photograph gives the colour: leave out --model and --vibrance, or --reference to "
            "use the model",
        )
    if args.suggest_keyframes is not None:
        _refuse(
            [("-o", args.output)],
            ("--suggest-keyframes", args.suggest_keyframes),
            "--suggest-keyframes prints frames and writes nothing: leave out -o, or --suggest-keyframes to render",
        )


def _refuse(flags: list[tuple[str, object]], by: tuple[str, object], repair: str) -> None:
    given = [f"{flag} {value}" for flag, value in flags if value is not None]
    if given:
        names = ", ".join(g.split()[0] for g in given)
        raise ParameterError(
            f"{names} and {by[0]} together",
            expected=f"{by[0]} without {names}",
            found=f"{by[0]} {by[1]} with {', '.join(given)}",
            repair=repair,
        )


def _suggest(args: argparse.Namespace, values: dict) -> int:
    frames = parse_frame_range(args.frames) if args.frames else None
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
