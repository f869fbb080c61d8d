"""AutoColorize: a grey shot or photograph -> colour, with no keyframes.

A colouriser proposes a few keyframes, on frames chosen where new content appears: the default
model (trained in this repository), another registered model, or a colour reference photograph of
similar content matched by texture. KeyframeColorize's propagation then carries that colour
through the shot, so it stays steady from frame to frame.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from tinct.nodes.definition import Input, NodeDefinition, Parameter, Temporal, Value
from tinct.nodes.keyframe_colorize import KEYFRAME_COLORIZE, run_colorize

if TYPE_CHECKING:
    from tinct.core.colour import ColourManager
    from tinct.core.keyframe_colorize import JobReport
    from tinct.core.keyframes import Proposer
    from tinct.core.reference import ReferenceColorizer
    from tinct.nodes.api import Request

DEFAULT_MODEL = "tinct-autocolor-v2"
DEFAULT_VIBRANCE = 0.4


def _autocolorize_models(values: Mapping[str, Value]) -> tuple[str, ...]:
    return (str(values["model"]),)


def _run_auto_colorize(
    request: Request, progress: Callable[[int, int, str], bool], log: Callable[[str], None]
) -> JobReport:
    from tinct.core.colour import ColourManager

    reference = request.inputs.get("reference")
    colours = proposer(
        request.parameters, ColourManager(request.ocio), reference, request.colorspaces.get("reference"), request.device
    )
    # A reference photograph decides the colours: its path is part of what the frames were made from.
    params = {**request.parameters, **({"reference": str(Path(reference).resolve())} if reference else {})}
    return run_colorize(request, progress, log, colours, params)


AUTO_COLORIZE = NodeDefinition(
    name="AutoColorize",
    version=2,
    help="Colour a grey shot or photograph without keyframes: a model, or a colour reference photograph of "
    "similar content, colours a few frames where new content appears and the colour follows motion "
    "through the shot, steady from frame to frame; luminance stays the plate's exactly.",
    inputs=(
        Input("source", "the grey plate or photograph (any OCIO colour space)"),
        Input(
            "reference",
            "a colour photograph of similar content (not a frame of the shot) to take colours "
            "from by texture correspondence, instead of the model",
            optional=True,
            still=True,
        ),
    ),
    parameters=(
        Parameter("model", str, DEFAULT_MODEL, "colourisation model (tinct models list); not used with a reference"),
        Parameter(
            "vibrance",
            float,
            DEFAULT_VIBRANCE,
            "how much of the model's colour to keep: 0 grey, 1 all of it; not used with a reference",
            minimum=0.0,
            maximum=1.0,
        ),
        Parameter(
            "keyframe_interval",
            int,
            48,
            "about one proposed keyframe per this many frames, placed where "
            "new content appears; fewer keyframes are steadier",
            minimum=1,
            maximum=100000,
        ),
        *KEYFRAME_COLORIZE.parameters,
    ),
    outputs=KEYFRAME_COLORIZE.outputs,
    # Version 2: where the model runs is the request's device, for every node, not a parameter.
    upgrades={1: lambda values: {k: v for k, v in values.items() if k != "device"}},
    command="colorize",
    models=_autocolorize_models,
    # The proposed keyframes are chosen over the whole shot.
    temporal=Temporal(shot=True),
    engine=_run_auto_colorize,
)


def proposer(
    values: Mapping[str, Value],
    colour: ColourManager,
    reference: str | None = None,
    reference_colorspace: str | None = None,
    device: str = "auto",
) -> Proposer:
    """The colouriser that proposes AutoColorize's keyframes, from checked parameter ``values``.

    Raises:
        TinctError: unknown model, missing or damaged weights, no such device; an unreadable or
            colourless reference photograph.
    """
    # Imported here: node definitions load in Nuke's and Resolve's own Pythons, which lack torch/cv2.
    from tinct.core.keyframes import Proposer

    v = AUTO_COLORIZE.resolve(values)
    interval = int(v["keyframe_interval"])
    if reference is not None:
        colorizer, digest = _reference_colorizer(Path(reference), colour, reference_colorspace)
        return Proposer(
            colorizer.chroma,
            f"reference:{digest}",
            interval,
            f"reference photograph {reference}",
            inputs=(Path(reference),),
        )
    from tinct.models.autocolor import AutoColorizer

    model = AutoColorizer(str(v["model"]), device, vibrance=float(v["vibrance"]))
    return Proposer(
        lambda y: model.colour(y, colour),
        f"model:{model.name}:{model.sha256}:vibrance={model.vibrance!r}",
        interval,
        f"model {model.name}",
    )


def _reference_colorizer(path: Path, colour: ColourManager, colorspace: str | None) -> tuple[ReferenceColorizer, str]:
    """A colour photograph -> its texture-correspondence colouriser and a digest of its pixels."""
    import hashlib

    from tinct.core.imageio import is_float_spec, read_image, spec_colorspace
    from tinct.core.reference import ReferenceColorizer

    image = read_image(path)
    space, _ = colour.source_space(colorspace, spec_colorspace(image.spec), is_float_spec(image.spec))
    digest = hashlib.sha256(image.pixels.tobytes() + space.encode()).hexdigest()
    return ReferenceColorizer(colour.to_working(image.rgb(), space), colour, source=path), digest
