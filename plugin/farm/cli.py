"""``tinct submit NODE ARGS... [--then NODE ARGS...] --farm FARM --bundle DIR``: a Tinct job as a farm job.

Each step is written exactly as the node's own command (``tinct colorize ...``) and parsed by
that command's parser, so every flag it takes works here; farm options may stand anywhere.
"""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from tinct.core.errors import ParameterError
from tinct.core.sequence import format_frame_ranges
from tinct.plugin.cli.run import read_request
from tinct.plugin.farm.job import THEN, JobRequest, parse_job_arguments
from tinct.plugin.farm.plan import CURRENT_TINCT, DEFAULT_CHUNK_SIZE, FARMS, HANDLE_SHARE, FarmJob, build_farm_job

if TYPE_CHECKING:
    from tinct.plugin.farm.targets import FarmSettings

EPILOG = f"""examples:
  tinct submit colorize grey/sh010.####.exr --keyframes keys/sh010.####.exr -o colour/sh010.####.exr \\
      --farm openjd --bundle farm/sh010
  tinct submit restore scan/sh010.####.dpx -o restored/sh010.####.exr {THEN} colorize --keyframes keys/sh010.####.exr \\
      -o colour/sh010.####.exr --farm deadline10 --bundle farm/sh010 --chunk-size 20
A step after {THEN} reads the previous step's output (no SRC) and starts when that step has finished."""


def farm_arguments(run_locally: bool = False) -> argparse.ArgumentParser:
    """The farm options of ``tinct submit`` (``run_locally``: with --run-locally) and ``tinct publish``;
    no abbreviations, so that node flags pass through untouched."""
    parser = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    group = parser.add_argument_group("farm")
    group.add_argument(
        "--farm",
        choices=FARMS,
        help="openjd: Open Job Description bundle (openjd run, AWS Deadline Cloud); "
        "deadline10: Thinkbox Deadline 10 job files; opencue: OpenCue job XML",
    )
    group.add_argument(
        "--bundle", metavar="DIR", type=Path, help="folder for the job files (workers must be able to read it)"
    )
    group.add_argument(
        "--chunk-size",
        metavar="N",
        type=int,
        help=f"frames per task (default {DEFAULT_CHUNK_SIZE}, more for a node that reads many frames around its own, "
        f"so that those are at most {HANDLE_SHARE:.0%} of a task's work); keyframe nodes keep keyframe intervals whole",
    )
    group.add_argument("--job-name", metavar="NAME", help="job name on the farm (default: shot and nodes)")
    group.add_argument(
        "--tinct-python",
        metavar="PATH",
        help=f"Python with Tinct installed on the workers (default: this one, {sys.executable})",
    )
    group.add_argument("--priority", metavar="N", type=int, default=50, help="job priority (Deadline 10, OpenCue)")
    group.add_argument("--pool", default="", help="Deadline 10 pool")
    group.add_argument("--group", default="", help="Deadline 10 group")
    group.add_argument("--show", default="tinct", help="OpenCue show")
    if run_locally:
        group.add_argument(
            "--run-locally", action="store_true", help="openjd only: run the bundle here with `openjd run` once written"
        )
    return parser


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "submit",
        help="write a farm job (Open Job Description, Deadline 10, OpenCue) for one node or a chain",
        description=__doc__,
        epilog=EPILOG,
        parents=[farm_arguments(run_locally=True)],
        allow_abbrev=False,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--request",
        type=Path,
        metavar="FILE",
        help="one node run as written by a host (tinct.nodes.api.Request.to_json), instead of NODE ARGS",
    )
    parser.add_argument("job", nargs=argparse.REMAINDER, metavar="NODE ARGS", help="a node command and its arguments")
    parser.set_defaults(run=lambda args: run(args, commands.choices))


def split_arguments(
    args: argparse.Namespace, parsers: dict[str, argparse.ArgumentParser], options: argparse.ArgumentParser
) -> JobRequest:
    """``options`` found among the node arguments go into ``args``; the rest is the job request."""
    _, rest = options.parse_known_args(args.job, namespace=args)
    return parse_job_arguments(rest, parsers, name=args.job_name)


def farm_job(args: argparse.Namespace, request: JobRequest) -> FarmJob:
    executable = (args.tinct_python, *CURRENT_TINCT[1:]) if args.tinct_python else CURRENT_TINCT
    return build_farm_job(request, chunk_size=args.chunk_size, executable=executable)


def farm_settings(args: argparse.Namespace) -> FarmSettings:
    from tinct.plugin.farm.targets import FarmSettings  # the farm libraries load only when a job is written

    if not args.farm or not args.bundle:
        raise ParameterError(
            "A farm job needs --farm and --bundle",
            expected="--farm " + "|".join(FARMS) + " --bundle DIR",
            found=f"--farm {args.farm or '(none)'} --bundle {args.bundle or '(none)'}",
            repair="name the farm and a folder for the job files",
        )
    return FarmSettings(args.farm, args.bundle, args.chunk_size, args.priority, args.pool, args.group, args.show)


def run(args: argparse.Namespace, parsers: dict[str, argparse.ArgumentParser]) -> int:
    from tinct.plugin.farm.openjd import run_command
    from tinct.plugin.farm.targets import write_farm_job

    if args.request is not None:
        request = JobRequest.from_request(read_request(args.request), args.job_name)
    else:
        request = split_arguments(args, parsers, farm_arguments(run_locally=True))
    settings = farm_settings(args)
    if args.run_locally and settings.farm != "openjd":
        raise ParameterError(
            "--run-locally runs Open Job Description bundles only",
            expected="--farm openjd",
            found=f"--farm {settings.farm}",
            repair="drop --run-locally, or write an openjd bundle",
        )
    job = farm_job(args, request)
    written = write_farm_job(job, settings)
    for step in job.steps:
        after = f", after {', '.join(step.depends_on)}" if step.depends_on else ""
        print(
            f"{step.name}: frames {format_frame_ranges(step.frames)} in {len(step.chunks)} task(s): "
            + "; ".join(c.label for c in step.chunks)
            + after
        )
    print(f"{written.farm} job written to {written.directory}")
    if args.run_locally:
        command = run_command(written.directory)
        print("running it here: " + shlex.join(command), flush=True)
        return subprocess.run(command, check=False).returncode
    print("submit with: " + shlex.join(written.submit_command))
    return 0
