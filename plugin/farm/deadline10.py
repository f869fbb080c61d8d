"""Thinkbox Deadline 10: one CommandLine-plugin job per step, chained by job dependencies.

Per step a job info file and a plugin info file (``key=value`` lines) are written; submit them
all at once, each job depending on the one before, with
``deadlinecommand -SubmitMultipleJobs -dependent -job JOB_INFO PLUGIN_INFO -job ...``
(:func:`submit_command`). Deadline cuts a frame list into tasks of a fixed size, which cannot
follow keyframe intervals, so a job's "frames" are the first frames of its chunks (chunk size 1)
and each task runs ``python -m tinct.plugin.farm.task PLAN STEP <STARTFRAME>``: its real frames
and arguments come from the plan. The plan must lie where the workers can read it (the usual
shared storage of a Deadline 10 farm).

The CommandLine plugin splits ``Arguments`` itself, with the quoting rules of the Windows C
runtime (also on Linux and macOS); :func:`subprocess.list2cmdline` writes exactly those, and
values that Deadline would rewrite (``<STARTFRAME>``-style tokens) or that would break a
``key=value`` file (line breaks) are refused.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tinct.core.errors import ParameterError
from tinct.core.sequence import parse_sequence
from tinct.plugin.farm.plan import FarmJob, FarmStep, write_plan, write_text_atomic

PLUGIN = "CommandLine"
RUNNER_MODULE = "tinct.plugin.farm.task"
_DEADLINE_TOKEN = re.compile(r"<(STARTFRAME|ENDFRAME|QUOTE|AUXFILE)[^>]*>", re.IGNORECASE)


@dataclass(frozen=True)
class FarmOptions:
    priority: int = 50
    pool: str = ""
    group: str = ""
    comment: str = ""


@dataclass(frozen=True)
class StepFiles:
    step: str
    job_info: Path
    plugin_info: Path


def job_info(job: FarmJob, step: FarmStep, options: FarmOptions) -> dict[str, str]:
    output = parse_sequence(step.request.output)
    info = {
        "Plugin": PLUGIN,
        "Name": f"{job.name} - {step.name}",
        "BatchName": job.name,
        "Comment": options.comment or f"Tinct {step.request.definition.name} v{step.request.definition.version}",
        "Frames": ",".join(str(chunk.first) for chunk in step.chunks),
        "ChunkSize": "1",
        "Priority": str(options.priority),
        "OutputDirectory0": str(output.directory),
        "OutputFilename0": Path(output.display()).name,
    }
    if options.pool:
        info["Pool"] = options.pool
    if options.group:
        info["Group"] = options.group
    return info


def plugin_info(job: FarmJob, step: FarmStep, plan: Path) -> dict[str, str]:
    program, *leading = job.executable
    if leading[:1] != ["-m"]:  # the runner is a module: it needs the Python that has Tinct
        raise ParameterError(
            "Deadline 10 tasks need the Python that has Tinct installed",
            expected="--tinct-python PATH (a python executable)",
            found=" ".join(job.executable),
            repair="pass the worker's Python, e.g. --tinct-python /opt/tinct/venv/bin/python",
        )
    _refuse_tokens("plan path", str(plan))
    arguments = ["-m", RUNNER_MODULE, str(plan), step.name]
    return {
        "Executable": program,
        "Arguments": subprocess.list2cmdline(arguments) + " <STARTFRAME>",
        "ShellExecute": "False",
        "StartupDirectory": "",
    }


def write_job_files(job: FarmJob, directory: Path, options: FarmOptions = FarmOptions()) -> list[StepFiles]:
    """Write the plan and, per step, ``<step>.job_info.job`` and ``<step>.plugin_info.job``."""
    plan = write_plan(job, directory)
    written = []
    for step in job.steps:
        files = StepFiles(
            step.name, directory / f"{step.name}.job_info.job", directory / f"{step.name}.plugin_info.job"
        )
        write_text_atomic(files.job_info, format_key_values(job_info(job, step, options)))
        write_text_atomic(files.plugin_info, format_key_values(plugin_info(job, step, plan.resolve())))
        written.append(files)
    return written


def format_key_values(entries: dict[str, str]) -> str:
    for key, value in entries.items():
        if "\n" in value or "\r" in value or "=" in key:
            raise ParameterError(
                "A value cannot go into a Deadline job file",
                expected="one line of text",
                found=f"{key}={value!r}",
                repair="remove line breaks from names and paths",
            )
        if key != "Arguments":  # the arguments' user part (the plan path) is checked before <STARTFRAME> is added
            _refuse_tokens(key, value)
    return "".join(f"{key}={value}\n" for key, value in entries.items())


def _refuse_tokens(what: str, value: str) -> None:
    if _DEADLINE_TOKEN.search(value):
        raise ParameterError(
            "A value holds a Deadline token",
            expected="no <STARTFRAME>-style text in names and paths",
            found=f"{what}: {value}",
            repair="rename the file or folder",
        )


def parse_key_values(text: str) -> dict[str, str]:
    """Read a ``key=value`` job file back (what ``deadlinecommand`` reads)."""
    entries = {}
    for line in text.splitlines():
        if line.strip():
            key, _, value = line.partition("=")
            entries[key] = value
    return entries


def submit_command(files: list[StepFiles], deadlinecommand: str = "deadlinecommand") -> list[str]:
    argv = [deadlinecommand, "-SubmitMultipleJobs", "-dependent"]
    for entry in files:
        argv += ["-job", str(entry.job_info), str(entry.plugin_info)]
    return argv
