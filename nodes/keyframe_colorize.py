"""KeyframeColorize: a grey plate and a few colour keyframes -> a steady colour sequence."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from tinct.nodes.definition import Input, NodeDefinition, Parameter, Temporal, Value
from tinct.nodes.pixels import pixels_for

if TYPE_CHECKING:
    from tinct.core.keyframe_colorize import JobReport
    from tinct.core.keyframes import Proposer
    from tinct.core.propagation import PropagationSettings
    from tinct.nodes.api import Request


def run_colorize(
    request: Request,
    progress: Callable[[int, int, str], bool],
    log: Callable[[str], None],
    proposer: Proposer | None = None,
    params: Mapping[str, object] | None = None,
) -> JobReport:
    """KeyframeColorize's engine function; AutoColorize's too, with the ``proposer`` of its keyframes."""
    from tinct.core.keyframe_colorize import ColorizeRequest, KeyframeColorizeJob
    from tinct.core.sequence import parse_sequence

    definition = request.definition
    keyframes = request.inputs.get("keyframes")
    job = ColorizeRequest(
        source=parse_sequence(request.inputs["source"]),
        keyframes=parse_sequence(keyframes) if keyframes else None,
        output=parse_sequence(request.output),
        frames=None if request.frames is None else list(request.frames),
        source_colorspace=request.colorspaces.get("source"),
        keyframes_colorspace=request.colorspaces.get("keyframes"),
        settings=propagation_settings(request.parameters),
        output_options=request.output_options(),
        ocio=request.ocio,
        node=definition.name,
        node_version=definition.version,
        params=dict(params if params is not None else request.parameters),
        proposer=proposer,
        pixels=pixels_for(request.device),
    )
    return KeyframeColorizeJob(job, log=log).run(progress_callback=progress)


KEYFRAME_COLORIZE = NodeDefinition(
    name="KeyframeColorize",
    version=1,
    help="Colour a grey shot from colour keyframes: colour follows motion from every keyframe in both "
    "directions; luminance stays the plate's exactly.",
    inputs=(
        Input("source", "the grey plate (any OCIO colour space)"),
        Input("keyframes", "colour keyframes named by the plate frame they colour; only their chroma is used"),
    ),
    parameters=(
        Parameter(
            "flow_quality",
            str,
            "medium",
            "motion estimation quality: fast is about 3x quicker, medium follows fine motion better",
            choices=("fast", "medium"),
        ),
        Parameter(
            "flow_resolution",
            int,
            1024,
            "long side in pixels at which motion is tracked and colour carried from frame to frame (the keyframe is "
            "always sampled at full size); larger is slower and follows finer detail",
            minimum=256,
            maximum=4096,
        ),
        Parameter(
            "occlusion_tolerance",
            float,
            2.0,
            "forward/backward motion disagreement in pixels before a "
            "region counts as occluded; lower marks more of the image unsure",
            minimum=0.25,
            maximum=8.0,
        ),
        Parameter(
            "match_tolerance",
            float,
            0.12,
            "how far the plate may differ from the keyframe's plate (sRGB-encoded luminance) before colour is doubted",
            minimum=0.01,
            maximum=0.5,
        ),
        Parameter(
            "fill_radius",
            float,
            48.0,
            "how far (pixels at 1920 wide, scaled with the image) unsure regions look for colour from sure neighbours",
            minimum=2.0,
            maximum=512.0,
        ),
        Parameter(
            "fill_similarity",
            float,
            0.08,
            "how close in luminance (sRGB-encoded) a sure neighbour must "
            "be to lend its colour; lower keeps colour tighter inside edges",
            minimum=0.01,
            maximum=0.5,
        ),
    ),
    outputs=("R", "G", "B", "colorize.confidence"),
    command="colorize",
    # A frame's colour depends on the plate between its bracketing keyframes, and on nothing else.
    temporal=Temporal(keyframes="keyframes"),
    engine=run_colorize,
)


def propagation_settings(values: Mapping[str, Value]) -> PropagationSettings:
    """Checked KeyframeColorize parameter values (others ignored) -> the engine's propagation settings."""
    # Imported here: node definitions load in Nuke's and Resolve's own Pythons, which lack numpy/cv2.
    from dataclasses import fields

    from tinct.core.propagation import PropagationSettings

    # Nodes that embed these parameters (AutoColorize) pass their other values too.
    own = {p.name for p in KEYFRAME_COLORIZE.parameters}
    v = KEYFRAME_COLORIZE.resolve({name: value for name, value in values.items() if name in own})
    # The engine's settings carry the node's own parameter names: no renaming between them.
    return PropagationSettings(**{field.name: v[field.name] for field in fields(PropagationSettings)})
