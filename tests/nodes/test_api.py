"""The front door: typed requests made from node definitions, their JSON form, run() with progress
and cancel, and errors as data."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import TinyShot
from tinct.core.errors import CancelledError, ParameterError, SequenceError, TinctError, error_from_dict, error_to_dict
from tinct.core.imageio import read_image
from tinct.nodes import api
from tinct.nodes.auto_colorize import AUTO_COLORIZE
from tinct.plugin.cli.main import main


def colorize(shot: TinyShot, out: str = "api", **values: object) -> api.Request:
    return api.Request.create(
        "KeyframeColorize",
        {"source": shot.grey_pattern, "keyframes": shot.keys_pattern},
        shot.out_pattern(out),
        {"flow_quality": "fast", **values},
        output_settings={"pixel_type": "float"},
    )


def test_public_names_are_listed() -> None:
    assert set(api.__all__) >= {"Request", "run", "Report", "TinctError", "error_to_dict", "error_from_dict"}
    assert all(hasattr(api, name) for name in api.__all__)


def test_requests_carry_real_types_from_the_definition() -> None:
    request = api.Request.create(
        "Restore",
        {"source": "scan.####.exr"},
        "out.####.exr",
        {"grain": "0.4", "clarity": "2", "dust": "false"},
        frames=[3, 1, 2],
    )
    assert request.parameters["grain"] == 0.4 and request.parameters["clarity"] == 2
    assert request.parameters["dust"] is False and request.parameters["radius"] == 12
    assert request.frames == (1, 2, 3) and request.device == "auto"


@pytest.mark.parametrize(
    "change, message",
    [
        ({"inputs": {"source": "a.####.exr", "keyframes": "k.####.exr"}}, "no keyframes input"),
        ({"inputs": {}}, "needs its source input"),
        ({"parameters": {"grain": 2.0}}, "out of range"),
        ({"parameters": {"dust": False, "dust_strength": 0.8}}, "while dust is off"),
        ({"device": "tpu"}, "Unknown device"),
    ],
)
def test_bad_requests_are_refused_with_a_repair(change: dict, message: str) -> None:
    arguments = {"inputs": {"source": "a.####.exr"}, "parameters": {}, **change}
    device = arguments.pop("device", "auto")
    with pytest.raises(ParameterError, match=message) as raised:
        api.Request.create("Restore", arguments["inputs"], "o.####.exr", arguments["parameters"], device=device)
    assert raised.value.repair


def test_json_round_trip_keeps_every_field() -> None:
    request = api.Request.create(
        "AutoColorize",
        {"source": "g.####.exr", "reference": "photo.jpg"},
        "o.####.exr",
        {"keyframe_interval": 12},
        frames=range(1001, 1011),
        device="cpu",
        colorspaces={"reference": "sRGB Encoded Rec.709 (sRGB)"},
        output_colorspace="ACEScg",
        ocio="ocio://studio-config-latest",
        output_settings={"compression": "dwaa"},
        overwrite=True,
    )
    text = request.to_json()
    assert json.loads(text)["parameters"]["keyframe_interval"] == 12
    assert api.Request.from_json(text) == request


def test_saved_requests_of_an_older_node_version_are_upgraded() -> None:
    data = api.Request.create("Clarity", {"source": "a.####.exr"}, "b.####.exr", {"scale": 4}).to_dict()
    data.update(nodeVersion=1, parameters={"scale": "4", "model": "auto", "device": "cuda"})
    assert api.Request.from_dict(data).parameters == {"scale": 4, "model": "auto"}
    with pytest.raises(ParameterError, match="newer Tinct"):
        api.Request.from_dict({**data, "version": 99})


def test_run_reports_progress_and_matches_the_cli(tiny_shot: TinyShot) -> None:
    seen: list[tuple[int, int]] = []
    report = api.run(colorize(tiny_shot), progress=lambda done, total, message: seen.append((done, total)))
    assert report.written == list(range(1001, 1007)) and seen[-1] == (6, 6)
    assert (
        main(
            [
                "colorize",
                tiny_shot.grey_pattern,
                "--keyframes",
                tiny_shot.keys_pattern,
                "-o",
                tiny_shot.out_pattern("cli"),
                "--flow-quality",
                "fast",
                "--pixel-type",
                "float",
            ]
        )
        == 0
    )
    for frame in report.written:
        np.testing.assert_array_equal(
            read_image(Path(tiny_shot.out_pattern("api").replace("####", str(frame)))).pixels,
            read_image(Path(tiny_shot.out_pattern("cli").replace("####", str(frame)))).pixels,
        )


def test_cancel_stops_between_frames(tiny_shot: TinyShot) -> None:
    with pytest.raises(CancelledError):
        api.run(colorize(tiny_shot), cancel=lambda: True)


def test_errors_cross_a_process_boundary_as_data(tmp_path: Path) -> None:
    error = SequenceError(
        "No frames found",
        expected="a.####.exr",
        found="nothing",
        repair="check the path",
        file=tmp_path / "a.####.exr",
        frame=1001,
    )
    back = error_from_dict(json.loads(json.dumps(error_to_dict(error))))
    assert type(back) is SequenceError and str(back) == str(error)
    assert type(error_from_dict({"type": "SomethingNew", "title": "x"})) is TinctError


def test_the_cli_runs_a_request_file_and_hands_errors_back(tiny_shot: TinyShot, tmp_path: Path) -> None:
    request_file, error_file = tmp_path / "request.json", tmp_path / "error.json"
    request_file.write_text(colorize(tiny_shot, "file").to_json())
    assert main(["run", str(request_file)]) == 0
    assert Path(tiny_shot.out_pattern("file").replace("####", "1003")).is_file()
    missing = api.Request.create("Restore", {"source": str(tmp_path / "none.####.exr")}, str(tmp_path / "o.####.exr"))
    request_file.write_text(missing.to_json())
    assert main(["--error-file", str(error_file), "run", str(request_file)]) == 2
    assert isinstance(error_from_dict(json.loads(error_file.read_text())), SequenceError)


def test_a_malformed_request_is_a_user_error() -> None:
    data = api.Request.create("Restore", {"source": "a.####.exr"}, "b.####.exr").to_dict()
    del data["output"]
    with pytest.raises(ParameterError, match="malformed"):
        api.Request.from_dict(data)
    with pytest.raises(ParameterError, match="not valid JSON"):
        api.Request.from_json("{")


def test_device_left_the_parameters_of_every_node() -> None:
    """Where networks run is the request's device for every node; saved v1 values lose it."""
    from tinct.nodes.registry import NODES

    assert all("device" not in {p.name for p in node.parameters} for node in NODES)
    assert "device" not in AUTO_COLORIZE.resolve({"device": "cpu", "keyframe_interval": 12}, version=1)
