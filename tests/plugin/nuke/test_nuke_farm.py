"""Submit to farm, from a Nuke node (fake `nuke`) through Tinct's real farm adapter, down to a bundle
that `openjd run` executes; in Nuke's Python and through the Tinct python."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from tests.conftest import ACESCG_Y
from tests.plugin.nuke.scene import COUNT, FIRST, RESTORE_LIKE, Comp
from tests.plugin.nuke.test_nuke_process import colorize
from tinct.core.imageio import read_image
from tinct.nodes.api import Request
from tinct.nodes.keyframe_colorize import KEYFRAME_COLORIZE
from tinct.plugin.farm import openjd
from tinct.plugin.farm.plan import PLAN_FILE
from tinct.plugin.nuke import node as tnode

LAST = FIRST + COUNT - 1


@pytest.fixture(autouse=True)
def registry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("tinct.nodes.registry.NODES", (KEYFRAME_COLORIZE, RESTORE_LIKE))


@pytest.mark.parametrize("where", ["nuke", "tinct python"])
def test_submit_to_farm_writes_a_bundle_that_openjd_runs(
    nuke: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    if where == "nuke":
        monkeypatch.delenv("TINCT_PYTHON", raising=False)
    else:
        monkeypatch.setenv("TINCT_PYTHON", sys.executable)
    comp = Comp()
    group = colorize(comp, tmp_path, fill_radius=20.0)
    nuke.press(group, tnode.SUBMIT_KNOB)
    bundle = tmp_path / "out" / "farm"
    assert str(bundle) in nuke.MESSAGES[-1] and "deadline bundle submit" in nuke.MESSAGES[-1]
    assert not list((tmp_path / "out").glob("sh010.*.exr")), "submitting renders nothing but the inputs"
    plan = json.loads((bundle / PLAN_FILE).read_text())
    (step,) = plan["steps"]
    task = Request.from_dict(step["chunks"][0]["request"])
    assert task.node == "KeyframeColorize" and task.parameters["fill_radius"] == 20.0
    assert task.inputs["keyframes"].endswith("inputs/keyframes/keyframes.####.exr")
    ran = subprocess.run(openjd.run_command(bundle), capture_output=True, text=True)
    assert ran.returncode == 0, ran.stdout[-3000:]
    for frame in range(FIRST, LAST + 1):
        pixels = read_image(tmp_path / "out" / f"sh010.{frame}.exr").rgb()
        assert np.allclose(pixels @ ACESCG_Y, comp.grey(frame)[..., 0], atol=2e-3), "luminance is the plate's"


def test_a_farm_error_from_the_tinct_python_is_a_message(
    nuke: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The farm adapter refuses a non-EXR output in the Tinct python; the error comes back as data."""
    monkeypatch.setenv("TINCT_PYTHON", sys.executable)
    group = colorize(Comp(), tmp_path)
    group[tnode.OUTPUT_KNOB].setValue(str(tmp_path / "out" / "sh010.####.png"))
    nuke.press(group, tnode.SUBMIT_KNOB)
    assert len(nuke.MESSAGES) == 1 and "Tinct writes EXR files only" in nuke.MESSAGES[0]
    assert "repair" in nuke.MESSAGES[0] and not (tmp_path / "out" / "farm" / PLAN_FILE).exists()
