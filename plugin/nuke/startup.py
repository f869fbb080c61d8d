"""What Nuke runs at start-up in every mode (GUI, ``nuke -t``, ``nuke -x``): callbacks only, no UI."""

from __future__ import annotations

import nuke

from tinct.plugin.nuke import callbacks


def register() -> None:
    """Upgrade Tinct nodes when scripts load and keep their status current as knobs change."""
    nuke.addOnScriptLoad(callbacks.script_loaded)
    nuke.addKnobChanged(callbacks.knob_changed, nodeClass="Group")
