"""argparse arguments generated from node definitions, so the CLI never restates a parameter."""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Mapping

from tinct.nodes.definition import NodeDefinition, Parameter, Value


def add_node_parameters(parser: argparse.ArgumentParser, node: NodeDefinition, skip: Iterable[Parameter] = ()) -> None:
    """One flag per parameter of ``node``, except those in ``skip`` (already added for a sibling node)."""
    group = parser.add_argument_group(f"{node.name} parameters (v{node.version})")
    for p in node.parameters:
        if p not in skip:
            _add(group, p, node.name)


def _add(group: argparse._ArgumentGroup, p: Parameter, node: str) -> None:
    # Values are checked by the definition (one message naming node, parameter and range), not by
    # argparse; booleans take a value too (--flag true|false), as NodeDefinition.command_line writes them.
    choices = p.choices or (("true", "false") if p.type is bool else ())
    metavar = "{" + ",".join(choices) + "}" if choices else p.type.__name__.upper()
    group.add_argument(p.flag, dest=p.name, default=None, metavar=metavar, help=f"{p.help} (default: {p.default})")


def node_values(args: argparse.Namespace, node: NodeDefinition) -> dict[str, Value]:
    """The parameters given on the command line, resolved against the definition's defaults
    (one given while its switch is off is refused: see NodeDefinition.resolve_given)."""
    given: Mapping[str, object] = {p.name: getattr(args, p.name) for p in node.parameters if getattr(args, p.name) is not None}
    return node.resolve_given(given)
