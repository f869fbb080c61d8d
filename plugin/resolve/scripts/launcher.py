"""Tinct for DaVinci Resolve: one Workspace > Scripts entry (written by install/resolve/install.py).

Resolve runs this file in its own Python with ``resolve``, ``fusion`` and ``bmd`` among its globals.
It makes the ``tinct`` package importable there (Tinct's own code; the engine runs in the Tinct
environment recorded below), then runs its node on the current timeline.
"""

import importlib
import os
import sys
import types

TINCT_HOST: dict = {}  # filled in by the installer: {"python": ..., "package_roots": [...]}
TINCT_NODE = ""  # filled in by the installer: the node this script runs


def _make_tinct_importable(host: dict) -> None:
    os.environ.setdefault("TINCT_PYTHON", host["python"])
    try:
        importlib.import_module("tinct.plugin")
    except ModuleNotFoundError:
        package = types.ModuleType("tinct")
        package.__path__ = list(host["package_roots"])
        sys.modules["tinct"] = package


_make_tinct_importable(TINCT_HOST)
importlib.import_module("tinct.plugin.resolve.run").run_from_resolve_menu(TINCT_NODE, globals())
