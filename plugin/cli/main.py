"""The `tinct` command line. Catches only TinctError: one clear message, exit code 2."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from collections.abc import Sequence as Seq
from pathlib import Path

from tinct.core.errors import CancelledError, TinctError, error_to_dict
from tinct.core.version import __version__
from tinct.plugin.cli import colorize, demo, info, models, restore, run
from tinct.plugin.farm import cli as farm_cli
from tinct.plugin.publish import cli as publish_cli


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tinct",
        description="Restore and colourise archival film as scene-linear EXR sequences.",
    )
    parser.add_argument("--version", action="version", version=f"tinct {__version__}")
    parser.add_argument(
        "--error-file",
        type=Path,
        metavar="FILE",
        help="also write a user error there as JSON (how hosts running tinct get it back as data)",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in (restore, colorize, info, demo, models, farm_cli, publish_cli, run):
        module.register(commands)
    return parser


def main(argv: Seq[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return guarded(lambda: args.run(args), args.error_file)


def guarded(work: Callable[[], int | None], error_file: Path | None = None) -> int:
    """Run ``work`` as a command: its exit code, 2 after a user error (one message, and its data in
    ``error_file``), 130 when stopped."""
    try:
        return int(work() or 0)
    except TinctError as error:
        if error_file is not None:
            error_file.write_text(json.dumps(error_to_dict(error)), encoding="utf-8")
        if isinstance(error, CancelledError):
            print(f"\ntinct: {error}", file=sys.stderr)
            return 130
        print(f"tinct: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
