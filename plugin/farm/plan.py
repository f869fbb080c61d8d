"""A request turned into farm work: steps, their chunks and the exact command of every task.

The plan is what every farm translation is made from (Open Job Description, Deadline 10,
OpenCue), and it is also written as ``tinct_job.json`` beside them, holding every task's request
(``tinct.nodes.api.Request`` as JSON): farms whose task commands cannot carry one request per
task (Deadline 10, OpenCue) run a task as ``python -m tinct.plugin.farm.task tinct_job.json STEP FIRST_FRAME``.

Safety for retries comes from the engine (atomic writes; a rerun skips frames already written
with the same parameters) and from here: chunks of a step partition its frames, and no step
writes where another step or an input lives.
"""

from __future__ import annotations

import json
import math
import os
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tinct.core.errors import SequenceError
from tinct.core.outputs import check_output
from tinct.core.sequence import parse_sequence, resolve_frames
from tinct.core.version import __version__
from tinct.nodes.api import Request
from tinct.nodes.chunking import Chunk, plan_chunks
from tinct.nodes.definition import Temporal, Value
from tinct.plugin.farm.job import JobRequest, StepRequest

PLAN_FORMAT = "tinct-farm-plan"
PLAN_VERSION = 2  # 2: tasks carry requests, not argument lists
PLAN_FILE = "tinct_job.json"
DEFAULT_CHUNK_SIZE = 10
# A task reads its handles (the frames its node looks at around its own), each at ``handle_cost`` of
# a frame's work: by default a task takes enough frames that they are at most this share of its work
# (restore's 50 frames before and 12 after: 24 frames a task instead of 10).
HANDLE_SHARE = 0.25
FARMS = ("openjd", "deadline10", "opencue")
# The tinct command line of the Python running this code: what a local farm (openjd run) uses.
CURRENT_TINCT = (sys.executable, "-m", "tinct.plugin.cli.main")


@dataclass(frozen=True)
class FarmStep:
    name: str  # unique in the job; letters, digits and underscores
    request: StepRequest
    values: dict[str, Value]  # checked parameter values
    frames: tuple[int, ...]
    chunks: tuple[Chunk, ...]
    depends_on: tuple[str, ...]

    def task_request(self, chunk: Chunk) -> Request:
        """The request of the task that writes ``chunk``."""
        return self.request.request(chunk.frames)


@dataclass(frozen=True)
class FarmJob:
    name: str
    steps: tuple[FarmStep, ...]
    executable: tuple[str, ...] = CURRENT_TINCT  # program + leading arguments that stand for `tinct`

    def step(self, name: str) -> FarmStep:
        for step in self.steps:
            if step.name == name:
                return step
        raise SequenceError(
            f"No step {name!r} in the farm job",
            expected=", ".join(s.name for s in self.steps),
            found=name,
            repair="use a step name listed in tinct_job.json",
        )


def default_chunk_size(temporal: Temporal) -> int:
    """Frames a task takes when none is asked for: :data:`DEFAULT_CHUNK_SIZE`, or as many as keep
    the handles to :data:`HANDLE_SHARE` of the task's work."""
    # (Less a hair before rounding up: a whole number of frames that float arithmetic overshot stays whole.)
    return max(DEFAULT_CHUNK_SIZE, math.ceil(temporal.handle_work * (1.0 - HANDLE_SHARE) / HANDLE_SHARE - 1e-9))


def build_farm_job(
    request: JobRequest, chunk_size: int | None = None, executable: Sequence[str] = CURRENT_TINCT
) -> FarmJob:
    """Check what can be known before a task runs (values, frames on disk, output paths) and cut
    chunks of ``chunk_size`` frames (None: each node's :func:`default_chunk_size`)."""
    _check_outputs(request)
    steps: list[FarmStep] = []
    names: set[str] = set()
    for step in request.steps:
        definition = step.definition
        values = dict(step.request().parameters)  # every value checked before anything is submitted
        upstream = step.pending.get(step.source_name)
        if upstream is None:
            sequence = parse_sequence(step.inputs[step.source_name])
            frames = resolve_frames(sequence, list(step.frames) if step.frames is not None else None)
            source_frames = sequence.existing_frames() if not sequence.is_single_file else frames
        else:
            source_frames = list(steps[upstream].frames)
            frames = _within_upstream(step, source_frames, steps[upstream].name)
        # What each task would refuse, refused before any is submitted: an output that is no EXR,
        # without a frame token, or naming an input file.
        check_output(
            parse_sequence(step.output),
            frames,
            {name: _files(pattern) for name, pattern in step.inputs.items() if name not in step.pending},
        )
        keys = _keyframes(step)
        temporal = definition.temporal.resolved(values)
        size = default_chunk_size(temporal) if chunk_size is None else chunk_size
        chunks = plan_chunks(frames, source_frames, temporal, size, keys)
        name = _unique(re.sub(r"\W", "_", definition.name), names)
        depends = tuple(sorted({steps[i].name for i in step.pending.values()}))
        steps.append(FarmStep(name, step, values, tuple(frames), tuple(chunks), depends))
    return FarmJob(request.name, tuple(steps), tuple(executable))


def _within_upstream(step: StepRequest, upstream_frames: list[int], upstream: str) -> list[int]:
    if step.frames is None:
        return upstream_frames
    outside = sorted(set(step.frames).difference(upstream_frames))
    if outside:
        raise SequenceError(
            f"{step.definition.name} asks for frames the step before it does not write",
            expected=f"frames written by {upstream}",
            found=f"frames {outside[:8]}",
            repair="give the chained step no --frames, or frames the first step renders",
        )
    return sorted(step.frames)


def _files(pattern: str) -> list[Path]:
    sequence = parse_sequence(pattern)
    return [sequence.path(frame) for frame in sequence.existing_frames()]


def _keyframes(step: StepRequest) -> list[int]:
    name = step.definition.temporal.keyframes
    if not name:
        return []
    pattern = step.inputs.get(name)
    keys = parse_sequence(pattern).existing_frames() if pattern else []
    if not keys:
        raise SequenceError(
            f"No keyframes found for {step.definition.name}",
            expected=f"at least one file matching {next(s.flag for s in step.definition.inputs if s.name == name)}",
            found=str(pattern or "no pattern given"),
            repair="render or paint at least one colour keyframe named by its frame number",
        )
    return keys


def _check_outputs(request: JobRequest) -> None:
    """Two tasks never write the same file: every step has its own output, which is no input."""
    inputs = {_canonical(p): (i, name) for i, s in enumerate(request.steps) for name, p in s.inputs.items()}
    seen: dict[str, int] = {}
    for index, step in enumerate(request.steps):
        key = _canonical(step.output)
        if key in seen:
            raise SequenceError(
                "Two steps write the same sequence",
                expected="a separate output for every step",
                found=f"steps {seen[key] + 1} and {index + 1} write {step.output}",
                repair="give each step its own -o pattern",
            )
        seen[key] = index
        reader = inputs.get(key)
        if reader is not None and request.steps[reader[0]].pending.get(reader[1]) != index:
            raise SequenceError(
                "A step would overwrite an input",
                expected="outputs apart from every input",
                found=f"{step.output} is the {reader[1]} input of step {reader[0] + 1}",
                repair="write to another folder or name",
            )


def _canonical(pattern: str) -> str:
    """One spelling per sequence: %04d, $F4 and #### name the same files."""
    return str(Path(parse_sequence(pattern).display()).resolve())


def _unique(name: str, taken: set[str]) -> str:
    candidate, n = name, 2
    while candidate in taken:
        candidate, n = f"{name}_{n}", n + 1
    taken.add(candidate)
    return candidate


# -- the plan file ------------------------------------------------------------------------------


def plan_document(job: FarmJob) -> dict:
    """The JSON document of ``tinct_job.json``: every task's request."""
    return {
        "format": PLAN_FORMAT,
        "version": PLAN_VERSION,
        "tinct": __version__,
        "name": job.name,
        "executable": list(job.executable),
        "steps": [
            {
                "name": step.name,
                "node": step.request.definition.name,
                "nodeVersion": step.request.definition.version,
                "dependsOn": list(step.depends_on),
                "output": step.request.output,
                "values": step.values,
                "chunks": [
                    {"first": c.first, "frames": c.label, "request": step.task_request(c).to_dict()}
                    for c in step.chunks
                ],
            }
            for step in job.steps
        ],
    }


def write_plan(job: FarmJob, directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / PLAN_FILE
    write_text_atomic(path, json.dumps(plan_document(job), indent=2) + "\n")
    return path


def load_task_request(plan: Path, step: str, first: int) -> Request:
    """The request of the task of ``step`` whose chunk starts at frame ``first``."""
    try:
        document = json.loads(plan.read_text())
    except (OSError, ValueError) as exc:
        raise SequenceError(
            "Cannot read the farm plan",
            expected=f"a {PLAN_FILE} written by `tinct submit`",
            found=str(exc),
            repair="submit the job again",
            file=plan,
        ) from exc
    if document.get("format") != PLAN_FORMAT or document.get("version", 0) != PLAN_VERSION:
        raise SequenceError(
            "Farm plan from another or a newer Tinct",
            expected=f"{PLAN_FORMAT} version {PLAN_VERSION}",
            found=f"{document.get('format')} version {document.get('version')}",
            repair="run the job with the Tinct version that submitted it",
            file=plan,
        )
    for entry in document["steps"]:
        if entry["name"] == step:
            for chunk in entry["chunks"]:
                if chunk["first"] == first:
                    return Request.from_dict(chunk["request"])
            raise SequenceError(
                f"No task of {step} starts at frame {first}",
                expected=", ".join(str(c["first"]) for c in entry["chunks"]),
                found=str(first),
                repair="the farm job and its plan disagree: submit the job again",
                file=plan,
            )
    raise SequenceError(
        f"No step {step!r} in the farm plan",
        expected=", ".join(e["name"] for e in document["steps"]),
        found=step,
        repair="the farm job and its plan disagree: submit the job again",
        file=plan,
    )


def write_text_atomic(path: Path, text: str) -> None:
    """Write a small text file atomically: a bundle is never seen half written."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(path)
