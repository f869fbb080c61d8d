"""Tinct nodes in Nuke: one Group per node definition, its knobs generated from the definition.

Inside the group: one Input per definition input (named after it, so the DAG arrows read
``source``, ``keyframes``), a Read of the last processed result and a Switch that shows that result
once there is one and the first input until then, so the node stays live in the comp and renders
in ``nuke -x`` like any Read. Hidden knobs record the definition and the version that built the
node; a script saved by an older Tinct is upgraded when it loads (:func:`upgrade`).
"""

from __future__ import annotations

from collections.abc import Mapping

import nuke

from tinct.core.errors import ParameterError
from tinct.nodes.definition import DEVICES, NodeDefinition, Value
from tinct.nodes.registry import OUTPUT_SETTINGS
from tinct.nodes.registry import node as definition_named
from tinct.plugin.nuke.knobs import knob_values, parameter_knob, set_value

TAB_KNOB = "tinct"
ABOUT_KNOB = "tinct_about"
NODE_KNOB, VERSION_KNOB = "tinct_node", "tinct_version"
KNOBS_KNOB, PARAMETERS_KNOB = "tinct_knobs", "tinct_parameters"
FIRST_KNOB, LAST_KNOB, RANGE_KNOB = "tinct_first", "tinct_last", "tinct_input_range"
OUTPUT_KNOB, COLORSPACE_KNOB, OCIO_KNOB, DEVICE_KNOB = "tinct_output", "tinct_colorspace", "tinct_ocio", "tinct_device"
PROCESS_KNOB, SUBMIT_KNOB = "tinct_process", "tinct_submit"
STATUS_KNOB, PROCESSED_KNOB = "tinct_status", "tinct_processed"
RESULT_NODE, SWITCH_NODE, OUTPUT_NODE = "result", "show", "Output1"
TILE_COLOR = 0x7A5C99FF


# Buttons run a short call into a named function: no code lives in the saved script.
_CALL = "import tinct.plugin.nuke.callbacks as tinct_callbacks; tinct_callbacks.{}()"
PROCESS_COMMAND = _CALL.format("process")
SUBMIT_COMMAND = _CALL.format("submit")
RANGE_COMMAND = _CALL.format("use_input_range")

NOT_PROCESSED = "not processed yet: press Process"


def frames_knob(input_name: str) -> str:
    return f"{input_name}_frames"


def keyframes_input(definition: NodeDefinition) -> str:
    """The input the artist paints on a few frames only ('' if none): a knob lists those frames and
    only they are rendered and handed to the engine, which takes every file it gets as a keyframe."""
    return definition.temporal.keyframes


def result_knobs(definition: NodeDefinition) -> list[str]:
    """The knobs beside the definition's parameters that decide a result: frame range, painted
    frames, output, colour and output settings."""
    names = [FIRST_KNOB, LAST_KNOB, OUTPUT_KNOB, COLORSPACE_KNOB, OCIO_KNOB]
    names += [frames_knob(spec.name) for spec in definition.inputs]
    return names + [parameter.name for parameter in OUTPUT_SETTINGS.parameters]


def watched_knobs(group: nuke.Node) -> set[str]:
    """Every knob whose change makes the last result out of date (ParameterError for a damaged node)."""
    return {*str(knob(group, PARAMETERS_KNOB).value()).split(), *result_knobs(definition_of(group))}


def is_tinct(node: nuke.Node) -> bool:
    return node.knob(NODE_KNOB) is not None


def definition_of(node: nuke.Node) -> NodeDefinition:
    """The node definition a Tinct group was built from (ParameterError for unknown names)."""
    recorded = node.knob(NODE_KNOB)
    if recorded is None:
        raise ParameterError(
            f"{node.name()} is not a Tinct node",
            expected="a node made from the Tinct menu",
            found=f"a {node.Class()} node",
            repair="select a Tinct node, or create one from the Tinct menu",
        )
    return definition_named(str(recorded.value()))


def knob(node: nuke.Node, name: str) -> nuke.Knob:
    """``node[name]`` with a Tinct message when a knob was deleted from the node by hand."""
    found = node.knob(name)
    if found is None:
        raise ParameterError(
            f"{node.name()} has lost its {name} knob",
            expected="the knobs Tinct created",
            found="the knob was removed",
            repair="delete the node and create it again from the Tinct menu",
        )
    return found


def build(group: nuke.Group, definition: NodeDefinition, values: Mapping[str, object] | None = None) -> None:
    """Fill an empty ``group`` with ``definition``'s inputs, result Read and knobs.

    ``values`` (checked by the definition) override the parameters' defaults.
    """
    checked = definition.resolve(values or {})
    _build_graph(group, definition)
    root = nuke.root()
    host: dict[str, object] = {FIRST_KNOB: root.firstFrame(), LAST_KNOB: root.lastFrame(), STATUS_KNOB: NOT_PROCESSED}
    add_knobs(group, definition, checked, host)
    knob(group, "tile_color").setValue(TILE_COLOR)


def _build_graph(group: nuke.Group, definition: NodeDefinition) -> None:
    with group:
        inputs = []
        for number, spec in enumerate(definition.inputs):
            existing = group.node(spec.name)
            inputs.append(existing if existing is not None else nuke.nodes.Input(name=spec.name, number=number))
        if group.node(SWITCH_NODE) is not None:
            return
        result = nuke.nodes.Read(name=RESULT_NODE, raw=True)
        switch = nuke.nodes.Switch(name=SWITCH_NODE, which=0)
        switch.setInput(0, inputs[0])
        switch.setInput(1, result)
        output = nuke.nodes.Output(name=OUTPUT_NODE)
        output.setInput(0, switch)


def add_knobs(
    group: nuke.Group, definition: NodeDefinition, values: Mapping[str, Value], host: Mapping[str, object]
) -> None:
    """Add every Tinct knob to ``group``: parameters set to ``values``, host knobs (frame range,
    output, colour, status) to ``host`` where given."""
    added: list[str] = []

    def add(new: nuke.Knob, starts_line: bool = True) -> nuke.Knob:
        name = new.name()
        if group.knob(name) is not None:
            raise ValueError(
                f"{definition.name}: knob name {name!r} is already taken on the node; rename the parameter"
            )
        if not starts_line:
            new.clearFlag(nuke.STARTLINE)
        group.addKnob(new)
        added.append(name)
        if name in host:
            new.setValue(host[name])  # a value this same knob gave when the node was last built
        return new

    add(nuke.Tab_Knob(TAB_KNOB, "Tinct"))
    add(nuke.Text_Knob(ABOUT_KNOB, "", f"<b>{definition.name}</b> (v{definition.version}): {definition.help}"))
    for parameter in definition.parameters:
        set_value(add(parameter_knob(parameter)), values[parameter.name])
    add(nuke.Text_Knob("tinct_frames_divider", "frames"))
    add(_tip(nuke.Int_Knob(FIRST_KNOB, "frame range"), "First frame to process."))
    add(_tip(nuke.Int_Knob(LAST_KNOB, "to"), "Last frame to process."), starts_line=False)
    add(
        _tip(nuke.PyScript_Knob(RANGE_KNOB, "input range", RANGE_COMMAND), "Set the frame range from the first input."),
        starts_line=False,
    )
    for spec in definition.inputs[1:]:
        if spec.name == keyframes_input(definition):
            add(
                _tip(
                    nuke.String_Knob(frames_knob(spec.name), f"{spec.name} frames"),
                    f"The frames you painted on the {spec.name} input, e.g. 1001,1040,1100 or 1001-1003. "
                    f"Only these frames are rendered and used: {spec.help}.",
                )
            )
    add(nuke.Text_Knob("tinct_output_divider", "output"))
    for parameter in OUTPUT_SETTINGS.parameters:
        add(parameter_knob(parameter))
    add(
        _tip(
            nuke.File_Knob(OUTPUT_KNOB, "output"),
            "EXR sequence the result is written to, e.g. /shots/sh010/tinct/sh010.####.exr. "
            "Empty: a tinct folder next to the saved script.",
        )
    )
    add(
        _tip(
            nuke.String_Knob(COLORSPACE_KNOB, "working colour space"),
            "OCIO name (in Tinct's config) of the colour space of this script's working pixels. "
            "Empty: the config's scene_linear role (ACEScg in the built-in config); set it, e.g. "
            "'Linear Rec.709 (sRGB)', when the script works in another space.",
        )
    )
    add(
        _tip(
            nuke.File_Knob(OCIO_KNOB, "OCIO config"),
            "OCIO config for Tinct. Empty: $OCIO, else Tinct's built-in studio config.",
        )
    )
    add(
        _tip(
            nuke.Enumeration_Knob(DEVICE_KNOB, "device", list(DEVICES)),
            "Where Tinct's networks and per-pixel work run: auto uses a CUDA GPU when torch sees one. "
            "The result agrees with the CPU's within a small tolerance.",
        )
    )
    add(
        _tip(
            nuke.PyScript_Knob(PROCESS_KNOB, "Process", PROCESS_COMMAND),
            "Render the inputs where needed, run Tinct over the frame range and show the result.",
        )
    )
    add(
        _tip(
            nuke.PyScript_Knob(SUBMIT_KNOB, "Submit to farm", SUBMIT_COMMAND),
            "Render the inputs where needed and hand the job to the render farm.",
        ),
        starts_line=False,
    )
    add(nuke.Text_Knob(STATUS_KNOB, "status", NOT_PROCESSED))
    for name, value in (
        (NODE_KNOB, definition.name),
        (PARAMETERS_KNOB, " ".join(p.name for p in definition.parameters)),
    ):
        hidden = add(nuke.String_Knob(name, name))
        hidden.setValue(value)
        hidden.setFlag(nuke.INVISIBLE)
    version = add(nuke.Int_Knob(VERSION_KNOB, VERSION_KNOB))
    version.setValue(definition.version)
    version.setFlag(nuke.INVISIBLE)
    add(nuke.String_Knob(PROCESSED_KNOB, PROCESSED_KNOB)).setFlag(nuke.INVISIBLE)
    knobs = add(nuke.String_Knob(KNOBS_KNOB, KNOBS_KNOB))
    knobs.setValue(" ".join(added))
    knobs.setFlag(nuke.INVISIBLE)


def _tip(new: nuke.Knob, text: str) -> nuke.Knob:
    new.setTooltip(text)
    return new


def host_values(group: nuke.Node, definition: NodeDefinition) -> dict[str, object]:
    """The values of the knobs that are not the definition's parameters (kept through upgrades)."""
    names = [*result_knobs(definition), DEVICE_KNOB, STATUS_KNOB, PROCESSED_KNOB]
    values: dict[str, object] = {}
    for name in names:
        found = group.knob(name)
        if found is not None:
            values[name] = found.value()
    return values


def remove_knobs(group: nuke.Node) -> None:
    """Remove every knob Tinct added (as recorded on the node), newest first."""
    for name in reversed(str(knob(group, KNOBS_KNOB).value()).split()):
        found = group.knob(name)
        if found is not None:
            group.removeKnob(found)


def upgrade(group: nuke.Group) -> bool:
    """Bring a Tinct group saved by an older version up to its definition's current version.

    The saved parameter values go through the definition's upgrade functions; knobs are rebuilt
    in the current layout with the frame range, output and colour settings kept. Returns True if
    the node changed. A node saved by a newer Tinct raises ParameterError and is left untouched.
    """
    definition = definition_of(group)
    saved_version = int(knob(group, VERSION_KNOB).value())
    if saved_version == definition.version:
        return False
    saved: dict[str, object] = {}
    for name in str(knob(group, PARAMETERS_KNOB).value()).split():
        found = group.knob(name)
        if found is not None:
            saved[name] = found.value()
    values = definition.resolve(saved, saved_version)
    host = host_values(group, definition)
    if "device" in saved:  # Clarity and AutoColorize v1 had it as a parameter: the artist's choice stays
        host[DEVICE_KNOB] = saved["device"]
    remove_knobs(group)
    _build_graph(group, definition)
    add_knobs(group, definition, values, host)
    return True


def parameter_values(group: nuke.Node, definition: NodeDefinition) -> dict[str, Value]:
    """The node's checked parameter values (ParameterError names the knob and the allowed range)."""
    return definition.resolve(knob_values(group, definition))


def output_values(group: nuke.Node) -> dict[str, Value]:
    return OUTPUT_SETTINGS.resolve(knob_values(group, OUTPUT_SETTINGS))
