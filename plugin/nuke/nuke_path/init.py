"""Tinct for Nuke: the plugin folder's init.py (written by install/nuke/install.py from this template).

Nuke runs it in every mode, ``nuke -t`` and ``nuke -x`` included, so it registers callbacks only and
never touches the UI. It makes the ``tinct`` package importable in Nuke's Python (Tinct's own
pure-Python code only; the engine runs in the Tinct environment recorded below).
"""

import importlib
import os
import sys
import types

TINCT_HOST: dict = {}  # filled in by the installer: {"python": ..., "package_roots": [...]}


def _make_tinct_importable(host: dict) -> None:
    os.environ.setdefault("TINCT_PYTHON", host["python"])
    try:
        importlib.import_module("tinct.plugin")
    except ModuleNotFoundError:
        package = types.ModuleType("tinct")
        package.__path__ = list(host["package_roots"])
        sys.modules["tinct"] = package


_make_tinct_importable(TINCT_HOST)
importlib.import_module("tinct.plugin.nuke.startup").register()
