"""Every node Tinct offers, in menu order. Hosts build their menus, knobs and job parameters from here."""

from __future__ import annotations

from tinct.nodes.auto_colorize import AUTO_COLORIZE
from tinct.nodes.definition import NodeDefinition
from tinct.nodes.keyframe_colorize import KEYFRAME_COLORIZE
from tinct.nodes.output import OUTPUT
from tinct.nodes.restore import CLARITY, RESTORE

NODES: tuple[NodeDefinition, ...] = (RESTORE, CLARITY, KEYFRAME_COLORIZE, AUTO_COLORIZE)
# Settings shared by every node that writes frames (pixel type, compression).
OUTPUT_SETTINGS = OUTPUT


def node(name: str) -> NodeDefinition:
    for definition in NODES:
        if definition.name == name:
            return definition
    from tinct.core.errors import ParameterError

    raise ParameterError(
        f"Unknown Tinct node {name!r}",
        expected=", ".join(n.name for n in NODES),
        found=name,
        repair="update Tinct, or check the node name in the saved script or job",
    )
