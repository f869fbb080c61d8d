"""Tinct in Foundry Nuke: Group nodes built from the node definitions, processed by the engine.

Importing this package does nothing; its modules import ``nuke``. The functions for ``nuke -t``
scripts and studio tools are in :mod:`tinct.plugin.nuke.api`. The files Nuke loads at start-up
(``init.py``, ``menu.py``) are templates in ``nuke_path/``, written by ``install/nuke/install.py``.
"""
