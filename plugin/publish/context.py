"""What the publish plugins share: the request in the pyblish context, what collectors gather,
the validation error type and the repair action.

Keys: ``context.data["tinct.request"]`` (a :class:`PublishRequest`, set by the caller);
per instance ``step`` (:class:`~tinct.plugin.farm.job.StepRequest`), ``index`` (step number),
``definition``, ``frames`` (frames to write), ``sequences`` (input name -> :class:`SequenceInfo`,
inputs on disk only), ``models`` (:class:`WeightsCheck` objects).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import pyblish.api

from tinct.core.errors import TinctError
from tinct.nodes.definition import NodeDefinition
from tinct.plugin.farm.job import JobRequest
from tinct.plugin.farm.plan import CURRENT_TINCT

REQUEST = "tinct.request"
HOSTS = ["python", "nuke", "resolve"]  # python: the tinct command line
FAMILY = "tinct.render"
KEYFRAMES_FAMILY = "tinct.keyframes"  # steps of nodes that propagate from keyframes
TARGET_LOCAL, TARGET_FARM = "local", "farm"


class WeightsCheck(Protocol):
    """A model's weights as a node uses them: ``verify()`` lists problems (missing file, wrong
    sha256), empty when the weights are present and good."""

    name: str

    def verify(self) -> list[str]: ...


@dataclass(frozen=True)
class RegistryWeights:
    """A registered model's weights file, checked against the sha256 its descriptor records."""

    name: str

    def verify(self) -> list[str]:
        from tinct.models.catalog import default_registry  # torch and safetensors load only when checking

        try:
            default_registry().verify(self.name)
        except TinctError as error:
            return [
                f"{error.title}"
                + (f" ({error.found})" if error.found else "")
                + (f"; {error.repair}" if error.repair else "")
            ]
        return []


def registry_weights(definition: NodeDefinition, values: Mapping[str, object]) -> Sequence[WeightsCheck]:
    """The weights a step needs with these values (invalid values are reported by their own check)."""
    try:
        resolved = definition.resolve(values)
    except TinctError:
        return ()
    return tuple(RegistryWeights(name) for name in definition.models(resolved))


@dataclass(frozen=True)
class PublishRequest:
    """A job to check and then render here (``target="local"``), write for a farm (``"farm"``,
    with ``farm`` settings) or only check (``"validate"``)."""

    job: JobRequest
    target: str = TARGET_LOCAL
    farm: object | None = None  # tinct.plugin.farm.targets.FarmSettings for target "farm"
    executable: tuple[str, ...] = CURRENT_TINCT
    models: Callable[[NodeDefinition, Mapping[str, object]], Sequence[WeightsCheck]] = registry_weights
    host: str = "python"


@dataclass(frozen=True)
class FrameHeader:
    """What a frame's header says; ``error`` set when it cannot be read."""

    width: int = 0
    height: int = 0
    display: tuple[int, int, int, int] = (0, 0, 0, 0)  # full x, y, width, height
    pixel_aspect: float = 1.0
    colorspace: str | None = None
    channels: tuple[str, ...] = ()
    is_float: bool = True
    error: str = ""


@dataclass
class SequenceInfo:
    pattern: str
    on_disk: list[int]  # every frame found
    headers: dict[int, FrameHeader] = field(default_factory=dict)  # the frames the step reads


class ValidationError(TinctError):
    """A check before rendering failed: title, what was expected and found, how to repair."""


class Repair(pyblish.api.Action):
    """Apply the failed validator's ``repair(context, instance)`` to every instance it failed on."""

    label = "Repair"
    on = "failed"
    icon = "wrench"

    def process(self, context: pyblish.api.Context, plugin: type) -> None:
        for instance in failed_instances(context, plugin):
            plugin.repair(context, instance)  # type: ignore[attr-defined]


def failed_instances(context: pyblish.api.Context, plugin: type) -> list[pyblish.api.Instance]:
    return [
        r["instance"]
        for r in context.data.get("results", [])
        if r["plugin"] is plugin and r["error"] is not None and r["instance"] is not None
    ]


def request_of(context: pyblish.api.Context) -> PublishRequest:
    request = context.data.get(REQUEST)
    if not isinstance(request, PublishRequest):
        raise ValidationError(
            "Nothing to publish",
            expected="a Tinct job request in the publish context",
            found=repr(request),
            repair="start the publish from `tinct publish` or a Tinct host adapter",
        )
    return request


def repair_step(context: pyblish.api.Context, instance: pyblish.api.Instance, **changes: object) -> None:
    """Change the instance's step in the request (a publish run again collects the repaired job)."""
    request = request_of(context)
    job = request.job.with_step(instance.data["index"], **changes)
    context.data[REQUEST] = PublishRequest(
        job, request.target, request.farm, request.executable, request.models, request.host
    )
