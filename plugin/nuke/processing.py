"""Process a Tinct node: render its inputs where needed, run the engine over its frame range with
Nuke's progress bar and cancel, then show the result through the node's internal Read.

All checks (parameters, range, keyframe list, output path) run before anything renders. In the
GUI the engine runs while Nuke stays usable: a worker thread drives ``nuke.ProgressTask`` and hands
the result back to the main thread. In ``nuke -t`` the same steps run in the calling thread.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath

import nuke

from tinct.core.errors import ParameterError, TinctError
from tinct.core.sequence import format_frame_ranges, parse_frame_range, parse_sequence
from tinct.nodes.api import Request
from tinct.nodes.definition import NodeDefinition
from tinct.plugin.host.runner import EngineJob, EngineProgress, EngineRun, run_to_end, start
from tinct.plugin.nuke import node as tnode
from tinct.plugin.nuke.inputs import render_upstream, reusable_read


@dataclass(frozen=True)
class PreparedJob:
    """Everything one Process (or farm submission) of a node needs, inputs already on disk."""

    node: str  # the group's full name, to find it again from another thread
    request: Request
    settings: str  # fingerprint of the knobs that made this job (see settings_fingerprint)

    @property
    def definition(self) -> NodeDefinition:
        return self.request.definition

    @property
    def inputs(self) -> Mapping[str, str]:
        return self.request.inputs

    @property
    def output(self) -> str:
        return self.request.output

    @property
    def frames(self) -> tuple[int, ...]:
        return self.request.frames or ()

    @property
    def frame_range(self) -> str:
        return f"{self.frames[0]}-{self.frames[-1]}"

    def engine_job(self) -> EngineJob:
        log = parse_sequence(self.output).directory / f"tinct_{self.definition.command}.log"
        return EngineJob(self.request, log)


def settings_fingerprint(group: nuke.Node) -> str:
    """The knobs that decide a result (parameters, range, keyframes, output, colour) as one string;
    a result is current while the fingerprint it was made with is unchanged."""
    values = {name: group[name].value() for name in sorted(tnode.watched_knobs(group)) if group.knob(name) is not None}
    return json.dumps(values, sort_keys=True, default=str)


def default_output(group: nuke.Node) -> str:
    script = str(nuke.root()["name"].value())
    if not script:
        raise ParameterError(
            f"{group.name()} has no output path",
            expected="a saved script or an output path on the node",
            found="an unsaved script and an empty output knob",
            repair="save the script (results go to a tinct folder beside it), or set the output knob",
        )
    name = group.name()
    return str(PurePosixPath(script).parent / "tinct" / name / f"{name}.####.exr")


def _frames(group: nuke.Node) -> tuple[int, ...]:
    first = int(tnode.knob(group, tnode.FIRST_KNOB).value())
    last = int(tnode.knob(group, tnode.LAST_KNOB).value())
    if last < first:
        raise ParameterError(
            f"{group.name()} frame range ends before it starts",
            expected="first <= last",
            found=f"{first} to {last}",
            repair="fix the frame range, or press 'input range'",
        )
    return tuple(range(first, last + 1))


def _sparse_frames(group: nuke.Node, input_name: str, frames: tuple[int, ...]) -> list[int]:
    text = str(tnode.knob(group, tnode.frames_knob(input_name)).value()).strip()
    if not text:
        raise ParameterError(
            f"{group.name()} needs the frames of its {input_name} input",
            expected=f"the frames you painted on {input_name}, e.g. 1001,1040,1100",
            found="an empty list",
            repair=f"type the painted frames into '{input_name} frames'",
        )
    listed = parse_frame_range(text)
    outside = [frame for frame in listed if not frames[0] <= frame <= frames[-1]]
    if outside:
        raise ParameterError(
            f"{group.name()}: {input_name} frames outside the frame range",
            expected=f"frames within {frames[0]}-{frames[-1]}",
            found=format_frame_ranges(outside),
            repair="widen the frame range or remove those frames from the list",
        )
    return listed


def prepare(group: nuke.Node) -> PreparedJob:
    """Check the node, render its inputs where needed, and describe the engine job.

    Raises ParameterError for anything the artist must fix, before any rendering starts.
    """
    definition = tnode.definition_of(group)
    values = tnode.parameter_values(group, definition)
    output_values = tnode.output_values(group)
    frames = _frames(group)
    output = str(tnode.knob(group, tnode.OUTPUT_KNOB).value()).strip() or default_output(group)
    output_sequence = parse_sequence(output)
    if output_sequence.is_single_file:
        raise ParameterError(
            f"{group.name()} output needs a frame number",
            expected="e.g. sh010.####.exr",
            found=output,
            repair="add #### (or %04d) to the output file name",
        )
    plans: list[tuple[int, str, list[int], bool]] = []
    for index, spec in enumerate(definition.inputs):
        if group.input(index) is None:
            if spec.optional:
                continue
            raise ParameterError(
                f"{group.name()} needs its {spec.name} input",
                expected=spec.help,
                found="nothing connected",
                repair=f"connect the {spec.name} input",
            )
        if spec.name == tnode.keyframes_input(definition):
            needed = _sparse_frames(group, spec.name, frames)
        else:
            needed = [frames[0]] if spec.still else list(frames)
        plans.append((index, spec.name, needed, spec.still))

    colorspace = str(tnode.knob(group, tnode.COLORSPACE_KNOB).value()).strip()
    ocio = str(tnode.knob(group, tnode.OCIO_KNOB).value()).strip()
    device = group.knob(tnode.DEVICE_KNOB)  # missing on nodes saved before it existed: auto
    request = Request.create(
        definition.name,
        {name: "pending" for _, name, _, _ in plans},
        output,
        values,
        frames=frames,
        device=str(device.value()) if device is not None else "auto",
        colorspaces={name: colorspace for _, name, _, _ in plans} if colorspace else {},
        ocio=ocio or None,
        output_settings=output_values,
    )  # checked before anything renders
    cache = output_sequence.directory / "inputs"
    inputs: dict[str, str] = {}
    for index, name, needed, still in plans:
        upstream = group.input(index)
        # Keyframe and still inputs are always rendered: the engine takes every keyframe file it
        # finds, and a still is passed as the one file rendered.
        rendered_only = still or name == tnode.keyframes_input(definition)
        direct = reusable_read(upstream, needed) if upstream is not None and not rendered_only else None
        if direct is None:
            direct = str(cache / name / f"{name}.####.exr")
            render_upstream(group, index, direct, needed)
        inputs[name] = str(parse_sequence(direct).path(needed[0])) if still else direct
    return PreparedJob(group.fullName(), replace(request, inputs=inputs), settings_fingerprint(group))


def show_result(job: PreparedJob) -> None:
    """Point the node's internal Read at the job's output and switch the node to show it."""
    group = nuke.toNode(job.node)
    if not isinstance(group, nuke.Group):
        return  # deleted while the engine ran: nothing to show the result on
    read, switch = group.node(tnode.RESULT_NODE), group.node(tnode.SWITCH_NODE)
    if read is None or switch is None:
        raise ParameterError(
            f"{group.name()} has lost its internal nodes",
            expected="the nodes Tinct built",
            found="they were deleted",
            repair="delete the node and create it again",
        )
    read["file"].setValue(Path(job.output).as_posix())
    for name, frame in (
        ("first", job.frames[0]),
        ("last", job.frames[-1]),
        ("origfirst", job.frames[0]),
        ("origlast", job.frames[-1]),
    ):
        read[name].setValue(frame)
    reload = read["reload"]
    if isinstance(reload, nuke.Script_Knob):
        reload.execute()  # the same file names may hold new pixels
    switch["which"].setValue(1)
    group[tnode.PROCESSED_KNOB].setValue(job.settings)
    group[tnode.STATUS_KNOB].setValue(f"processed {job.frame_range}")


def _drive(job: PreparedJob, run: EngineRun) -> None:
    """Wait for ``run`` behind a progress bar; its Cancel button cancels the run. The bar closes when
    its ProgressTask is released, as this function returns."""
    task = nuke.ProgressTask(f"Tinct {job.definition.name}: {job.node}")

    def report(progress: EngineProgress) -> bool:
        task.setMessage(f"{progress.done}/{progress.total} frames - {progress.message}")
        task.setProgress(progress.percent)
        return bool(task.isCancelled())

    run_to_end(run, report)


def process(group: nuke.Node, background: bool | None = None) -> threading.Thread | None:
    """Process ``group``: in this thread in ``nuke -t`` (or when ``background`` is False); in the GUI
    in a worker thread that shows the result, or the error in a message box, when done. Returns the
    worker thread, if any. Errors found before the engine starts are raised here."""
    job = prepare(group)
    run = start(job.engine_job())
    if not (nuke.GUI if background is None else background):
        _drive(job, run)
        show_result(job)
        return None
    worker = threading.Thread(target=_watch, args=(job, run), name=f"tinct-{job.node}", daemon=True)
    worker.start()
    return worker


def _watch(job: PreparedJob, run: EngineRun) -> None:
    try:
        _drive(job, run)
    except TinctError as error:
        nuke.executeInMainThread(nuke.message, args=(f"Tinct: {job.node}\n\n{error}",))
        return
    except Exception as bug:
        nuke.executeInMainThread(
            nuke.message,
            args=(f"Tinct: {job.node} failed unexpectedly ({bug!r}).\nThe traceback is in the Script Editor.",),
        )
        raise
    nuke.executeInMainThread(show_result, args=(job,))


def process_all(names: list[str] | None = None) -> list[str]:
    """Process the named Tinct nodes, or every Tinct node of the script, one after the other in this
    thread (for ``nuke -t``). Returns the names processed."""
    groups = (
        [nuke.toNode(name) for name in names]
        if names
        else [n for n in nuke.allNodes("Group", recurseGroups=True) if tnode.is_tinct(n)]
    )
    done = []
    for group in groups:
        if group is None or not tnode.is_tinct(group):
            raise ParameterError(
                "No such Tinct node",
                expected="names of Tinct nodes in the script",
                found=", ".join(names or []),
                repair="check the node names",
            )
        process(group, background=False)
        done.append(group.fullName())
    return done
