"""argparse arguments generated from node definitions, so the CLI never restates a parameter."""

from __future__ import annotations

import argparse
from collections.abc import Mapping

from tinct.nodes.definition import NodeDefinition, Parameter, Value


def add_node_parameters(parser: argparse.ArgumentParser, node: NodeDefinition) -> None:
    group = parser.add_argument_group(f"{node.name} parameters (v{node.version})")
    for p in node.parameters:
        _add(group, p, node.name)


def _add(group: argparse._ArgumentGroup, p: Parameter, node: str) -> None:
    help_text = f"{p.help} (default: {p.default})"
    if p.type is bool:
        group.add_argument(p.flag, dest=p.name, action=argparse.BooleanOptionalAction, default=None, help=help_text)
        return
    # Values are checked by the definition (one message naming node, parameter and range), not by argparse.
    group.add_argument(
        p.flag, dest=p.name, default=None, metavar=p.type.__name__.upper() if not p.choices else "{" + ",".join(p.choices) + "}",
        help=help_text,
    )


def node_values(args: argparse.Namespace, node: NodeDefinition) -> dict[str, Value]:
    """The parameters given on the command line, resolved against the definition's defaults."""
    given: Mapping[str, object] = {p.name: getattr(args, p.name) for p in node.parameters if getattr(args, p.name) is not None}
    return node.resolve(given)
