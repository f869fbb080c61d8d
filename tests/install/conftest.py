"""The installers are scripts, not modules of tinct: load them from their files."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[2]


def load_installer(host: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"tinct_install_{host}", REPO / "install" / host / "install.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
