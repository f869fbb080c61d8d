"""Nodes built from definitions: knobs, tooltips, inputs and the values read back from them."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import pytest

from tests.plugin.nuke.scene import RESTORE_LIKE
from tinct.core.errors import ParameterError
from tinct.nodes.definition import NodeDefinition, Parameter
from tinct.nodes.keyframe_colorize import KEYFRAME_COLORIZE
from tinct.plugin.nuke import node as tnode
from tinct.plugin.nuke.knobs import parameter_knob


@pytest.fixture
def registry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("tinct.nodes.registry.NODES", (KEYFRAME_COLORIZE, RESTORE_LIKE))


def new(nuke: ModuleType, definition: NodeDefinition, **values: object) -> Any:
    import tinct.plugin.nuke.api as tinct_nuke

    return tinct_nuke.new(definition.name, **values)


@pytest.mark.usefixtures("registry")
def test_every_parameter_becomes_a_knob_of_its_kind(nuke: ModuleType) -> None:
    group = new(nuke, RESTORE_LIKE)
    kinds = {name: group[name].Class() for name in ("dust", "strength", "radius", "model", "note")}
    assert kinds == {
        "dust": "Boolean_Knob",
        "strength": "Double_Knob",
        "radius": "Int_Knob",
        "model": "Enumeration_Knob",
        "note": "String_Knob",
    }
    assert group["model"].values() == ["fast", "best"]
    assert (group["strength"].min(), group["strength"].max()) == (0.0, 1.0)
    assert group["dust"].value() is True and group["radius"].value() == 4


def test_tooltips_carry_help_default_range_and_flag() -> None:
    tip = parameter_knob(KEYFRAME_COLORIZE.parameter("fill_radius")).tooltip()
    assert "unsure regions" in tip and "48.0" in tip and "2.0 to 512.0" in tip and "--fill-radius" in tip
    assert "fast, medium" in parameter_knob(KEYFRAME_COLORIZE.parameter("flow_quality")).tooltip()


@pytest.mark.usefixtures("registry")
def test_inputs_follow_the_definition(nuke: ModuleType) -> None:
    one, two = new(nuke, RESTORE_LIKE), new(nuke, KEYFRAME_COLORIZE)
    assert [n.name() for n in one.inputNodes()] == ["source"]
    assert [n.name() for n in two.inputNodes()] == ["source", "keyframes"]
    assert two.knob("keyframes_frames") is not None and one.knob("source_frames") is None


@pytest.mark.usefixtures("registry")
def test_values_are_read_back_typed_and_checked(nuke: ModuleType) -> None:
    group = new(nuke, RESTORE_LIKE, strength=0.25, model="best")
    group["radius"].setValue(9)
    group["dust"].setValue(False)
    assert tnode.parameter_values(group, RESTORE_LIKE) == {
        "dust": False,
        "strength": 0.25,
        "radius": 9,
        "model": "best",
        "note": "",
    }
    group["strength"].setValue(3.0)  # a Double_Knob accepts any number typed in; the definition does not
    with pytest.raises(ParameterError) as raised:
        tnode.parameter_values(group, RESTORE_LIKE)
    assert "strength" in raised.value.title and "0.0 to 1.0" in raised.value.expected


@pytest.mark.usefixtures("registry")
def test_buttons_hold_a_short_call_not_code(nuke: ModuleType) -> None:
    group = new(nuke, KEYFRAME_COLORIZE)
    for name in (tnode.PROCESS_KNOB, tnode.SUBMIT_KNOB, tnode.RANGE_KNOB):
        command = group[name].command()
        assert command.startswith("import tinct.plugin.nuke.callbacks as tinct_callbacks; tinct_callbacks.")
        assert command.count(";") == 1 and "\n" not in command


@pytest.mark.usefixtures("registry")
def test_hidden_knobs_record_definition_and_version(nuke: ModuleType) -> None:
    group = new(nuke, KEYFRAME_COLORIZE)
    assert group[tnode.NODE_KNOB].value() == "KeyframeColorize" and group[tnode.VERSION_KNOB].value() == 1
    assert not group[tnode.VERSION_KNOB].visible()
    assert tnode.definition_of(group) is KEYFRAME_COLORIZE


def test_a_parameter_named_like_a_built_in_knob_is_refused(nuke: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    clash = NodeDefinition(
        "Clash", 1, "x", RESTORE_LIKE.inputs, (Parameter("label", str, "", "a label"),), ("R",), command="x"
    )
    monkeypatch.setattr("tinct.nodes.registry.NODES", (clash,))
    with pytest.raises(ValueError, match="label"):
        new(nuke, clash)
