import pytest

from tinct.core.errors import ParameterError
from tinct.nodes.definition import Input, NodeDefinition, Parameter
from tinct.nodes.keyframe_colorize import KEYFRAME_COLORIZE, propagation_settings

NODE = NodeDefinition(
    name="Example",
    version=3,
    help="an example",
    inputs=(Input("source", "plate"),),
    parameters=(
        Parameter("strength", float, 0.5, "how much", minimum=0.0, maximum=1.0),
        Parameter("mode", str, "fast", "which", choices=("fast", "best")),
        Parameter("enabled", bool, True, "on or off"),
        Parameter("radius", int, 4, "pixels", minimum=1, maximum=64),
    ),
    outputs=("R", "G", "B"),
    upgrades={
        1: lambda v: {**{k: x for k, x in v.items() if k != "amount"}, "strength": v.get("amount", 0.5)},
        2: lambda v: {**v, "radius": int(v.get("radius", 2)) * 2},  # v3 doubled the radius scale
    },
)


def test_defaults_and_text_values_are_typed() -> None:
    assert NODE.resolve({}) == {"strength": 0.5, "mode": "fast", "enabled": True, "radius": 4}
    assert NODE.resolve({"strength": "0.25", "enabled": "off", "radius": "8"}) == {
        "strength": 0.25,
        "mode": "fast",
        "enabled": False,
        "radius": 8,
    }


@pytest.mark.parametrize(
    "values, message",
    [
        ({"strength": 2.0}, "out of range"),
        ({"mode": "slow"}, "unknown value"),
        ({"radius": 2.5}, "wrong type"),
        ({"enabled": "maybe"}, "wrong type"),
        ({"strenght": 0.1}, "did you mean strength"),
    ],
)
def test_bad_values_name_the_node_and_parameter(values: dict, message: str) -> None:
    with pytest.raises(ParameterError, match=message) as error:
        NODE.resolve(values)
    assert "Example" in str(error.value)


def test_saved_values_of_older_versions_are_upgraded() -> None:
    assert NODE.resolve({"amount": 0.9, "radius": 3}, version=1)["strength"] == 0.9
    assert NODE.resolve({"amount": 0.9, "radius": 3}, version=1)["radius"] == 6
    assert NODE.resolve({"radius": 3}, version=3)["radius"] == 3
    with pytest.raises(ParameterError, match="newer Tinct"):
        NODE.resolve({}, version=4)


def test_keyframe_colorize_definition_maps_to_engine_settings() -> None:
    settings = propagation_settings({"flow_quality": "fast", "fill_radius": 20})
    assert settings.flow_quality == "fast" and settings.fill_radius == 20.0
    assert KEYFRAME_COLORIZE.outputs[-1] == "colorize.confidence"
    assert [i.name for i in KEYFRAME_COLORIZE.inputs] == ["source", "keyframes"]
