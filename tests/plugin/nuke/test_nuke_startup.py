"""Start-up (init.py: callbacks only, no UI), the Tinct menu and toolbar, and the farm seam."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib.resources import files
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest

from tests.plugin.nuke.scene import RESTORE_LIKE, Comp
from tinct.nodes.keyframe_colorize import KEYFRAME_COLORIZE
from tinct.plugin.host.installing import fill_template, host_settings
from tinct.plugin.nuke import menu, node as tnode
from tinct.plugin.nuke.farm import FarmUnavailable, bundle_builder

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


def test_submit_without_a_farm_adapter_says_so(nuke: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    import tinct.plugin.nuke.api as tinct_nuke

    def missing(name: str) -> ModuleType:
        raise ModuleNotFoundError(f"No module named {name!r}", name=name)

    monkeypatch.setattr("tinct.plugin.nuke.farm.importlib", SimpleNamespace(import_module=missing))
    group = tinct_nuke.new("TestRestore")
    group.setInput(0, Comp().plate)
    nuke.press(group, tnode.SUBMIT_KNOB)
    assert len(nuke.MESSAGES) == 1 and "Farm submission is not installed" in nuke.MESSAGES[0]
    assert nuke.EXECUTED == [], "nothing was rendered for a farm that is not there"


def test_submit_hands_the_job_to_the_farm_adapter(nuke: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tinct.plugin.nuke.api as tinct_nuke

    calls: list[dict[str, Any]] = []

    def build_bundle(**job: Any) -> Path:
        calls.append(job)
        return tmp_path / "bundle"

    monkeypatch.setitem(sys.modules, "tinct.plugin.farm", SimpleNamespace(build_bundle=build_bundle))
    group = tinct_nuke.new("TestRestore", radius=8)
    group.setInput(0, Comp().plate)
    group[tnode.FIRST_KNOB].setValue(1001)
    group[tnode.LAST_KNOB].setValue(1003)
    group[tnode.OUTPUT_KNOB].setValue(str(tmp_path / "out" / "sh010.####.exr"))
    nuke.press(group, tnode.SUBMIT_KNOB)
    assert calls[0]["definition"] is RESTORE_LIKE and calls[0]["frames"] == "1001-1003"
    assert calls[0]["values"]["radius"] == 8 and calls[0]["inputs"]["source"].endswith("source.####.exr")
    assert str(tmp_path / "bundle") in nuke.MESSAGES[0]


def test_a_broken_farm_adapter_keeps_its_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_import(name: str) -> ModuleType:
        raise ModuleNotFoundError("No module named 'openjd'", name="openjd")

    monkeypatch.setattr("tinct.plugin.nuke.farm.importlib", SimpleNamespace(import_module=broken_import))
    with pytest.raises(ModuleNotFoundError, match="openjd"):
        bundle_builder()
    monkeypatch.setattr("tinct.plugin.nuke.farm.importlib", SimpleNamespace(import_module=lambda name: SimpleNamespace()))
    with pytest.raises(FarmUnavailable, match="cannot build jobs"):
        bundle_builder()


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
    code = HARNESS.format(tests=str(REPO), fake=str(REPO / "tests" / "plugin" / "nuke" / "fake_nuke.py"), init=str(init))
    result = subprocess.run([sys.executable, "-S", "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.splitlines()[-1])
    assert report == {"callbacks": ["KnobChanged", "OnScriptLoad"], "heavy": []}
