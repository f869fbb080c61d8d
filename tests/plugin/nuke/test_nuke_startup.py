"""Start-up (init.py: callbacks only, no UI), and the Tinct menu and toolbar."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib.resources import files
from pathlib import Path
from types import ModuleType

import pytest

from tests.plugin.nuke.scene import RESTORE_LIKE, Comp
from tinct.nodes.keyframe_colorize import KEYFRAME_COLORIZE
from tinct.plugin.host.installing import fill_template, host_settings
from tinct.plugin.nuke import menu
from tinct.plugin.nuke import node as tnode

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(autouse=True)
def registry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("tinct.nodes.registry.NODES", (KEYFRAME_COLORIZE, RESTORE_LIKE))
    monkeypatch.setattr("tinct.plugin.nuke.menu.NODES", (KEYFRAME_COLORIZE, RESTORE_LIKE))


def template(name: str, python: str = "/studio/tinct/bin/python") -> str:
    text = (files("tinct.plugin.nuke") / "nuke_path" / name).read_text()
    return fill_template(text, {"TINCT_HOST": host_settings(python)}) if name == "init.py" else text


def test_init_py_registers_callbacks_without_any_ui(nuke: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TINCT_PYTHON", raising=False)
    nuke.GUI = False
    exec(compile(template("init.py"), "init.py", "exec"), {"__name__": "__main__"})
    kinds = {kind: [call.__name__ for call, *_ in calls] for kind, calls in nuke._CALLBACKS.items()}
    assert kinds == {"OnScriptLoad": ["script_loaded"], "KnobChanged": ["knob_changed"]}
    assert nuke._MENUS == {} and nuke.MESSAGES == []
    assert os.environ["TINCT_PYTHON"] == "/studio/tinct/bin/python"


def test_menu_py_adds_a_menu_and_toolbar_item_per_node(nuke: ModuleType) -> None:
    exec(compile(template("menu.py"), "menu.py", "exec"), {"__name__": "__main__"})
    for bar in ("Nuke", "Nodes"):
        tinct = nuke.menu(bar).findItem(menu.MENU)
        assert tinct is not None
        names = [item.name() for item in tinct.items()]
        assert names[:2] == ["KeyframeColorize", "TestRestore"]
    assert nuke.menu("Nodes").findItem("Tinct").findItem("TestRestore").tooltip == RESTORE_LIKE.help
    menu.install()  # again: no duplicates
    assert [i.name() for i in nuke.menu("Nodes").findItem("Tinct").items()] == ["KeyframeColorize", "TestRestore"]


def test_a_menu_item_creates_a_node_on_the_selection(nuke: ModuleType) -> None:
    comp = Comp()
    comp.plate.setSelected(True)
    menu.install()
    nuke.menu("Nodes").findItem("Tinct").findItem("KeyframeColorize").invoke()
    created = [n for n in nuke.allNodes("Group") if tnode.is_tinct(n)]
    assert len(created) == 1 and created[0].name() == "KeyframeColorize"
    assert created[0].input(0) is comp.plate
    assert (created[0][tnode.FIRST_KNOB].value(), created[0][tnode.LAST_KNOB].value()) == (1001, 1006)


HARNESS = """
import sys, types
sys.path.insert(0, {tests!r})
import importlib.util
spec = importlib.util.spec_from_file_location("nuke", {fake!r})
fake = importlib.util.module_from_spec(spec); sys.modules["nuke"] = fake; spec.loader.exec_module(fake)
fake.GUI = False
exec(compile(open({init!r}).read(), "init.py", "exec"), {{"__name__": "__main__"}})
heavy = sorted(m for m in ("numpy", "cv2", "torch", "OpenImageIO", "PyOpenColorIO") if m in sys.modules)
print(json_dumps := __import__("json").dumps({{"callbacks": sorted(fake._CALLBACKS), "heavy": heavy}}))
"""


def test_init_py_works_in_a_python_without_the_engines_packages(tmp_path: Path) -> None:
    """Nuke's Python has none of Tinct's dependencies: init.py must still make Tinct's nodes available."""
    init = tmp_path / "init.py"
    init.write_text(template("init.py", python=sys.executable))
    code = HARNESS.format(
        tests=str(REPO), fake=str(REPO / "tests" / "plugin" / "nuke" / "fake_nuke.py"), init=str(init)
    )
    result = subprocess.run([sys.executable, "-S", "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.splitlines()[-1])
    assert report == {"callbacks": ["KnobChanged", "OnScriptLoad"], "heavy": []}
