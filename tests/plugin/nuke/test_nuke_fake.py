"""The fake Nuke refuses what the real one refuses, so the adapter's tests can catch misuse."""

from __future__ import annotations

from types import ModuleType

import pytest


def test_only_documented_knob_classes_exist(nuke: ModuleType) -> None:
    with pytest.raises(AttributeError):
        nuke.Float_Knob("strength", "strength")
    with pytest.raises(TypeError):
        nuke.Int_Knob("flow resolution", "label")  # knob names are identifiers
    with pytest.raises(TypeError):
        nuke.Enumeration_Knob("mode", "mode")  # the items are required


def test_setters_check_types(nuke: ModuleType) -> None:
    with pytest.raises(TypeError):
        nuke.Int_Knob("radius").setValue("4")
    with pytest.raises(TypeError):
        nuke.String_Knob("note").setValue(4)
    with pytest.raises(ValueError):
        nuke.Enumeration_Knob("mode", "mode", ["fast", "best"]).setValue("medium")
    with pytest.raises(TypeError):
        nuke.ProgressTask("job").setProgress(12.5)
    with pytest.raises(TypeError):
        nuke.message(3)


def test_knob_lookup_is_none_or_name_error(nuke: ModuleType) -> None:
    node = nuke.nodes.Grade()
    assert node.knob("no_such_knob") is None
    with pytest.raises(NameError):
        node["no_such_knob"]
    with pytest.raises(TypeError):
        nuke.nodes.Grade(no_such_knob=1)


def test_write_grows_exr_knobs_only_for_exr(nuke: ModuleType) -> None:
    assert nuke.nodes.Write().knob("datatype") is None
    assert nuke.nodes.Write(file_type="exr").knob("datatype") is not None


def test_execute_runs_only_connected_writes(nuke: ModuleType) -> None:
    with pytest.raises(RuntimeError):
        nuke.execute(nuke.nodes.Grade(), 1, 2)
    with pytest.raises(RuntimeError):
        nuke.execute(nuke.nodes.Write(), 1, 2)
    with pytest.raises(TypeError):
        write = nuke.nodes.Write()
        write.setInput(0, nuke.nodes.Constant())
        nuke.execute(write, 1.0, 2)
