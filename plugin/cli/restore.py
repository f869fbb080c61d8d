"""`tinct restore SRC -o OUT` and `tinct clarity SRC -o OUT`: flags generated from the node definitions.

Booleans take a value (``--dust false``, as NodeDefinition.command_line writes them) or, alone,
mean true (``--stabilise``); the ``--no-dust``, ``--no-scratches``, ``--no-deflicker`` and
``--no-grain`` switches say the same as ``false`` (or ``0``).
"""

from __future__ import annotations

import argparse
import sys

from tinct.core.engine import available_cores
from tinct.core.sequence import parse_sequence
from tinct.nodes import api
from tinct.nodes.definition import NodeDefinition
from tinct.nodes.restore import CLARITY, RESTORE
from tinct.nodes.workers import reuse_freed_memory, use_cores
from tinct.plugin.cli.arguments import add_node_arguments, node_request

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
        switches.add_argument(
            flag, dest=name, action="store_const", const=value, help=f"same as {RESTORE.parameter(name).flag} {value}"
        )
    _parser(commands, CLARITY, "enlarge a sequence 2 or 4 times (super-resolution)")


def _parser(commands: argparse._SubParsersAction, node: NodeDefinition, summary: str) -> argparse.ArgumentParser:
    parser = commands.add_parser(node.command, help=summary, description=node.help)
    add_node_arguments(parser, [node])
    parser.set_defaults(
        run=lambda args: run(node_request(args, node), args.workers), request=lambda args: node_request(args, node)
    )
    return parser


def run(request: api.Request, workers: int = 1) -> int:
    """Run ``request`` (any node) on ``workers`` processes, saying on stderr what was written."""
    reuse_freed_memory()  # this process does nothing else
    use_cores(request, available_cores())
    report = api.run(request, log=log, workers=workers)
    log(
        f"wrote {len(report.written)} frame(s) to {parse_sequence(request.output).display()}"
        + (f"; {len(report.skipped)} already done" if report.skipped else "")
    )
    return 0
