"""Tinct's front door: one typed request per node run, one call that runs it, and their JSON form.

::

    from tinct.nodes import api as tinct

    request = tinct.Request.create("Restore", {"source": "scan/sh010.####.dpx"}, "out/sh010.####.exr",
                                   {"grain": 0.5}, frames=range(1001, 1101), device="cuda")
    report = tinct.run(request, progress=lambda done, total, message: print(done, total))
    text = request.to_json()                     # what a farm plan or a subprocess bridge carries
    assert tinct.Request.from_json(text) == request

Every host builds requests (the CLI from its flags, Nuke from a node's knobs, farm tasks from
their plan), so there is one way in. A request is made from a node definition: its inputs, its
parameters with their real types, its outputs. A :class:`TinctError` crosses a process boundary as
data (:func:`error_to_dict`, :func:`error_from_dict`).

The module lives in ``tinct.nodes`` because requests are made from node definitions and the
import rule (plugin -> nodes -> models -> core) lets the nodes layer reach the engine.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from tinct.core.errors import CancelledError, ParameterError, TinctError, error_from_dict, error_to_dict
from tinct.nodes.definition import DEVICES, NodeDefinition, Value
from tinct.nodes.output import OUTPUT
from tinct.nodes.registry import node as _definition

if TYPE_CHECKING:
    from tinct.core.keyframe_colorize import JobReport as Report
    from tinct.core.keyframe_colorize import OutputOptions

__all__ = [
    "DEVICES",
    "CancelledError",
    "Progress",
    "Report",
    "Request",
    "TinctError",
    "error_from_dict",
    "error_to_dict",
    "run",
]

REQUEST_FORMAT = "tinct-request"
REQUEST_VERSION = 1

# progress(done, total, message): frames finished so far, as the engine reports them.
Progress = Callable[[int, int, str], object]


@dataclass(frozen=True)
class Request:
    """One run of one node: what it reads, writes and how. Make it with :meth:`create` (checked)."""

    node: str
    inputs: Mapping[str, str]  # input name -> sequence pattern (a still: one file)
    output: str  # EXR sequence pattern
    parameters: Mapping[str, Value]  # every parameter of the node, checked and typed
    frames: tuple[int, ...] | None = None  # None: every frame of the source
    device: str = "auto"  # where networks and the per-pixel work run: auto, cpu, cuda
    colorspaces: Mapping[str, str] = field(default_factory=dict)  # input name -> OCIO colour space
    output_colorspace: str | None = None  # None: the source's
    ocio: str | None = None  # None: $OCIO, else the built-in studio config
    output_settings: Mapping[str, Value] = field(default_factory=OUTPUT.defaults)  # pixel type, compression
    overwrite: bool = False  # rewrite frames already written with the same parameters

    @classmethod
    def create(
        cls,
        node: str,
        inputs: Mapping[str, str],
        output: str,
        parameters: Mapping[str, object] | None = None,
        *,
        frames: Iterable[int] | None = None,
        device: str = "auto",
        colorspaces: Mapping[str, str] | None = None,
        output_colorspace: str | None = None,
        ocio: str | None = None,
        output_settings: Mapping[str, object] | None = None,
        overwrite: bool = False,
    ) -> Request:
        """A checked request: known node and inputs, parameters typed and in range (those given only
        are refused while their switch is off), a known device.

        Raises:
            ParameterError: what is wrong, and how to repair it.
        """
        definition = _definition(node)
        names = [spec.name for spec in definition.inputs]
        for name in [*inputs, *(colorspaces or {})]:
            if name not in names:
                raise ParameterError(
                    f"{definition.name} has no {name} input",
                    expected=", ".join(names),
                    found=name,
                    repair=f"name one of the inputs of {definition.name}",
                )
        missing = [spec.name for spec in definition.inputs if not spec.optional and not inputs.get(spec.name)]
        if missing:
            spec = definition.inputs[names.index(missing[0])]
            raise ParameterError(
                f"{definition.name} needs its {spec.name} input",
                expected=spec.help,
                found="nothing given",
                repair=f"connect or name the {spec.name} sequence",
            )
        if device not in DEVICES:
            raise ParameterError(
                "Unknown device",
                expected="one of " + ", ".join(DEVICES),
                found=repr(device),
                repair="choose auto, cpu or cuda",
            )
        return cls(
            definition.name,
            {k: str(v) for k, v in inputs.items() if v},
            str(output),
            definition.resolve_given(parameters or {}),
            None if frames is None else tuple(sorted(set(frames))),
            device,
            dict(colorspaces or {}),
            output_colorspace,
            ocio,
            OUTPUT.resolve_given(output_settings or {}),
            overwrite,
        )

    @property
    def definition(self) -> NodeDefinition:
        return _definition(self.node)

    def with_frames(self, frames: Iterable[int] | None) -> Request:
        return replace(self, frames=None if frames is None else tuple(sorted(set(frames))))

    def output_options(self) -> OutputOptions:
        """How the engine writes this request's frames."""
        from tinct.core.keyframe_colorize import OutputOptions

        return OutputOptions(
            pixel_type=str(self.output_settings["pixel_type"]),
            compression=str(self.output_settings["compression"]),
            colorspace=self.output_colorspace,
            overwrite=self.overwrite,
        )

    def to_dict(self) -> dict[str, object]:
        return {
            "format": REQUEST_FORMAT,
            "version": REQUEST_VERSION,
            "node": self.node,
            "nodeVersion": self.definition.version,
            "inputs": dict(self.inputs),
            "output": self.output,
            "parameters": dict(self.parameters),
            "frames": None if self.frames is None else list(self.frames),
            "device": self.device,
            "colorspaces": dict(self.colorspaces),
            "outputColorspace": self.output_colorspace,
            "ocio": self.ocio,
            "outputSettings": dict(self.output_settings),
            "overwrite": self.overwrite,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Request:
        """A request written by :meth:`to_dict`, by this or an older Tinct (parameters are upgraded).

        Raises:
            ParameterError: not a request, one from a newer Tinct, or a malformed one.
        """
        version = data.get("version")
        if data.get("format") != REQUEST_FORMAT or not isinstance(version, int) or version > REQUEST_VERSION:
            raise ParameterError(
                "Not a Tinct request, or one from a newer Tinct",
                expected=f"{REQUEST_FORMAT} version {REQUEST_VERSION} or older",
                found=f"{data.get('format')} version {version}",
                repair="write the request with the Tinct version that runs it",
            )
        try:
            definition = _definition(str(data["node"]))
            frames = data.get("frames")
            request = cls.create(
                definition.name,
                dict(data.get("inputs") or {}),
                str(data["output"]),
                frames=None if frames is None else [int(f) for f in frames],
                device=str(data.get("device", "auto")),
                colorspaces=dict(data.get("colorspaces") or {}),
                output_colorspace=_optional(data.get("outputColorspace")),
                ocio=_optional(data.get("ocio")),
                output_settings=dict(data.get("outputSettings") or {}),
                overwrite=bool(data.get("overwrite", False)),
            )
            saved = dict(data.get("parameters") or {})
            parameters = definition.resolve(saved, int(data.get("nodeVersion", definition.version)))
        except (KeyError, TypeError, ValueError) as error:
            raise ParameterError(
                "A Tinct request is malformed",
                expected="the fields Request.to_json writes",
                found=f"{type(error).__name__}: {error}",
                repair="write the request again from its host or with tinct.nodes.api",
            ) from error
        return replace(request, parameters=parameters)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    @classmethod
    def from_json(cls, text: str) -> Request:
        try:
            data = json.loads(text)
        except ValueError as error:
            raise ParameterError(
                "A Tinct request is not valid JSON",
                expected="a request written by Request.to_json",
                found=str(error),
                repair="write the request again",
            ) from error
        return cls.from_dict(data)


def __getattr__(name: str) -> object:
    # Report is the engine's JobReport (written, skipped, notes), imported on use: the engine loads numpy.
    if name == "Report":
        from tinct.core.keyframe_colorize import JobReport

        return JobReport
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _optional(value: object) -> str | None:
    return None if value is None else str(value)


def run(
    request: Request,
    progress: Progress | None = None,
    cancel: Callable[[], bool] | None = None,
    log: Callable[[str], None] = lambda _: None,
    workers: int = 1,
) -> Report:
    """Run ``request``: read, process and write its frames; returns which were written and skipped.

    ``workers`` above 1 splits the frames over that many processes where the node allows it
    (:mod:`tinct.nodes.workers`); the pixels are the same. Progress then comes as chunks finish.

    ``progress(done, total, message)`` is called as frames finish; ``cancel()`` returning True stops
    the run between frames with CancelledError (frames already written stay complete). ``log``
    receives the engine's notes (colour spaces used, frames skipped).

    Raises:
        TinctError: a user error (file, frame, value and repair named), CancelledError when stopped.
    """
    engine = request.definition.engine
    if engine is None:
        raise ParameterError(
            f"{request.node} cannot be run on its own",
            expected="a node with an engine function",
            found=request.node,
            repair="run one of the nodes in tinct.nodes.registry",
        )

    def callback(done: int, total: int, message: str) -> bool:
        if progress is not None:
            progress(done, total, message)
        return bool(cancel is not None and cancel())

    if workers > 1:
        from tinct.nodes.workers import plan, run_split

        chunks = plan(request, workers)
        if chunks:
            return run_split(request, chunks, workers, callback, log)
    return engine(request, callback, log)
