"""Tinct's Nuke functions for ``nuke -t`` scripts and studio tools::

import tinct.plugin.nuke.api as tinct_nuke
group = tinct_nuke.new("KeyframeColorize", flow_quality="fast")   # no UI: works in nuke -t
tinct_nuke.process(group, background=False)                        # render inputs, run, show result
tinct_nuke.process_all()                                           # every Tinct node of the script
"""

from __future__ import annotations

import nuke

from tinct.nodes.registry import node as _definition_named
from tinct.plugin.nuke.node import build, definition_of, is_tinct, upgrade
from tinct.plugin.nuke.processing import prepare, process, process_all

__all__ = ["build", "definition_of", "is_tinct", "new", "prepare", "process", "process_all", "upgrade"]


def new(name: str, **values: object) -> nuke.Group:
    """A new Tinct node of definition ``name`` with parameter ``values`` (no UI: works in ``nuke -t``)."""
    definition = _definition_named(name)
    definition.resolve(values)  # refuse bad values before anything is added to the script
    group = nuke.nodes.Group()
    build(group, definition, values)
    group.setName(definition.name, uncollide=True)
    return group
