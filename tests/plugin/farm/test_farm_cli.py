"""`tinct submit`: steps parsed by the nodes' own commands, farm options anywhere, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.conftest import TinyShot
from tests.plugin.farm.cli_helpers import node_parsers
from tinct.core.errors import ParameterError
from tinct.plugin.cli.main import main
from tinct.plugin.farm.job import Option, parse_job_arguments


def test_submit_writes_an_openjd_bundle(
    tiny_shot: TinyShot, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bundle = tmp_path / "bundle"
    code = main(
        [
            "submit",
            "--farm",
            "openjd",
            "colorize",
            tiny_shot.grey_pattern,
            "--keyframes",
            tiny_shot.keys_pattern,
            "--bundle",
            str(bundle),
            "-o",
            tiny_shot.out_pattern(),
            "--fill-radius",
            "20",
            "--chunk-size",
            "2",
        ]
    )
    assert code == 0
    out = capsys.readouterr().out
    # Keyframes 1001 and 1006: the interval 1001-1005 stays whole although longer than a chunk.
    assert "KeyframeColorize: frames 1001-1006 in 2 task(s): 1001-1005; 1006" in out
    assert "deadline bundle submit" in out
    values = {
        v["name"]: v["value"] for v in yaml.safe_load((bundle / "parameter_values.yaml").read_text())["parameterValues"]
    }
    assert values["KeyframeColorizeFillRadius"] == 20.0


@pytest.mark.parametrize("farm", ["deadline10", "opencue"])
def test_submit_for_other_farms(tiny_shot: TinyShot, tmp_path: Path, farm: str) -> None:
    code = main(
        [
            "submit",
            "colorize",
            tiny_shot.grey_pattern,
            "--keyframes",
            tiny_shot.keys_pattern,
            "-o",
            tiny_shot.out_pattern(),
            "--farm",
            farm,
            "--bundle",
            str(tmp_path / farm),
        ]
    )
    assert code == 0 and (tmp_path / farm / "tinct_job.json").is_file()


def test_steps_keep_the_options_of_their_command(tiny_shot: TinyShot) -> None:
    request = parse_job_arguments(
        [
            "colorize",
            tiny_shot.grey_pattern,
            "--keyframes",
            tiny_shot.keys_pattern,
            "-o",
            "rel/o.####.exr",
            "--source-colorspace",
            "ACEScg",
            "--overwrite",
            "--frames",
            "1002-1004",
        ],
        node_parsers(),
    )
    (step,) = request.steps
    assert Option("source_colorspace", "--source-colorspace", "ACEScg") in step.options
    assert Option("overwrite", "--overwrite", None) in step.options
    assert step.frames == (1002, 1003, 1004) and Path(step.output).is_absolute()
    task = step.request()
    assert task.colorspaces == {"source": "ACEScg"} and task.overwrite and task.frames == (1002, 1003, 1004)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["restyle", "a.####.exr", "-o", "b.####.exr"], "Unknown node command"),
        (["colorize", "a.####.exr", "--keyframes", "k.####.exr"], "needs an output"),
    ],
)
def test_request_errors(argv: list[str], message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        parse_job_arguments(argv, node_parsers())


def test_unknown_node_lists_each_command_once() -> None:
    with pytest.raises(ParameterError) as caught:
        parse_job_arguments(["restyle", "a.####.exr", "-o", "b.####.exr"], node_parsers())
    commands = caught.value.expected.removeprefix("one of ").split(", ")
    assert "colorize" in commands and len(commands) == len(set(commands))


def test_user_errors_exit_2(tiny_shot: TinyShot, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = [
        "submit",
        "colorize",
        tiny_shot.grey_pattern,
        "--keyframes",
        tiny_shot.keys_pattern,
        "-o",
        tiny_shot.out_pattern(),
    ]
    assert main(base) == 2 and "--farm and --bundle" in capsys.readouterr().err
    assert main([*base, "--farm", "opencue", "--bundle", str(tmp_path), "--run-locally"]) == 2
    assert main([*base, "--farm", "openjd", "--bundle", str(tmp_path), "--fill-radius", "9999"]) == 2
    assert "fill_radius" in capsys.readouterr().err


def test_the_device_reaches_the_farm_as_a_checked_job_parameter(tiny_shot: TinyShot, tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    argv = [
        "submit",
        "colorize",
        tiny_shot.grey_pattern,
        "--keyframes",
        tiny_shot.keys_pattern,
        "-o",
        tiny_shot.out_pattern(),
        "--device",
        "cpu",
        "--farm",
        "openjd",
        "--bundle",
        str(bundle),
    ]
    assert main(argv) == 0
    template = yaml.safe_load((bundle / "template.yaml").read_text())
    (device,) = [p for p in template["parameterDefinitions"] if p["name"] == "KeyframeColorizeDevice"]
    assert device["allowedValues"] == ["auto", "cpu", "cuda"]
    assert yaml.safe_load((bundle / "run_parameters.yaml").read_text())["KeyframeColorizeDevice"] == "cpu"
