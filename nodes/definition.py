"""Host-neutral node definitions: the single source of truth for CLI flags, Nuke knobs,
Resolve dialog fields, farm job parameters and pyblish checks.

A :class:`NodeDefinition` lists a node's inputs, typed parameters and output channels, and
carries a version with upgrade functions so that saved scripts and farm jobs written by older
versions still load.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Union

from tinct.core.errors import ParameterError

if TYPE_CHECKING:
    from tinct.core.keyframe_colorize import JobReport
    from tinct.nodes.api import Request

# Union, not |: node definitions also load in Nuke 14's Python 3.9, which evaluates this at runtime.
Value = Union[bool, int, float, str]  # noqa: UP007
# Where networks and the per-pixel work run; every node's request carries one (tinct.nodes.api.Request.device).
DEVICES = ("auto", "cpu", "cuda")


@dataclass(frozen=True)
class Parameter:
    name: str  # snake_case identifier: --flag-name on the CLI, knob name in Nuke
    type: type  # bool, int, float or str
    default: Value
    help: str
    label: str = ""
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[Value, ...] = ()
    # The parameter that turns this one's effect on (a bool, or a number or text that is off when 0 or
    # empty): while it is off this one does nothing, so a command line refuses it and never writes it.
    switch: str = ""

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    @property
    def title(self) -> str:
        return self.label or self.name.replace("_", " ").capitalize()

    def parse(self, value: object, node: str = "") -> Value:
        """A user value (typed, or text from a command line or a knob) -> a checked typed value."""
        where = f"{node}.{self.name}" if node else self.name
        try:
            if self.type is bool:
                typed: Value = _parse_bool(value)
            elif self.type is int and isinstance(value, float) and not value.is_integer():
                raise ValueError(value)
            else:
                typed = self.type(value)
        except (TypeError, ValueError):
            raise ParameterError(
                f"Parameter {where} has the wrong type",
                expected=f"a {self.type.__name__}",
                found=repr(value),
                repair=self.help,
            ) from None
        if self.choices and typed not in self.choices:
            listed = ", ".join(str(c) for c in self.choices)
            raise ParameterError(
                f"Parameter {where} has an unknown value",
                expected="one of " + listed,
                found=repr(typed),
                repair=f"choose one of {listed}",
            )
        if isinstance(typed, (int, float)) and not isinstance(typed, bool):
            low = self.minimum if self.minimum is not None else float("-inf")
            high = self.maximum if self.maximum is not None else float("inf")
            if not low <= typed <= high:
                raise ParameterError(
                    f"Parameter {where} is out of range",
                    expected=f"{self.minimum} to {self.maximum}",
                    found=repr(typed),
                    repair=f"use a value between {self.minimum} and {self.maximum} (default {self.default})",
                )
        return typed


def _parse_bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ValueError(value)


@dataclass(frozen=True)
class Input:
    name: str
    help: str
    optional: bool = False
    # One image for the whole shot (e.g. a reference photograph), not a sequence.
    still: bool = False

    @property
    def flag(self) -> str:
        """The CLI flag of this input when it is not the first (positional) one."""
        return "--" + self.name.replace("_", "-")

    @property
    def colorspace(self) -> str:
        """The name of this input's colour space setting (``keyframes_colorspace``: CLI flag, farm option)."""
        return f"{self.name}_colorspace"

    @property
    def colorspace_flag(self) -> str:
        return f"{self.flag}-colorspace"


@dataclass(frozen=True)
class Temporal:
    """Which other frames one output frame depends on: what farm chunks and chained steps respect.

    ``behind`` and ``ahead``: source frames read before and after every output frame (2 each for
    a repair from two neighbours each side; 12 each for a deflicker whose exposure track spans 12
    frames each side). ``keyframes``: the input whose frames cut the shot into intervals computed
    independently of each other (a frame depends on every frame between its bracketing keyframes);
    farm chunks then follow those intervals. ``shot``: a frame may depend on any frame of the shot
    (e.g. keyframes the node chooses over the whole shot); every chunk reads the whole shot. The
    engine reads what it needs itself, so any chunking is correct; this tells a farm how to chunk
    without repeating work, and what each chunk reads. ``handle_cost``: the work of a frame read
    only as a handle, against a written frame's, so that a render split over workers on one machine
    gives each the same work.
    """

    behind: int = 0
    ahead: int = 0
    keyframes: str = ""
    shot: bool = False
    handle_cost: float = 0.0
    # (behind, ahead) that depend on the chosen parameter values (e.g. a deflicker window);
    # overrides ``behind`` and ``ahead``.
    handles_of: Callable[[Mapping[str, Value]], tuple[int, int]] | None = None

    def handles_for(self, values: Mapping[str, Value]) -> tuple[int, int]:
        """(behind, ahead) of a run with these resolved parameter ``values``."""
        return self.handles_of(values) if self.handles_of is not None else (self.behind, self.ahead)

    @property
    def handle_work(self) -> float:
        """The work (in written frames') of reading one output frame's handles on their own."""
        return self.handle_cost * (self.behind + self.ahead)

    def resolved(self, values: Mapping[str, Value]) -> Temporal:
        """This declaration with the handles of a run with these resolved parameter ``values``."""
        behind, ahead = self.handles_for(values)
        return replace(self, behind=behind, ahead=ahead, handles_of=None)


FRAME_LOCAL = Temporal()

Upgrade = Callable[[dict[str, Value]], dict[str, Value]]
# A node's engine function: (request, progress callback returning True to cancel, log) -> report.
Engine = Callable[["Request", Callable[[int, int, str], bool], Callable[[str], None]], "JobReport"]


def no_models(values: Mapping[str, Value]) -> tuple[str, ...]:
    return ()


@dataclass(frozen=True)
class NodeDefinition:
    name: str
    version: int
    help: str
    inputs: tuple[Input, ...]
    parameters: tuple[Parameter, ...]
    outputs: tuple[str, ...]
    # upgrades[v] turns saved values of version v into version v + 1.
    upgrades: Mapping[int, Upgrade] = field(default_factory=dict)
    # The `tinct` subcommand that runs this node ('' for settings groups that are not run alone).
    command: str = ""
    # Names (in the model registry) of the weights a run with these resolved values needs.
    models: Callable[[Mapping[str, Value]], tuple[str, ...]] = no_models
    # Neighbour frames a result depends on (farm chunking, chained steps); frame-local by default.
    temporal: Temporal = FRAME_LOCAL
    # Runs a request of this node (tinct.nodes.api.run); None for settings groups.
    engine: Engine | None = None

    def command_line(
        self,
        inputs: Mapping[str, str],
        output: str,
        values: Mapping[str, object] | None = None,
        frames: str | None = None,
        extra: Sequence[str] = (),
    ) -> list[str]:
        """The argument list (no shell) that runs this node through the `tinct` CLI.

        The first input is positional, the others are ``--<input>`` flags; parameters are given
        only where they differ from the defaults, so saved jobs stay short and readable.
        """
        if not self.command:
            raise ParameterError(
                f"{self.name} cannot be run on its own",
                expected="a node with a command",
                found=self.name,
                repair="run one of the nodes in tinct.nodes.registry",
            )
        args = ["tinct", self.command]
        for index, spec in enumerate(self.inputs):
            path = inputs.get(spec.name)
            if path is None:
                if not spec.optional:
                    raise ParameterError(
                        f"{self.name} needs its {spec.name} input",
                        expected=spec.help,
                        found="nothing connected",
                        repair=f"connect or name the {spec.name} sequence",
                    )
                continue
            args += [str(path)] if index == 0 else [spec.flag, str(path)]
        args += ["-o", str(output)]
        if frames:
            args += ["--frames", frames]
        resolved = self.resolve(values or {})
        off = self.switched_off(resolved)
        for p in self.parameters:
            if resolved[p.name] != p.default and p.name not in off:
                args += [p.flag, str(resolved[p.name]).lower() if p.type is bool else str(resolved[p.name])]
        return args + list(extra)

    @property
    def still_inputs(self) -> frozenset[str]:
        """Names of the inputs that are one image for the whole shot, not a sequence."""
        return frozenset(spec.name for spec in self.inputs if spec.still)

    def parameter(self, name: str) -> Parameter:
        for p in self.parameters:
            if p.name == name:
                return p
        close = difflib.get_close_matches(name, [p.name for p in self.parameters], n=3)
        raise ParameterError(
            f"{self.name} has no parameter {name!r}",
            expected=", ".join(p.name for p in self.parameters),
            found=name,
            repair=f"did you mean {', '.join(close)}?" if close else f"see `tinct help {self.name}`",
        )

    def resolve_given(self, given: Mapping[str, object]) -> dict[str, Value]:
        """The values a user gave (a command line: only the parameters named there), resolved.

        A parameter given while its switch is off (``--no-dust --dust-strength 0.8``) would do
        nothing, so it is refused rather than ignored.
        """
        values = self.resolve(given)
        off = self.switched_off(values)
        for name in given:
            if name in off:
                p, switch = self.parameter(name), self.parameter(off[name])
                raise ParameterError(
                    f"{p.flag} given while {switch.name} is off",
                    expected=f"{p.flag} only while {switch.name} is on",
                    found=f"{p.flag} {given[name]} with {switch.name} {str(values[switch.name]).lower()}",
                    repair=f"drop {p.flag}, or turn {switch.name} on "
                    f"({switch.flag} {'true' if switch.type is bool else switch.default})",
                )
        return values

    def switched_off(self, values: Mapping[str, Value]) -> dict[str, str]:
        """Parameters that do nothing with these resolved ``values``: name -> the switch that is off
        (its own, or one its switch depends on)."""
        off: dict[str, str] = {}
        for p in self.parameters:
            switch = p.switch
            while switch and values[switch]:
                switch = self.parameter(switch).switch
            if switch:
                off[p.name] = switch
        return off

    def defaults(self) -> dict[str, Value]:
        return {p.name: p.default for p in self.parameters}

    def resolve(self, values: Mapping[str, object], version: int | None = None) -> dict[str, Value]:
        """Saved or user ``values`` (of ``version``, default current) -> a complete, checked set."""
        upgraded = self.upgrade(dict(values), version if version is not None else self.version)
        resolved = self.defaults()
        for name, value in upgraded.items():
            resolved[name] = self.parameter(name).parse(value, self.name)
        return resolved

    def upgrade(self, values: dict[str, Value], version: int) -> dict[str, Value]:
        if version > self.version:
            raise ParameterError(
                f"{self.name} settings come from a newer Tinct",
                expected=f"version {self.version} or older",
                found=f"version {version}",
                repair="update Tinct on this machine to the version that saved the script or job",
            )
        for v in range(version, self.version):
            values = self.upgrades[v](values)
        return values
