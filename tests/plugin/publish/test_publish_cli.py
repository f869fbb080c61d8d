"""`tinct publish`: exit codes, listed failures, local renders with a provenance sidecar, farm jobs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import TinyShot
from tinct.core.imageio import read_attribute
from tinct.plugin.cli.main import main
from tinct.plugin.publish.plugins.integrate_sidecar import sidecar_path


def colorize(shot: TinyShot, out: str) -> list[str]:
    return ["colorize", shot.grey_pattern, "--keyframes", shot.keys_pattern, "-o", out, "--flow-quality", "fast"]


def test_failed_checks_exit_1_and_are_listed(tiny_shot: TinyShot, capsys: pytest.CaptureFixture[str]) -> None:
    inside = str(Path(tiny_shot.grey_pattern).parent / "colour" / "shot.####.exr")
    assert main(["publish", *colorize(tiny_shot, inside)]) == 1
    err = capsys.readouterr().err
    assert "Output outside the source" in err and "expected:" in err and "repair:" in err and "--repair" in err
    assert not (Path(tiny_shot.grey_pattern).parent / "colour").exists()  # nothing rendered


def test_publish_renders_here_and_writes_provenance(tiny_shot: TinyShot, capsys: pytest.CaptureFixture[str]) -> None:
    out = tiny_shot.out_pattern()
    assert main(["publish", *colorize(tiny_shot, out)]) == 0
    sidecar = sidecar_path(out)
    assert sidecar == Path(out).parent / "shot.tinct.json" and str(sidecar) in capsys.readouterr().out
    document = json.loads(sidecar.read_text())
    assert document["node"]["name"] == "KeyframeColorize" and document["node"]["parameters"]["flow_quality"] == "fast"
    assert document["inputs"]["keyframes"]["frames"] == "1001, 1006" and document["output"]["frames"] == "1001-1006"
    assert document["render"]["paramsHash"] == [read_attribute(Path(out.replace("####", "1003")), "tinct:paramsHash")]
    assert "Keyframes inside the range" in document["checks"]


def test_publish_repairs_then_renders(tiny_shot: TinyShot) -> None:
    inside = str(Path(tiny_shot.grey_pattern).parent / "colour" / "shot.####.exr")
    assert main(["publish", *colorize(tiny_shot, inside), "--repair", "--validate-only"]) == 0


def test_publish_to_a_farm_writes_the_job_and_a_sidecar(tiny_shot: TinyShot, tmp_path: Path) -> None:
    out = tiny_shot.out_pattern()
    assert main(["publish", *colorize(tiny_shot, out), "--farm", "openjd", "--bundle", str(tmp_path / "bundle")]) == 0
    assert (tmp_path / "bundle" / "template.yaml").is_file()
    render = json.loads(sidecar_path(out).read_text())["render"]
    assert render["where"] == "openjd" and render["submitCommand"][:3] == ["deadline", "bundle", "submit"]
    assert not list(Path(out).parent.glob("*.exr"))  # the farm renders, not the publish
