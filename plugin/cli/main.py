"""The `tinct` command line. Catches only TinctError: one clear message, exit code 2."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence as Seq

from tinct.core.errors import CancelledError, TinctError
from tinct.core.version import __version__
from tinct.plugin.cli import colorize, demo, info, models, restore
from tinct.plugin.farm import cli as farm_cli
from tinct.plugin.publish import cli as publish_cli


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tinct", description="Restore and colourise archival film as scene-linear EXR sequences.",
    )
    parser.add_argument("--version", action="version", version=f"tinct {__version__}")
    # Hosts running a command in-process (tinct.plugin.host.engine) set this to drive their progress bar and cancel.
    parser.set_defaults(progress_callback=None)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in (restore, colorize, info, demo, models, farm_cli, publish_cli):
        module.register(commands)
    return parser


def main(argv: Seq[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except CancelledError as error:
        print(f"\ntinct: {error}", file=sys.stderr)
        return 130
    except TinctError as error:
        print(f"tinct: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
