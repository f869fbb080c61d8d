"""The Tinct menu (Nuke's menu bar) and toolbar (Nodes toolbar): one item per node definition.

GUI only: called from the installed plugin folder's menu.py, never from init.py.
"""

from __future__ import annotations

import functools

import nuke

from tinct.nodes.registry import NODES
from tinct.plugin.nuke import callbacks

MENU = "Tinct"


def install() -> None:
    """Add the Tinct menu and toolbar (idempotent: Nuke returns the existing menus and replaces
    items of the same name)."""
    toolbar = nuke.menu("Nodes").addMenu(MENU)
    menu = nuke.menu("Nuke").addMenu(MENU)
    for definition in NODES:
        if not definition.command:
            continue
        command = functools.partial(callbacks.create, definition.name)
        for target in (toolbar, menu):
            target.addCommand(definition.name, command, tooltip=definition.help)
    menu.addSeparator()
    menu.addCommand(
        "Process selected", callbacks.process_selected, tooltip="Process every selected Tinct node, one after the other"
    )
