"""Run one farm task from a plan: ``python -m tinct.plugin.farm.task PLAN STEP FIRST_FRAME``.

Deadline 10 and OpenCue hand a task only a frame number (``<STARTFRAME>``, ``#IFRAME#``), so
their tasks are numbered by the first frame of their chunk and this runner looks the chunk's
request up in ``tinct_job.json``; no user value passes through their command strings. Exit codes
are the ``tinct`` command's (0 done, 2 user error, 130 stopped).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from tinct.plugin.cli.main import guarded
from tinct.plugin.cli.restore import run as run_request
from tinct.plugin.farm.plan import load_task_request


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tinct.plugin.farm.task", description=__doc__)
    parser.add_argument("plan", type=Path, help="tinct_job.json written by `tinct submit`")
    parser.add_argument("step", help="step name, e.g. KeyframeColorize")
    parser.add_argument("first", type=int, help="first frame of the task's chunk")
    args = parser.parse_args(argv)
    return guarded(lambda: run_request(load_task_request(args.plan, args.step, args.first)))


if __name__ == "__main__":
    sys.exit(main())
