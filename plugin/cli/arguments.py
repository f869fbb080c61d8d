"""argparse arguments generated from node definitions, and the request a parsed command line makes,
so the CLI never restates an input or a parameter."""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Mapping

from tinct.core.engine import available_cores
from tinct.core.errors import ParameterError
from tinct.core.sequence import parse_frame_range
from tinct.nodes.api import Request
from tinct.nodes.definition import DEVICES, NodeDefinition, Parameter, Value
from tinct.nodes.output import OUTPUT


def add_node_arguments(parser: argparse.ArgumentParser, nodes: Iterable[NodeDefinition]) -> None:
    """The inputs (the first positional SRC, the others ``--<input>``), their colour spaces, the output
    and frame range, where the work runs, and every parameter of ``nodes`` (commands that run one of
    several nodes, like colorize, list them all)."""
    nodes = list(nodes)
    seen: set[str] = set()
    for node in nodes:
        for index, spec in enumerate(node.inputs):
            if spec.name in seen:
                continue
            seen.add(spec.name)
            if index == 0:
                parser.add_argument(
                    spec.name, metavar="SRC", help=f"{_literal(spec.help)}: name.####.exr, %%04d, $F4, @@@@"
                )
            else:
                parser.add_argument(spec.flag, dest=spec.name, metavar=spec.name.upper(), help=_literal(spec.help))
            parser.add_argument(
                spec.colorspace_flag,
                dest=spec.colorspace,
                metavar="CS",
                help=f"colour space of the {spec.name} input (default: file metadata, else role)",
            )
    parser.add_argument("-o", "--output", metavar="OUT", help="output EXR sequence pattern")
    parser.add_argument(
        "--frames", metavar="RANGE", help="frames to write, e.g. 1001-1100, 1001-1100x2, 1001,1005 (default: all)"
    )
    parser.add_argument("--output-colorspace", metavar="CS", help="colour space written (default: the source's)")
    parser.add_argument(
        "--ocio",
        metavar="CONFIG",
        help="OCIO config path or ocio:// URI (default: $OCIO, else the built-in studio config)",
    )
    parser.add_argument(
        "--overwrite", action="store_true", help="rewrite frames already written with the same parameters"
    )
    parser.add_argument(
        "--device",
        choices=DEVICES,
        default="auto",
        help="where networks and the per-pixel work run (default: auto, a CUDA GPU when torch sees one)",
    )
    add_workers_argument(parser)
    add_node_parameters(parser, OUTPUT)
    added: list[Parameter] = []
    for node in nodes:
        add_node_parameters(parser, node, skip=added)
        added += node.parameters


def add_node_parameters(parser: argparse.ArgumentParser, node: NodeDefinition, skip: Iterable[Parameter] = ()) -> None:
    """One flag per parameter of ``node``, except those in ``skip`` (already added for a sibling node)."""
    skipped = list(skip)
    group = parser.add_argument_group(f"{node.name} parameters (v{node.version})")
    for p in node.parameters:
        if p not in skipped:
            _add(group, p)


def _add(group: argparse._ArgumentGroup, p: Parameter) -> None:
    # Values are checked by the definition (one message naming node, parameter and range), not by
    # argparse; booleans take a value too (--flag true|false), as NodeDefinition.command_line writes them,
    # and alone mean true (--stabilise).
    choices = p.choices or (("true", "false") if p.type is bool else ())
    metavar = "{" + ",".join(str(c) for c in choices) + "}" if choices else p.type.__name__.upper()
    optional = {"nargs": "?", "const": "true"} if p.type is bool else {}
    group.add_argument(
        p.flag,
        dest=p.name,
        default=None,
        metavar=metavar,
        help=f"{_literal(p.help)} (default: {p.default})",
        **optional,
    )


def _literal(text: str) -> str:
    """A node definition's own text as argparse help, shown as written (argparse expands ``%``)."""
    return text.replace("%", "%%")


def given_values(args: argparse.Namespace, node: NodeDefinition) -> dict[str, object]:
    """The parameters of ``node`` named on the command line, as typed there."""
    return {p.name: getattr(args, p.name) for p in node.parameters if getattr(args, p.name, None) is not None}


def add_workers_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--workers",
        metavar="N",
        type=_positive,
        default=available_cores(),
        help="processes sharing the render, each with its own chunk of frames (colorize: one per two, "
        "as a keyframe interval's two passes run side by side); same pixels for any N "
        f"(default: every core, {available_cores()})",
    )


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of processes, 1 or more, got {text!r}")
    return value


def node_request(args: argparse.Namespace, node: NodeDefinition) -> Request:
    """The request a parsed node command makes (checked: see :meth:`Request.create`)."""
    if not args.output:
        raise ParameterError(
            f"tinct {node.command} needs -o/--output",
            expected="-o PATTERN",
            found="nothing",
            repair=f"pass the output sequence pattern (see tinct {node.command} --help)",
        )
    inputs = {spec.name: getattr(args, spec.name) for spec in node.inputs if getattr(args, spec.name, None)}
    colorspaces = {
        spec.name: getattr(args, spec.colorspace) for spec in node.inputs if getattr(args, spec.colorspace, None)
    }
    return Request.create(
        node.name,
        inputs,
        args.output,
        given_values(args, node),
        frames=parse_frame_range(args.frames) if args.frames else None,
        device=args.device,
        colorspaces=colorspaces,
        output_colorspace=args.output_colorspace,
        ocio=args.ocio,
        output_settings=given_values(args, OUTPUT),
        overwrite=args.overwrite,
    )


def node_values(args: argparse.Namespace, node: NodeDefinition) -> dict[str, Value]:
    """The parameters given on the command line, resolved against the definition's defaults
    (one given while its switch is off is refused: see NodeDefinition.resolve_given)."""
    given: Mapping[str, object] = given_values(args, node)
    return node.resolve_given(given)
