"""The house rules as checked contracts: imports flow plugin -> nodes -> models -> core, and the engine
never imports a host. Checked on the source (ast), so it holds whichever way the package is installed."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
LAYERS = ["plugin", "nodes", "models", "core"]  # each may import only the layers after it
HOSTS = {"nuke", "nukescripts", "DaVinciResolveScript", "pyblish", "hiero"}


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def sources(layer: str) -> list[Path]:
    return sorted((REPO / layer).rglob("*.py"))


@pytest.mark.parametrize("layer", LAYERS)
def test_imports_flow_one_way(layer: str) -> None:
    forbidden = {f"tinct.{other}" for other in LAYERS[: LAYERS.index(layer)]}
    offences = [
        f"{path.relative_to(REPO)} imports {name}"
        for path in sources(layer)
        for name in imported_modules(path)
        if any(name == f or name.startswith(f + ".") for f in forbidden)
    ]
    assert not offences, "\n".join(offences)


@pytest.mark.parametrize("layer", ["core", "models", "nodes"])
def test_engine_layers_never_import_a_host(layer: str) -> None:
    offences = [
        f"{path.relative_to(REPO)} imports {name}"
        for path in sources(layer)
        for name in imported_modules(path)
        if name.split(".")[0] in HOSTS
    ]
    assert not offences, "\n".join(offences)


def test_the_contract_catches_an_offence(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from tinct.plugin.cli import main\nimport nuke\n")
    assert {"tinct.plugin.cli", "nuke"} <= imported_modules(bad)


def test_importing_the_package_does_no_work() -> None:
    code = "import tinct.core.keyframe_colorize, tinct.plugin.cli.main, tinct.nodes.keyframe_colorize"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout == "" and result.stderr == "", result.stderr
