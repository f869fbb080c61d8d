"""Scripts saved by an older Tinct load upgraded: the version knob and the definition's upgrades."""

from __future__ import annotations

from types import ModuleType

import pytest

from tests.plugin.nuke.scene import RESTORE_LIKE
from tinct.nodes.definition import NodeDefinition, Parameter
from tinct.plugin.nuke import callbacks
from tinct.plugin.nuke import node as tnode
from tinct.plugin.nuke.startup import register

# Version 1 of a node had "amount" (0-100); version 2 renamed it "strength" (0-1) and added "grain".
V1 = NodeDefinition(
    name="Aged",
    version=1,
    help="v1",
    inputs=RESTORE_LIKE.inputs,
    parameters=(
        Parameter("amount", float, 50.0, "how much", minimum=0.0, maximum=100.0),
        Parameter("model", str, "fast", "which", choices=("fast", "best")),
    ),
    outputs=("R",),
    command="restore",
)
V2 = NodeDefinition(
    name="Aged",
    version=2,
    help="v2",
    inputs=RESTORE_LIKE.inputs,
    parameters=(
        Parameter("strength", float, 0.5, "how much", minimum=0.0, maximum=1.0),
        Parameter("model", str, "fast", "which", choices=("fast", "best")),
        Parameter("grain", bool, False, "keep grain"),
    ),
    outputs=("R",),
    command="restore",
    upgrades={
        1: lambda v: {**{k: x for k, x in v.items() if k != "amount"}, "strength": float(v.get("amount", 50)) / 100}
    },
)


def saved_with_v1(nuke: ModuleType, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.setattr("tinct.nodes.registry.NODES", (V1,))
    import tinct.plugin.nuke.api as tinct_nuke

    group = tinct_nuke.new("Aged", amount=80.0, model="best")
    group[tnode.FIRST_KNOB].setValue(1001)
    group[tnode.LAST_KNOB].setValue(1050)
    group[tnode.OUTPUT_KNOB].setValue("/shots/sh010/aged.####.exr")
    group[tnode.PROCESSED_KNOB].setValue("{}")
    monkeypatch.setattr("tinct.nodes.registry.NODES", (V2,))  # Tinct was updated since
    register()
    return group  # type: ignore[no-any-return]


def test_loading_upgrades_values_and_keeps_the_artists_settings(
    nuke: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    group = saved_with_v1(nuke, monkeypatch)
    nuke.load_script()
    assert group.knob("amount") is None
    assert (group["strength"].value(), group["model"].value(), group["grain"].value()) == (0.8, "best", False)
    assert group[tnode.VERSION_KNOB].value() == 2
    assert (group[tnode.FIRST_KNOB].value(), group[tnode.LAST_KNOB].value()) == (1001, 1050)
    assert group[tnode.OUTPUT_KNOB].value() == "/shots/sh010/aged.####.exr"
    assert group[tnode.PARAMETERS_KNOB].value() == "strength model grain"
    names = [k.name() for k in group.allKnobs()]
    assert names.index("strength") < names.index(tnode.PROCESS_KNOB), "upgraded knobs keep the panel's layout"
    assert not nuke.MESSAGES


def test_upgrading_twice_changes_nothing(nuke: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    group = saved_with_v1(nuke, monkeypatch)
    nuke.load_script()
    before = {k.name(): k.value() for k in group.allKnobs()}
    assert tnode.upgrade(group) is False
    assert {k.name(): k.value() for k in group.allKnobs()} == before


def test_a_script_from_a_newer_tinct_is_reported_and_left_alone(
    nuke: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("tinct.nodes.registry.NODES", (V2,))
    import tinct.plugin.nuke.api as tinct_nuke

    group = tinct_nuke.new("Aged", strength=0.3)
    monkeypatch.setattr("tinct.nodes.registry.NODES", (V1,))
    register()
    nuke.load_script()
    assert group["strength"].value() == 0.3 and group[tnode.VERSION_KNOB].value() == 2
    assert len(nuke.MESSAGES) == 1 and "newer Tinct" in nuke.MESSAGES[0]


def test_headless_loads_report_on_stderr_not_in_a_dialog(
    nuke: ModuleType, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("tinct.nodes.registry.NODES", (V2,))
    import tinct.plugin.nuke.api as tinct_nuke

    tinct_nuke.new("Aged")
    monkeypatch.setattr("tinct.nodes.registry.NODES", ())
    nuke.GUI = False
    callbacks.script_loaded()
    assert not nuke.MESSAGES and "Unknown Tinct node 'Aged'" in capsys.readouterr().err


def test_a_device_parameter_of_version_1_becomes_the_device_knob(
    nuke: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Clarity v1 had a device parameter; v2 leaves it to the request, and the node keeps the choice."""
    from dataclasses import replace

    from tinct.nodes.definition import DEVICES
    from tinct.nodes.restore import CLARITY

    clarity_v1 = replace(
        CLARITY,
        version=1,
        upgrades={},
        parameters=(*CLARITY.parameters, Parameter("device", str, "auto", "where", choices=DEVICES)),
    )
    monkeypatch.setattr("tinct.nodes.registry.NODES", (clarity_v1,))
    import tinct.plugin.nuke.api as tinct_nuke

    group = tinct_nuke.new("Clarity", scale=4, device="cpu")
    monkeypatch.setattr("tinct.nodes.registry.NODES", (CLARITY,))
    callbacks.script_loaded()
    assert group.knob("device") is None and group[tnode.DEVICE_KNOB].value() == "cpu"
    assert group["scale"].value() == "4" and int(group[tnode.VERSION_KNOB].value()) == 2
