"""`tinct restore SRC -o OUT` and `tinct clarity SRC -o OUT`: flags generated from the node definitions.

Booleans take a value (``--dust false``, as NodeDefinition.command_line writes them); the
``--no-dust``, ``--no-scratches``, ``--no-deflicker`` and ``--no-grain`` switches say the same.
"""

from __future__ import annotations

import argparse
import sys

from tinct.core.errors import ParameterError
from tinct.core.restore import RestoreJob, RestoreRequest, RestoreSettings
from tinct.core.sequence import parse_frame_range, parse_sequence
from tinct.nodes.definition import NodeDefinition
from tinct.nodes.restore import CLARITY, RESTORE, clarity_upscaler, restore_settings
from tinct.plugin.cli.arguments import add_node_parameters, node_values
from tinct.plugin.cli.colorize import add_output_arguments, output_options

# Switch aliases: flag -> (parameter, value it sets).
SWITCHES = {
    "--no-dust": ("dust", "false"),
    "--no-scratches": ("scratches", "false"),
    "--no-deflicker": ("deflicker", "false"),
    "--no-grain": ("grain", "0"),
}


def log(text: str) -> None:
    print(f"tinct: {text}", file=sys.stderr)


def register(commands: argparse._SubParsersAction) -> None:
    restore = _parser(commands, RESTORE, "repair dust, dirt, line scratches, flicker and grain")
    switches = restore.add_argument_group("switches")
    for flag, (name, value) in SWITCHES.items():
        switches.add_argument(flag, dest=name, action="store_const", const=value,
                              help=f"same as {RESTORE.parameter(name).flag} {value}")
    restore.add_argument("--device", choices=CLARITY.parameter("device").choices, default="auto",
                         help="where the clarity network runs (default: auto)")
    restore.set_defaults(run=run_restore)
    clarity = _parser(commands, CLARITY, "enlarge a sequence 2 or 4 times (super-resolution)")
    clarity.set_defaults(run=run_clarity)


def _parser(commands: argparse._SubParsersAction, node: NodeDefinition, summary: str) -> argparse.ArgumentParser:
    parser = commands.add_parser(node.command, help=summary, description=node.help)
    source = node.inputs[0]
    parser.add_argument(source.name, metavar="SRC", help=f"{source.help}: name.####.exr, %%04d, $F4, @@@@")
    parser.add_argument("-o", "--output", metavar="OUT", help="output EXR sequence pattern")
    parser.add_argument("--frames", metavar="RANGE", help="frames to write, e.g. 1001-1100, 1001-1100x2, 1001,1005 (default: all)")
    parser.add_argument("--source-colorspace", metavar="CS", help="colour space of SRC (default: file metadata, else role)")
    add_output_arguments(parser)
    add_node_parameters(parser, node)
    return parser


def run_restore(args: argparse.Namespace) -> int:
    values = node_values(args, RESTORE)
    scale = int(str(values["clarity"]))
    upscaler, upscaler_id = clarity_upscaler(scale, device=args.device, ocio=args.ocio) if scale > 1 else (None, "")
    return _run(args, RESTORE, values, restore_settings(values), upscaler, upscaler_id)


def run_clarity(args: argparse.Namespace) -> int:
    values = node_values(args, CLARITY)
    upscaler, upscaler_id = clarity_upscaler(int(str(values["scale"])), str(values["model"]), str(values["device"]),
                                             ocio=args.ocio)
    nothing = RestoreSettings(dust=False, scratches=False, deflicker=False, grain=0.0)
    # Where the network runs does not change the frames: a render resumed on another machine keeps them.
    params = {k: v for k, v in values.items() if k != "device"}
    return _run(args, CLARITY, params, nothing, upscaler, upscaler_id)


def _run(args: argparse.Namespace, node: NodeDefinition, values: dict, settings: RestoreSettings,
         upscaler: object, upscaler_id: str) -> int:
    if not args.output:
        raise ParameterError(f"tinct {node.command} needs -o/--output", expected="-o PATTERN", found="nothing",
                             repair=f"pass the output sequence pattern (see tinct {node.command} --help)")
    request = RestoreRequest(
        source=parse_sequence(args.source), output=parse_sequence(args.output),
        frames=parse_frame_range(args.frames) if args.frames else None, source_colorspace=args.source_colorspace,
        settings=settings, output_options=output_options(args), ocio=args.ocio,
        node=node.name, node_version=node.version, params=dict(values),
        upscaler=upscaler, upscaler_id=upscaler_id,  # type: ignore[arg-type]
    )
    report = RestoreJob(request, log=log).run(progress_callback=args.progress_callback)
    log(f"wrote {len(report.written)} frame(s) to {request.output.display()}"
        + (f"; {len(report.skipped)} already done" if report.skipped else ""))
    return 0
