"""``tinct publish NODE ARGS... [--then NODE ARGS...]``: check a job with pyblish, then render it
here (default), write it for a farm (``--farm FARM --bundle DIR``) or stop after the checks
(``--validate-only``). Exit codes: 0 published, 1 a check failed (listed; nothing rendered or
submitted), 2 rendering or writing failed or the arguments are wrong.
"""

from __future__ import annotations

import argparse
import shlex
import sys

from tinct.plugin.farm.cli import farm_arguments, split_arguments
from tinct.plugin.farm.plan import CURRENT_TINCT

EPILOG = """examples:
  tinct publish colorize grey/sh010.####.exr --keyframes keys/sh010.####.exr -o colour/sh010.####.exr
  tinct publish colorize grey/sh010.####.exr --keyframes keys/sh010.####.exr -o colour/sh010.####.exr \\
      --farm openjd --bundle farm/sh010
  tinct publish ... --validate-only        only run the checks
  tinct publish ... --repair               apply the automatic repairs of failed checks, then publish"""


def publish_arguments() -> argparse.ArgumentParser:
    """The options of ``tinct publish`` that may also stand among the node arguments."""
    parser = farm_arguments()
    group = parser.add_argument_group("publish")
    group.add_argument("--validate-only", action="store_true", help="run the checks only")
    group.add_argument(
        "--repair", action="store_true", help="apply the repairs offered by failed checks, then check again"
    )
    return parser


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "publish",
        help="check a job (pyblish) before rendering it here or writing it for a farm",
        description=__doc__,
        epilog=EPILOG,
        parents=[publish_arguments()],
        allow_abbrev=False,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("job", nargs=argparse.REMAINDER, metavar="NODE ARGS", help="a node command and its arguments")
    parser.set_defaults(run=lambda args: run(args, commands.choices))


def run(args: argparse.Namespace, parsers: dict[str, argparse.ArgumentParser]) -> int:
    from tinct.plugin.farm.cli import farm_settings  # pyblish and farm libraries load only for a publish
    from tinct.plugin.publish import api
    from tinct.plugin.publish.context import TARGET_FARM, TARGET_LOCAL, PublishRequest

    request_job = split_arguments(args, parsers, publish_arguments())
    if args.validate_only:
        target, settings = "validate", None
    elif args.farm or args.bundle:
        target, settings = TARGET_FARM, farm_settings(args)
    else:
        target, settings = TARGET_LOCAL, None
    executable = (args.tinct_python, *CURRENT_TINCT[1:]) if args.tinct_python else CURRENT_TINCT
    request = PublishRequest(request_job, target, settings, executable)
    report = api.publish(request)
    if not report.ok and args.repair and report.stopped_at == "validate":
        repaired = api.repair(report)
        print("tinct publish: applying the repairs of:\n" + report.format(), file=sys.stderr)
        report = api.publish(PublishRequest(repaired, target, settings, executable))
    if not report.ok:
        print("tinct publish: " + report.format(), file=sys.stderr)
        return report.exit_code
    for instance in report.context:
        sidecar = instance.data.get("sidecar")
        print(f"{instance.name}: " + (f"provenance in {sidecar}" if sidecar else "checks passed"))
    written = report.context.data.get("tinct.farmJob")
    if written is not None:
        print(f"{written.farm} job written to {written.directory}; submit with: " + shlex.join(written.submit_command))
    return 0
