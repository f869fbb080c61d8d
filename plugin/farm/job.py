"""What a user asks of the farm or of a publish: one node run (a step) or a chain of them.

A :class:`JobRequest` is host-neutral: the CLI parses it from ``tinct submit``/``tinct publish``
arguments (:func:`parse_job_arguments`); hosts send one node run as a request
(:meth:`JobRequest.from_request`). Each step makes the checked request of its tasks (:meth:`StepRequest.request`).
A chained step reads the output of an earlier step as its first input; that input is *pending*
(it does not exist before the job runs), so checks on disk skip it.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from tinct.core.errors import ParameterError
from tinct.core.sequence import parse_frame_range
from tinct.nodes.api import Request
from tinct.nodes.definition import NodeDefinition
from tinct.nodes.output import OUTPUT
from tinct.nodes.registry import NODES

THEN = "--then"  # separates the steps of a chain on the command line


@dataclass(frozen=True)
class Option:
    """A command-line option of a node's ``tinct`` command that is not a node parameter
    (``--source-colorspace ACEScg``, ``--overwrite``): ``value`` None is a switch."""

    dest: str
    flag: str
    value: str | None = None


@dataclass(frozen=True)
class StepRequest:
    """One node run: absolute sequence patterns, the user's parameter values (not yet checked)."""

    definition: NodeDefinition
    inputs: Mapping[str, str]
    output: str
    values: Mapping[str, object] = field(default_factory=dict)
    frames: tuple[int, ...] | None = None
    options: tuple[Option, ...] = ()
    # Inputs written by an earlier step of the same job: input name -> index of that step.
    pending: Mapping[str, int] = field(default_factory=dict)

    def option(self, dest: str) -> str | None:
        """The value of option ``dest`` (e.g. ``"source_colorspace"``), None when not given."""
        for option in self.options:
            if option.dest == dest:
                return option.value
        return None

    @property
    def source_name(self) -> str:
        return self.definition.inputs[0].name

    def request(self, frames: Sequence[int] | None = None) -> Request:
        """The checked request that runs this step (on ``frames``; default: the step's own)."""
        given = {option.dest: option.value for option in self.options}
        return Request.create(
            self.definition.name,
            self.inputs,
            self.output,
            self.values,
            frames=frames if frames is not None else self.frames,
            device=given.get("device") or "auto",
            colorspaces={
                spec.name: str(given[spec.colorspace]) for spec in self.definition.inputs if given.get(spec.colorspace)
            },
            output_colorspace=given.get("output_colorspace"),
            ocio=given.get("ocio"),
            output_settings={p.name: given[p.name] for p in OUTPUT.parameters if given.get(p.name) is not None},
            overwrite="overwrite" in given,
        )

    @classmethod
    def from_request(cls, request: Request) -> StepRequest:
        """The step that runs ``request`` (what hosts' farm buttons send)."""
        definition = request.definition
        given = {
            **{spec.colorspace: request.colorspaces.get(spec.name) for spec in definition.inputs},
            **{
                p.name: request.output_settings[p.name]
                for p in OUTPUT.parameters
                if request.output_settings[p.name] != p.default
            },
            "output_colorspace": request.output_colorspace,
            "ocio": request.ocio,
            "device": request.device,
            "overwrite": request.overwrite,
        }
        inputs = {name: _absolute(pattern) for name, pattern in request.inputs.items()}
        return cls(
            definition,
            inputs,
            _absolute(request.output),
            dict(request.parameters),
            request.frames,
            tuple(_options(definition, given)),
        )


@dataclass(frozen=True)
class JobRequest:
    name: str
    steps: tuple[StepRequest, ...]

    @classmethod
    def from_request(cls, request: Request, name: str | None = None) -> JobRequest:
        step = StepRequest.from_request(request)
        return cls(name or f"{Path(step.output).name.split('.')[0] or 'shot'} {step.definition.name}", (step,))

    def with_step(self, index: int, **changes: object) -> JobRequest:
        """A copy with step ``index`` changed (repairs of a publish use this); a changed output
        follows into the steps that read it."""
        steps = list(self.steps)
        old = steps[index]
        steps[index] = replace(old, **changes)  # type: ignore[arg-type]
        new_output = steps[index].output
        if new_output != old.output:
            for i, step in enumerate(steps):
                moved = {name: new_output for name, source in step.pending.items() if source == index}
                if moved:
                    steps[i] = replace(step, inputs={**step.inputs, **moved})
        return replace(self, steps=tuple(steps))


def nodes_for_command(command: str) -> list[NodeDefinition]:
    """The nodes a ``tinct`` command runs (``colorize``: KeyframeColorize, or AutoColorize without keyframes)."""
    found = [d for d in NODES if d.command and d.command == command]
    if found:
        return found
    raise ParameterError(
        f"Unknown node command {command!r}",
        expected="one of " + ", ".join(dict.fromkeys(d.command for d in NODES if d.command)),
        found=command,
        repair="start each step with a node command, e.g. `tinct submit colorize SRC --keyframes KEYS -o OUT ...`",
    )


def parse_job_arguments(
    argv: Sequence[str], parsers: Mapping[str, argparse.ArgumentParser], name: str | None = None
) -> JobRequest:
    """``NODE ARGS... [--then NODE ARGS...]...`` -> a request, parsed by each node's own ``tinct`` parser.

    ``parsers`` maps node commands to their registered subparsers, so every flag a node's command
    accepts is accepted here too, with the same checks. A step after ``--then`` takes no SRC: it
    reads the previous step's output.
    """
    segments: list[list[str]] = [[]]
    for token in argv:
        if token == THEN:
            segments.append([])
        else:
            segments[-1].append(token)
    steps: list[StepRequest] = []
    for index, segment in enumerate(segments):
        if not segment:
            raise ParameterError(
                "A step of the chain is empty",
                expected="NODE ARGS after each --then",
                found=" ".join(argv),
                repair="write e.g. `restore SRC -o RESTORED --then colorize --keyframes KEYS -o OUT`",
            )
        candidates = nodes_for_command(segment[0])
        parser = parsers.get(segment[0])
        if parser is None:
            raise ParameterError(
                f"The {segment[0]!r} command is not available",
                expected="a registered tinct command",
                found=segment[0],
                repair="install the Tinct version that provides it",
            )
        chained = [steps[-1].output] if steps else []
        namespace = parser.parse_args(chained + segment[1:])
        definition = _node_for_inputs(candidates, namespace)
        step = _step_from_namespace(definition, namespace)
        if steps:
            step = replace(step, pending={step.source_name: index - 1})
        steps.append(step)
    shot = Path(steps[-1].output).name.split(".")[0] or "shot"
    return JobRequest(name or f"{shot} {' + '.join(s.definition.name for s in steps)}", tuple(steps))


def _node_for_inputs(candidates: list[NodeDefinition], ns: argparse.Namespace) -> NodeDefinition:
    """Of the nodes sharing a command, the first whose inputs are exactly covered by those given."""
    given = {spec.name for d in candidates for spec in d.inputs if getattr(ns, spec.name, None)}
    for definition in candidates:
        names = {spec.name for spec in definition.inputs}
        required = {spec.name for spec in definition.inputs if not spec.optional}
        if required <= given <= names:
            return definition
    raise ParameterError(
        f"These inputs do not make one {candidates[0].command} job",
        expected=" or ".join(
            f"{d.name}: " + ", ".join(s.name + (" (optional)" if s.optional else "") for s in d.inputs)
            for d in candidates
        ),
        found="inputs " + ", ".join(sorted(given)),
        repair="give the inputs of one of these nodes",
    )


def _step_from_namespace(definition: NodeDefinition, ns: argparse.Namespace) -> StepRequest:
    """A step from a node command's parsed arguments; the command's own request checks the values later,
    so that a publish can report every bad value as a failed validation."""
    inputs = {
        spec.name: _absolute(getattr(ns, spec.name)) for spec in definition.inputs if getattr(ns, spec.name, None)
    }
    output = getattr(ns, "output", None)
    if not output:
        raise ParameterError(
            f"The {definition.command} step needs an output",
            expected="-o OUT (an EXR sequence pattern)",
            found="nothing",
            repair=f"add -o OUT to the {definition.command} step",
        )
    frames = tuple(parse_frame_range(ns.frames)) if getattr(ns, "frames", None) else None
    values = {p.name: getattr(ns, p.name) for p in definition.parameters if getattr(ns, p.name, None) is not None}
    return StepRequest(definition, inputs, _absolute(output), values, frames, tuple(_options(definition, vars(ns))))


def _options(definition: NodeDefinition, given: Mapping[str, object]) -> list[Option]:
    """The request settings ``given`` beside the node's parameters (colour spaces, output, device), by name."""
    flags = [(spec.colorspace, spec.colorspace_flag) for spec in definition.inputs]
    flags += [("output_colorspace", "--output-colorspace"), ("ocio", "--ocio")]
    flags += [(p.name, p.flag) for p in OUTPUT.parameters]
    options = [Option(dest, flag, str(given[dest])) for dest, flag in flags if given.get(dest) not in (None, "")]
    if given.get("device", "auto") != "auto":
        options.append(Option("device", "--device", str(given["device"])))
    if given.get("overwrite"):
        options.append(Option("overwrite", "--overwrite"))
    return options


def _absolute(pattern: str) -> str:
    """Farm workers do not share the submitter's working folder: patterns become absolute."""
    return os.path.abspath(os.path.expanduser(pattern))
