"""Every publish check on tiny synthetic shots, failing and passing, and the repairs they offer."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import TinyShot
from tests.plugin.farm.cli_helpers import node_parsers
from tinct.core.errors import ColourError, ParameterError
from tinct.core.imageio import read_image, write_exr
from tinct.plugin.farm.job import JobRequest, parse_job_arguments
from tinct.plugin.publish import api
from tinct.plugin.publish.context import PublishRequest

MINIMAL_OCIO = """ocio_profile_version: 2
roles:
  default: linear
  scene_linear: linear
  data: raw
colorspaces:
  - !<ColorSpace>
    name: linear
    isdata: false
  - !<ColorSpace>
    name: raw
    isdata: true
displays:
  sRGB:
    - !<View> {name: Raw, colorspace: raw}
"""


def job(shot: TinyShot, *extra: str, out: str | None = None) -> JobRequest:
    argv = ["colorize", shot.grey_pattern, "--keyframes", shot.keys_pattern, "-o", out or shot.out_pattern(), *extra]
    return parse_job_arguments(argv, node_parsers())


def check(request: JobRequest, **kwargs: object) -> api.PublishReport:
    return api.publish(PublishRequest(request, target="validate", **kwargs))  # type: ignore[arg-type]


def failed(report: api.PublishReport) -> dict[str, str]:
    return {f.check: str(f.error) for f in report.failures}


def frame_path(pattern: str, frame: int) -> Path:
    return Path(pattern.replace("####", str(frame)))


def test_a_sound_job_passes_every_check(tiny_shot: TinyShot) -> None:
    report = check(job(tiny_shot))
    assert report.ok and report.exit_code == 0, report.format()
    checks = {r["plugin"].label for r in report.context.data["results"] if r["success"]}
    assert {
        "Frame range and gaps",
        "Resolution and pixel aspect",
        "Colour spaces against the OCIO config",
        "Keyframes inside the range",
        "Model weights present and intact",
        "Output folder writable, with free space",
        "Output outside the source",
        "Node settings",
    } <= checks
    assert not Path(tiny_shot.out_pattern()).parent.exists()  # checking writes nothing


def test_node_settings_out_of_range(tiny_shot: TinyShot) -> None:
    request = job(tiny_shot)
    request = request.with_step(0, values={"fill_radius": 9999})
    report = check(request)
    assert report.exit_code == 1 and "fill_radius" in failed(report)["Node settings"]


def test_missing_requested_frames_fail_and_repair_to_the_frames_on_disk(tiny_shot: TinyShot) -> None:
    report = check(job(tiny_shot, "--frames", "1004-1009"))
    message = failed(report)["Frame range and gaps"]
    assert "1007-1009" in message and "repair" in message
    repaired = api.repair(report)
    assert repaired.steps[0].frames == (1004, 1005, 1006)
    assert check(repaired).ok


def test_gaps_fail_and_can_be_accepted(tiny_shot: TinyShot) -> None:
    frame_path(tiny_shot.grey_pattern, 1003).unlink()
    report = check(job(tiny_shot))
    assert "Gaps in the source" in failed(report)["Frame range and gaps"]
    repaired = api.repair(report)
    assert repaired.steps[0].frames == (1001, 1002, 1004, 1005, 1006) and check(repaired).ok


def test_unreadable_frames_fail(tiny_shot: TinyShot) -> None:
    path = frame_path(tiny_shot.grey_pattern, 1002)
    path.write_bytes(path.read_bytes()[:200])
    assert "cannot be read" in failed(check(job(tiny_shot)))["Frame range and gaps"]


def test_keyframe_of_another_size_fails(tiny_shot: TinyShot) -> None:
    write_exr(
        frame_path(tiny_shot.keys_pattern, 1006),
        np.zeros((24, 32, 3), np.float32),
        ["R", "G", "B"],
        attributes={"oiio:ColorSpace": "lin_ap1_scene"},
    )
    message = failed(check(job(tiny_shot)))["Resolution and pixel aspect"]
    assert "size 64x48" in message and "keyframes frame(s) 1006: size 32x24" in message


def test_pixel_aspect_disagreement_fails(tiny_shot: TinyShot) -> None:
    path = frame_path(tiny_shot.grey_pattern, 1004)
    image = read_image(path)
    write_exr(path, image.pixels, image.channels, template=image.spec, attributes={"PixelAspectRatio": 2.0})
    assert "pixel aspect 2" in failed(check(job(tiny_shot)))["Resolution and pixel aspect"]


def test_colour_tags_unknown_to_the_config_fail(tiny_shot: TinyShot, tmp_path: Path) -> None:
    config = tmp_path / "minimal.ocio"
    config.write_text(MINIMAL_OCIO)
    message = failed(check(job(tiny_shot, "--ocio", str(config))))["Colour spaces against the OCIO config"]
    assert "lin_ap1_scene" in message and "--source-colorspace" in message
    # Stating the spaces explicitly answers it.
    assert check(
        job(tiny_shot, "--ocio", str(config), "--source-colorspace", "linear", "--keyframes-colorspace", "linear")
    ).ok


def test_mixed_colour_tags_fail(tiny_shot: TinyShot) -> None:
    path = frame_path(tiny_shot.grey_pattern, 1005)
    image = read_image(path)
    write_exr(
        path, image.pixels, image.channels, pixel_type="float", attributes={"oiio:ColorSpace": "lin_rec709_scene"}
    )
    message = failed(check(job(tiny_shot)))["Colour spaces against the OCIO config"]
    assert "mixes colour spaces" in message and "lin_rec709_scene on 1005" in message


def test_unknown_explicit_colour_space_fails_with_suggestions(tiny_shot: TinyShot) -> None:
    report = check(job(tiny_shot, "--source-colorspace", "ACEScgg"))
    (failure,) = report.failures
    assert isinstance(failure.error, ColourError) and "ACEScg" in str(failure.error)


def test_keyframes_missing_or_outside_the_source(tiny_shot: TinyShot) -> None:
    write_exr(frame_path(tiny_shot.keys_pattern, 1009), np.zeros((48, 64, 3), np.float32), ["R", "G", "B"])
    assert "outside the source range" in failed(check(job(tiny_shot)))["Keyframes inside the range"]
    for path in Path(tiny_shot.keys_pattern).parent.iterdir():
        path.unlink()
    assert "No keyframes found" in failed(check(job(tiny_shot)))["Keyframes inside the range"]


def test_keyframe_on_a_missing_source_frame_fails(tiny_shot: TinyShot) -> None:
    frame_path(tiny_shot.grey_pattern, 1003).unlink()
    write_exr(frame_path(tiny_shot.keys_pattern, 1003), np.zeros((48, 64, 3), np.float32), ["R", "G", "B"])
    assert "no source frame 1003" in failed(check(job(tiny_shot)))["Keyframes inside the range"]


class Weights:
    def __init__(self, name: str, problems: list[str]) -> None:
        self.name, self.problems = name, problems

    def verify(self) -> list[str]:
        return self.problems


def test_model_weights_are_verified(tiny_shot: TinyShot) -> None:
    damaged = check(job(tiny_shot), models=lambda d, v: [Weights("flow.safetensors", ["sha256 abc != def"])])
    assert "flow.safetensors: sha256 abc != def" in failed(damaged)["Model weights present and intact"]
    assert check(job(tiny_shot), models=lambda d, v: [Weights("flow.safetensors", [])]).ok


def test_a_bug_in_a_check_is_not_reported_as_a_user_error(tiny_shot: TinyShot) -> None:
    class Broken:
        name = "broken"

        def verify(self) -> list[str]:
            raise RuntimeError("bug")

    with pytest.raises(RuntimeError, match="bug"):
        check(job(tiny_shot), models=lambda d, v: [Broken()])


def test_output_under_a_file_fails(tiny_shot: TinyShot) -> None:
    blocker = tiny_shot.root / "blocker"
    blocker.write_text("not a folder")
    message = failed(check(job(tiny_shot, out=str(blocker / "out" / "shot.####.exr"))))[
        "Output folder writable, with free space"
    ]
    assert "is a file" in message


def test_output_without_free_space_fails(tiny_shot: TinyShot, monkeypatch: pytest.MonkeyPatch) -> None:
    from tinct.plugin.publish.plugins import validate_output_writable

    monkeypatch.setattr(validate_output_writable, "free_bytes", lambda folder: 1000)
    message = failed(check(job(tiny_shot)))["Output folder writable, with free space"]
    # 6 frames x 64 x 48 x 4 channels (RGB + confidence) x 2 bytes x 1.1
    assert "158.4 KiB free for 6 frames" in message and "1000.0 B free" in message


def test_output_inside_the_source_fails_and_repairs_beside_it(tiny_shot: TinyShot) -> None:
    inside = str(Path(tiny_shot.grey_pattern).parent / "colour" / "shot.####.exr")
    report = check(job(tiny_shot, out=inside))
    assert "Output inside the source folder" in failed(report)["Output outside the source"]
    repaired = api.repair(report)
    assert repaired.steps[0].output == str(tiny_shot.root / "grey_keyframecolorize" / "shot.####.exr")
    assert check(repaired).ok


def test_two_steps_writing_one_sequence_fail(tiny_shot: TinyShot) -> None:
    first = job(tiny_shot)
    second = replace(first.steps[0], pending={})
    report = check(JobRequest("twice", (first.steps[0], second)))
    assert "Two steps write the same sequence" in failed(report)["Output outside the source"]


def test_chained_step_is_checked_against_the_step_before(tiny_shot: TinyShot) -> None:
    argv = [
        "colorize",
        tiny_shot.grey_pattern,
        "--keyframes",
        tiny_shot.keys_pattern,
        "-o",
        tiny_shot.out_pattern("a"),
        "--then",
        "colorize",
        "--keyframes",
        tiny_shot.keys_pattern,
        "-o",
        tiny_shot.out_pattern("b"),
    ]
    report = check(parse_job_arguments(argv, node_parsers()))
    assert report.ok, report.format()
    second = list(report.context)[1]
    assert second.data["frames"] == list(range(1001, 1007)) and "source" not in second.data["sequences"]


def test_plugins_serve_every_host_and_follow_the_naming(tiny_shot: TinyShot) -> None:
    python = api.plugins("python")
    names = [p.__name__ for p in python]
    assert [p.__name__ for p in api.plugins("nuke")] == [p.__name__ for p in api.plugins("resolve")] == names
    assert api.plugins("maya") == []
    stages = {"collect": 0, "validate": 1, "extract": 2, "integrate": 3}
    files = sorted(p.stem for p in api.PLUGIN_DIR.glob("*.py") if not p.name.startswith("_"))
    assert len(files) == len(python)  # one plugin per file
    for plugin in python:
        stem = Path(plugin.__module__.replace(".", os.sep)).name
        assert abs(plugin.order - stages[stem.split("_")[0]]) < 0.5, stem


def test_parameter_errors_name_the_value(tiny_shot: TinyShot) -> None:
    with pytest.raises(ParameterError):
        parse_job_arguments(["colorize", tiny_shot.grey_pattern, "-o", "x.####.exr", "--then"], node_parsers())


def test_the_registry_provider_checks_exactly_the_weights_the_values_need(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tinct.nodes.restore import CLARITY, RESTORE
    from tinct.plugin.publish.context import registry_weights

    monkeypatch.setenv("TINCT_MODELS", str(tmp_path / "no-models-here"))
    assert registry_weights(RESTORE, {}) == ()  # no clarity, no network
    assert registry_weights(RESTORE, {"clarity": "nonsense"}) == ()  # reported by the settings check instead
    (needed,) = registry_weights(RESTORE, {"clarity": "2"})
    assert needed.name == "realesr-animevideov3-x2"
    problems = needed.verify()
    assert len(problems) == 1 and "convert-ncnn" in problems[0]
    assert [w.name for w in registry_weights(CLARITY, {"scale": "4"})] == ["realesr-animevideov3-x4"]


def test_colorize_without_keyframes_is_autocolorize_and_its_reference_may_differ_in_size(
    tiny_shot: TinyShot, tmp_path: Path
) -> None:
    reference = tmp_path / "shot_reference" / "period_photo.exr"
    write_exr(reference, np.ones((80, 100, 3), np.float32) * [0.4, 0.3, 0.2], ["R", "G", "B"])
    output = str(Path(reference).parent / "colour" / "shot.####.exr")  # beside the photo: harmless
    request = parse_job_arguments(
        ["colorize", tiny_shot.grey_pattern, "--reference", str(reference), "-o", output], node_parsers()
    )
    assert request.steps[0].definition.name == "AutoColorize"
    report = check(request)
    assert report.ok, report.format()
    assert job(tiny_shot).steps[0].definition.name == "KeyframeColorize"


def test_inputs_of_no_single_colorize_node_are_refused(tiny_shot: TinyShot, tmp_path: Path) -> None:
    argv = [
        "colorize",
        tiny_shot.grey_pattern,
        "--keyframes",
        tiny_shot.keys_pattern,
        "--reference",
        str(tmp_path / "photo.exr"),
        "-o",
        tiny_shot.out_pattern(),
    ]
    with pytest.raises(ParameterError, match="do not make one colorize job"):
        parse_job_arguments(argv, node_parsers())
