"""The named functions behind Tinct's menu items, node buttons and Nuke callbacks.

Buttons store only a short call such as
``import tinct.plugin.nuke.callbacks as tinct_callbacks; tinct_callbacks.process()``, so saved
scripts carry no code. User errors (TinctError) become a message box in the GUI and one line on
stderr in ``nuke -t`` / ``nuke -x``; anything else keeps its traceback.
"""

from __future__ import annotations

import sys

import nuke

from tinct.core.errors import TinctError
from tinct.nodes.registry import node as definition_named
from tinct.plugin.nuke import node as tnode
from tinct.plugin.nuke import processing as tprocess


def report(error: TinctError) -> None:
    if nuke.GUI:
        nuke.message(f"Tinct\n\n{error}")
    else:
        print(f"tinct: {error}", file=sys.stderr)


def create(name: str) -> nuke.Group | None:
    """Menu command: a new node of definition ``name``, connected to the selection like any node."""
    try:
        definition = definition_named(name)
        group = nuke.createNode("Group", inpanel=False)
        if not isinstance(group, nuke.Group):
            raise TypeError(f"nuke.createNode('Group') returned a {type(group).__name__}")
        tnode.build(group, definition)
        group.setName(definition.name, uncollide=True)
        if group.input(0) is not None:
            _set_range_from_input(group)
    except TinctError as error:
        report(error)
        return None
    if nuke.GUI:
        group.showControlPanel()
    return group


def _set_range_from_input(group: nuke.Node) -> None:
    upstream = group.input(0)
    if upstream is None:
        raise TinctError(
            f"{group.name()} has no first input",
            expected="a connected first input",
            found="nothing connected",
            repair="connect the plate, or type the frame range",
        )
    span = upstream.frameRange()
    tnode.knob(group, tnode.FIRST_KNOB).setValue(span.first())
    tnode.knob(group, tnode.LAST_KNOB).setValue(span.last())


def use_input_range() -> None:
    """Button: set the node's frame range from its first input."""
    try:
        _set_range_from_input(nuke.thisNode())
    except TinctError as error:
        report(error)


def process() -> None:
    """Button: process this node (see tinct.plugin.nuke.process)."""
    try:
        tprocess.process(nuke.thisNode())
    except TinctError as error:
        report(error)


def process_selected() -> None:
    """Menu command: process every selected Tinct node."""
    groups = [n for n in nuke.selectedNodes() if tnode.is_tinct(n)]
    if not groups:
        report(
            TinctError(
                "No Tinct node selected",
                expected="one or more selected Tinct nodes",
                found="none",
                repair="select the Tinct nodes to process",
            )
        )
    for group in groups:
        try:
            tprocess.process(group)
        except TinctError as error:
            report(error)


def submit() -> None:
    """Button: hand this node's job to the render farm."""
    from tinct.plugin.nuke.farm import submit as submit_to_farm

    try:
        bundle = submit_to_farm(nuke.thisNode())
    except TinctError as error:
        report(error)
        return
    message = (
        f"Farm job written to {bundle}\n\nSubmit it with your farm's tool, e.g.\n  deadline bundle submit {bundle}"
    )
    if nuke.GUI:
        nuke.message(message)
    else:
        print(f"tinct: {message}", file=sys.stderr)


def knob_changed() -> None:
    """knobChanged callback (Group nodes): say on the node when its result no longer matches its knobs.

    Fires for every knob, panel opening included; it reacts only to the settings and to input
    changes, and writes only the status knob, which it ignores, so it cannot recurse.
    """
    group, changed = nuke.thisNode(), nuke.thisKnob()
    if not tnode.is_tinct(group):
        return
    try:
        watched = tnode.watched_knobs(group)
        processed = str(tnode.knob(group, tnode.PROCESSED_KNOB).value())
    except TinctError:
        return  # a node Tinct cannot read was reported when the script loaded
    name = changed.name()
    if name == "inputChange":
        text = "inputs changed since the last Process: press Process to update" if processed else tnode.NOT_PROCESSED
    elif name in watched:
        if not processed:
            text = tnode.NOT_PROCESSED
        elif processed == tprocess.settings_fingerprint(group):
            text = "processed with these settings (Process again after changes upstream)"
        else:
            text = "settings changed since the last Process: press Process to update"
    else:
        return
    status = tnode.knob(group, tnode.STATUS_KNOB)
    if status.value() != text:
        status.setValue(text)


def script_loaded() -> None:
    """onScriptLoad callback: upgrade Tinct nodes saved by an older version (no UI in nuke -t/-x)."""
    for group in nuke.allNodes("Group", recurseGroups=True):
        if not tnode.is_tinct(group) or not isinstance(group, nuke.Group):
            continue
        try:
            if tnode.upgrade(group):
                print(
                    f"tinct: upgraded {group.fullName()} to {tnode.definition_of(group).name} "
                    f"v{tnode.definition_of(group).version}",
                    file=sys.stderr,
                )
        except TinctError as error:
            report(error)
