"""Reach Resolve: the objects Resolve hands a script run from its menu, or the scripting module
from an external Python (``RESOLVE_SCRIPT_API`` / ``RESOLVE_SCRIPT_LIB``, else the default install)."""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import PureWindowsPath
from types import ModuleType
from typing import TYPE_CHECKING, Any

from tinct.core.errors import TinctError

if TYPE_CHECKING:
    from fusionscript import Fusion, Resolve

MODULE = "DaVinciResolveScript"
# Where Resolve installs its scripting module when RESOLVE_SCRIPT_API is not set.
DEFAULT_API = {
    "darwin": "/Library/Application Support/Blackmagic Design/DaVinci Resolve/Developer/Scripting",
    "win32": r"{PROGRAMDATA}\Blackmagic Design\DaVinci Resolve\Support\Developer\Scripting",
    "linux": "/opt/resolve/Developer/Scripting",
}


class ResolveUnavailable(TinctError):
    """Resolve or its scripting module cannot be reached."""


@dataclass(frozen=True)
class Session:
    """A reachable Resolve: the app, its Fusion (UIManager dialogs) and the module with UIDispatcher."""

    resolve: Resolve
    fusion: Fusion | None
    bmd: Any


def module_folders(platform: str = sys.platform, environ: Mapping[str, str] = os.environ) -> list[str]:
    """Folders that may hold DaVinciResolveScript.py, most specific first."""
    folders = []
    if environ.get("RESOLVE_SCRIPT_API"):
        folders.append(os.path.join(environ["RESOLVE_SCRIPT_API"], "Modules"))
    key = "linux" if platform.startswith("linux") else platform
    if key in DEFAULT_API:
        api = DEFAULT_API[key].format(PROGRAMDATA=environ.get("PROGRAMDATA", r"C:\ProgramData"))
        folders.append(str(PureWindowsPath(api) / "Modules") if key == "win32" else f"{api}/Modules")
    return folders


def scripting_module(platform: str = sys.platform, environ: Mapping[str, str] = os.environ) -> ModuleType:
    """Import DaVinciResolveScript, adding Resolve's module folders to sys.path if needed."""
    try:
        return importlib.import_module(MODULE)
    except ModuleNotFoundError as missing:
        if missing.name != MODULE:
            raise
    folders = [f for f in module_folders(platform, environ) if os.path.isdir(f) and f not in sys.path]
    sys.path.extend(folders)
    try:
        return importlib.import_module(MODULE)
    except ModuleNotFoundError as missing:
        if missing.name != MODULE:
            raise
        raise ResolveUnavailable(
            "Resolve's scripting module cannot be found",
            expected=f"{MODULE}.py in one of: " + ", ".join(module_folders(platform, environ)),
            found="no such module",
            repair="install DaVinci Resolve, or set RESOLVE_SCRIPT_API to its "
            "Developer/Scripting folder and RESOLVE_SCRIPT_LIB to its fusionscript library",
        ) from missing


def connect(
    script_globals: Mapping[str, Any] | None = None,
    platform: str = sys.platform,
    environ: Mapping[str, str] = os.environ,
) -> Session:
    """The running Resolve: from ``script_globals`` when Resolve runs the script from its menu
    (it passes ``resolve``, ``fusion``/``fu`` and ``bmd``), else through the scripting module."""
    given = dict(script_globals or {})
    if given.get("resolve") is not None:
        return Session(given["resolve"], given.get("fusion") or given.get("fu"), given.get("bmd"))
    module = scripting_module(platform, environ)
    resolve = module.scriptapp("Resolve")
    if resolve is None:
        raise ResolveUnavailable(
            "Cannot reach DaVinci Resolve",
            expected="Resolve running, with external scripting allowed",
            found="scriptapp('Resolve') gave nothing",
            repair="start Resolve and open a project; in Preferences > System > General set "
            "'External scripting using' to Local",
        )
    return Session(resolve, resolve.Fusion(), module)
