"""Restore and Clarity: repair a damaged scan (dust, dirt, scratches, flicker, grain), then enlarge it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from tinct.nodes.definition import Input, NodeDefinition, Parameter, Temporal, Value
from tinct.nodes.pixels import pixels_for

if TYPE_CHECKING:
    from tinct.core.keyframe_colorize import JobReport
    from tinct.core.pixels import Pixels
    from tinct.core.restore import RestoreSettings, Upscaler
    from tinct.nodes.api import Request

# Clarity networks by scale (tinct.models.catalog); the compact video network is fast on a CPU.
CLARITY_MODELS = {2: "realesr-animevideov3-x2", 4: "realesr-animevideov3-x4"}
# A handle frame's work against a restored frame's: it is read, its motion and exposure measured, and
# nothing repaired (1080p, one thread: about 0.12 s against 0.9 s).
HANDLE_COST = 0.125

_RADIUS = Parameter(
    "radius",
    int,
    12,
    "neighbour frames each side that grain reduction draws on (dust repair on up to 3; beyond 3,"
    " only where the picture stands still); more removes more grain, slower and with more memory"
    " (beyond 12, frames held ahead too)",
    minimum=1,
    maximum=24,
)
_DEFLICKER_WINDOW = Parameter(
    "deflicker_window",
    int,
    12,
    "frames each side of the current one over which the "
    "exposure is followed; longer is steadier and holds more frames in memory, "
    "shorter follows quicker lighting changes",
    minimum=4,
    maximum=48,
    switch="deflicker",
)


def _restore_models(values: Mapping[str, Value]) -> tuple[str, ...]:
    scale = int(values["clarity"])
    return (CLARITY_MODELS[scale],) if scale > 1 else ()


def _clarity_models(values: Mapping[str, Value]) -> tuple[str, ...]:
    model = str(values["model"])
    return (CLARITY_MODELS[int(values["scale"])] if model == "auto" else model,)


def _restore_handles(values: Mapping[str, Value]) -> tuple[int, int]:
    # The exposure track reaches deflicker_window frames each side (twice that before, where the shot
    # ends ahead within it); dust and grain use radius frames each side, the scratch test up to
    # scratches.WINDOW frames each side, scratches.LOOKBACK more before and scratches.LOOKAHEAD more
    # after; the stabilised camera path stabilise_window each side.
    settings = restore_settings(values)
    return settings.behind, settings.ahead


def _run_restore(request: Request, progress: Callable[[int, int, str], bool], log: Callable[[str], None]) -> JobReport:
    values = request.parameters
    scale = int(values["clarity"])
    upscaler, upscaler_id = (
        clarity_upscaler(scale, device=request.device, ocio=request.ocio) if scale > 1 else (None, "")
    )
    settings = restore_settings(values)
    return _run(request, settings, dict(values), upscaler, upscaler_id, pixels_for(request.device), progress, log)


def _run_clarity(request: Request, progress: Callable[[int, int, str], bool], log: Callable[[str], None]) -> JobReport:
    from tinct.core.restore import RestoreSettings

    values = request.parameters
    upscaler, upscaler_id = clarity_upscaler(int(values["scale"]), str(values["model"]), request.device, request.ocio)
    nothing = RestoreSettings(dust=False, scratches=False, deflicker=False, grain=0.0)
    # With no repair there is no per-pixel restore work to move: the frames pass through on the host.
    return _run(request, nothing, dict(values), upscaler, upscaler_id, pixels_for("cpu"), progress, log)


def _run(
    request: Request,
    settings: RestoreSettings,
    params: dict[str, object],
    upscaler: Upscaler | None,
    upscaler_id: str,
    pixels: Pixels,
    progress: Callable[[int, int, str], bool],
    log: Callable[[str], None],
) -> JobReport:
    from tinct.core.restore import RestoreJob, RestoreRequest
    from tinct.core.sequence import parse_sequence

    definition = request.definition
    job = RestoreRequest(
        source=parse_sequence(request.inputs["source"]),
        output=parse_sequence(request.output),
        frames=None if request.frames is None else list(request.frames),
        source_colorspace=request.colorspaces.get("source"),
        settings=settings,
        output_options=request.output_options(),
        ocio=request.ocio,
        node=definition.name,
        node_version=definition.version,
        params=params,
        upscaler=upscaler,
        upscaler_id=upscaler_id,
        pixels=pixels,
    )
    return RestoreJob(job, log=log).run(progress_callback=progress)


RESTORE = NodeDefinition(
    name="Restore",
    version=1,
    help="Repair a damaged film scan: one-frame dust and dirt, line scratches, exposure flicker and grain, "
    "each with a switch and a strength; optionally remove gate weave (stabilise) and enlarge it (clarity). "
    "Writes the defect matte restore.defect beside the picture; nothing is borrowed across a scene cut.",
    inputs=(Input("source", "the damaged scan (any OCIO colour space; an IR channel is used for dust)"),),
    parameters=(
        Parameter("dust", bool, True, "remove dust and dirt: specks and blotches that are in one frame only"),
        Parameter(
            "dust_strength",
            float,
            0.5,
            "dust detection sensitivity: higher finds fainter specks, and risks taking more picture detail for dust",
            minimum=0.0,
            maximum=1.0,
            switch="dust",
        ),
        Parameter(
            "infrared",
            str,
            "auto",
            "scanner infrared defect channel (digital wet gate): 'auto' uses a "
            "channel named IR, ir or infrared when the scan has one; a channel name; or '' for none. "
            "Black-and-white silver film blocks infrared, so use it with colour stock",
            switch="dust",
        ),
        Parameter(
            "infrared_threshold",
            float,
            0.15,
            "drop of infrared transmission (share of clean film's) where a defect starts; full at twice that",
            minimum=0.02,
            maximum=0.9,
            switch="infrared",
        ),
        Parameter("scratches", bool, True, "remove vertical line scratches that stay on the film for many frames"),
        Parameter(
            "scratch_strength",
            float,
            0.5,
            "scratch detection sensitivity: higher finds fainter lines, "
            "and risks taking thin vertical picture lines for scratches",
            minimum=0.0,
            maximum=1.0,
            switch="scratches",
        ),
        Parameter(
            "deflicker",
            bool,
            True,
            "remove exposure flicker, global and regional; fades and real lighting changes are kept",
        ),
        Parameter(
            "deflicker_strength",
            float,
            1.0,
            "share of the measured flicker removed",
            minimum=0.0,
            maximum=1.0,
            switch="deflicker",
        ),
        _DEFLICKER_WINDOW,
        Parameter(
            "deflicker_regions",
            int,
            4,
            "columns of the grid over which regional flicker is measured "
            "(rows follow the frame's aspect); 1 removes global flicker only",
            minimum=1,
            maximum=16,
            switch="deflicker",
        ),
        Parameter(
            "grain",
            float,
            0.7,
            "grain and noise reduction, motion compensated; 0 turns it off",
            minimum=0.0,
            maximum=1.0,
        ),
        Parameter(
            "grain_keep",
            float,
            0.0,
            "share of the original grain put back so the picture does not look plastic",
            minimum=0.0,
            maximum=1.0,
            switch="grain",
        ),
        _RADIUS,
        Parameter(
            "flow_quality",
            str,
            "balanced",
            "motion estimation quality: fast finds motion 4x quicker (restore about 4 % quicker) and"
            " misplaces fine detail under grain; refined places it closer still (+0.07 dB on real"
            " footage, restore about 5 % slower: for final renders); medium searches more densely for"
            " little gain",
            choices=("fast", "balanced", "refined", "medium"),
        ),
        Parameter(
            "flow_resolution", int, 640, "long side in pixels at which motion is estimated", minimum=256, maximum=4096
        ),
        Parameter(
            "cut_threshold",
            float,
            0.45,
            "share of a frame the previous frame must fail to explain for a scene cut; lower finds more cuts",
            minimum=0.1,
            maximum=1.0,
        ),
        Parameter(
            "stabilise",
            bool,
            False,
            "remove gate weave: the picture's small shifts and turns from frame to frame in the scanner's "
            "or projector's gate; camera pans, tilts and zooms are kept, and edges are repeated where the "
            "picture moves in",
        ),
        Parameter(
            "stabilise_window",
            int,
            12,
            "the most frames each side over which the intended camera path is fitted (fewer where the "
            "camera's own move turns quickly): longer removes slower weave, shorter follows quicker camera "
            "moves; as many frames ahead are held in memory",
            minimum=4,
            maximum=48,
            switch="stabilise",
        ),
        Parameter(
            "clarity",
            int,
            1,
            "enlarge the restored frames 2 or 4 times with a super-resolution network (1: keep the size)",
            choices=(1, 2, 4),
        ),
    ),
    outputs=("R", "G", "B", "restore.defect"),
    command="restore",
    models=_restore_models,
    temporal=Temporal(handles_of=_restore_handles, handle_cost=HANDLE_COST),
    engine=_run_restore,
)

CLARITY = NodeDefinition(
    name="Clarity",
    version=2,
    help="Enlarge a sequence 2 or 4 times with a super-resolution network, in scene-linear: values above "
    "1.0 and negative values survive; extra channels are enlarged with it.",
    inputs=(Input("source", "the sequence to enlarge (any OCIO colour space)"),),
    parameters=(
        Parameter("scale", int, 2, "how many times larger", choices=(2, 4)),
        Parameter(
            "model",
            str,
            "auto",
            "super-resolution network (tinct models list); auto: the fast video network for the scale",
        ),
    ),
    outputs=("R", "G", "B"),
    # Version 2: where the network runs is the request's device, for every node, not a parameter.
    upgrades={1: lambda values: {k: v for k, v in values.items() if k != "device"}},
    command="clarity",
    models=_clarity_models,
    engine=_run_clarity,
)


def restore_settings(values: Mapping[str, Value]) -> RestoreSettings:
    """Checked Restore parameter values -> the engine's restore settings."""
    # Imported here: node definitions load in Nuke's and Resolve's own Pythons, which lack numpy/cv2.
    from tinct.core.restore import RestoreSettings

    v = RESTORE.resolve(values)
    return RestoreSettings(
        dust=bool(v["dust"]),
        dust_strength=float(v["dust_strength"]),
        infrared=str(v["infrared"]),
        infrared_threshold=float(v["infrared_threshold"]),
        scratches=bool(v["scratches"]),
        scratch_strength=float(v["scratch_strength"]),
        deflicker=bool(v["deflicker"]),
        deflicker_strength=float(v["deflicker_strength"]),
        deflicker_window=int(v["deflicker_window"]),
        deflicker_regions=int(v["deflicker_regions"]),
        grain=float(v["grain"]),
        grain_keep=float(v["grain_keep"]),
        radius=int(v["radius"]),
        flow_quality=str(v["flow_quality"]),
        flow_resolution=int(v["flow_resolution"]),
        cut_threshold=float(v["cut_threshold"]),
        stabilise=bool(v["stabilise"]),
        stabilise_window=int(v["stabilise_window"]),
    )


def clarity_upscaler(
    scale: int, model: str = "auto", device: str = "auto", ocio: str | None = None
) -> tuple[Upscaler, str]:
    """Load the super-resolution network for ``scale`` -> (upscaler, its id for provenance and resume).

    Raises:
        TinctError: an unknown model, a model of another scale, missing or damaged weights, no such device.
    """
    from tinct.core.colour import ColourManager
    from tinct.core.errors import ParameterError
    from tinct.models.catalog import default_registry
    from tinct.models.device import choose_device
    from tinct.models.upscale import ModelUpscaler

    registry = default_registry()
    name = CLARITY_MODELS[scale] if model == "auto" else model
    descriptor = registry.get(name)
    if descriptor.scale != scale:
        raise ParameterError(
            f"Clarity model {name!r} enlarges {descriptor.scale} times, not {scale}",
            expected=f"a model of scale {scale}",
            found=f"scale {descriptor.scale}",
            repair="choose a model of the scale asked for, or model auto",
        )
    colour = ColourManager(ocio)
    loaded = registry.load(name, choose_device(device))
    return ModelUpscaler(loaded, colour.to_model, colour.from_model), f"{name} sha256:{descriptor.sha256}"
