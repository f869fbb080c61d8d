"""Tinct in DaVinci Resolve: scripts under Workspace > Scripts that run a node on timeline clips.

"Tinct Colorize from Markers" renders the frames the colourist graded (timeline or clip markers of
a chosen colour), colours the clip's source from them with KeyframeColorize, and places the result
on the track above, frame for frame. Every other node with a command ("Tinct Restore", ...) runs
on the clip's source the same way, without keyframes.

Entry points: :func:`tinct.plugin.resolve.run.run_from_resolve_menu` (the installed scripts) and
``python -m tinct.plugin.resolve NODE`` (an external Python reaching a running Resolve).
"""

from __future__ import annotations

from tinct.nodes.definition import NodeDefinition

# Menu names that say more than "Tinct <node>".
_LABELS = {"KeyframeColorize": "Tinct Colorize from Markers"}


def script_label(definition: NodeDefinition) -> str:
    """The name of a node's script in Workspace > Scripts (also its file name, without .py)."""
    return _LABELS.get(definition.name, f"Tinct {definition.name}")
