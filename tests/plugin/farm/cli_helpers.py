"""The registered node commands of the ``tinct`` command line, as `tinct submit` parses steps with them."""

from __future__ import annotations

import argparse

from tinct.plugin.cli import main as tinct_main


def node_parsers() -> dict[str, argparse.ArgumentParser]:
    """The registered subparsers of the node commands (what `tinct submit` parses steps with)."""
    return dict(tinct_main.build_parser()._subparsers._group_actions[0].choices)  # type: ignore[union-attr]
