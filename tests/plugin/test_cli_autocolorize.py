"""`tinct colorize` without keyframes: AutoColorize by the bundled model or a reference photograph."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import ACESCG_Y, TinyShot, make_frames, write_shot
from tinct.core.imageio import read_attribute, read_image, write_exr
from tinct.models.autocolor import DEFAULT_VIBRANCE
from tinct.nodes.auto_colorize import AUTO_COLORIZE
from tinct.plugin.cli.main import build_parser, main


def chroma_of(rgb: np.ndarray) -> np.ndarray:
    return rgb / np.maximum(rgb @ ACESCG_Y, 1e-6)[..., None]


def frame(shot: TinyShot, number: int) -> np.ndarray:
    return read_image(shot.out_pattern().replace("####", str(number))).rgb()


def test_autocolorize_flags_come_from_its_node_definition() -> None:
    help_text = build_parser()._subparsers._group_actions[0].choices["colorize"].format_help()  # type: ignore[union-attr]
    for parameter in AUTO_COLORIZE.parameters:
        assert parameter.flag in help_text
    assert "--reference" in help_text


def test_a_reference_photograph_colours_the_shot(tmp_path: Path) -> None:
    frames = make_frames(4)
    shot = write_shot(tmp_path, frames, keys=[])
    # Another view of the same scene: the background a few pixels further on, no red square.
    reference = make_frames(1, width=72, height=48, step=0, seed=7)[0]
    write_exr(tmp_path / "reference.exr", reference, ["R", "G", "B"], attributes={"oiio:ColorSpace": "lin_ap1_scene"})
    code = main(
        [
            "colorize",
            shot.grey_pattern,
            "--reference",
            str(tmp_path / "reference.exr"),
            "-o",
            shot.out_pattern(),
            "--flow-quality",
            "fast",
            "--pixel-type",
            "float",
        ]
    )
    assert code == 0
    for index, truth in enumerate(frames):
        rgb = frame(shot, 1001 + index)
        np.testing.assert_allclose(rgb @ ACESCG_Y, truth @ ACESCG_Y, rtol=1e-4, atol=1e-7)
        error = np.abs(chroma_of(rgb) - chroma_of(truth))[:, :, :].mean()
        assert error < 0.5 * np.abs(1.0 - chroma_of(truth)).mean(), "closer to the true colour than grey is"
    params = json.loads(str(read_attribute(shot.out_pattern().replace("####", "1002"), "tinct:params")))
    assert read_attribute(shot.out_pattern().replace("####", "1002"), "tinct:node") == "AutoColorize"
    assert params["reference"] == str(tmp_path / "reference.exr")


def colour_still(tmp_path: Path, *flags: str) -> tuple[np.ndarray, np.ndarray]:
    """The grey of a made-up photo coloured by the CLI with ``flags``: (truth, output image)."""
    truth = make_frames(1)[0]
    grey = np.repeat((truth @ ACESCG_Y)[..., None], 3, -1)
    write_exr(
        tmp_path / "photo.exr",
        grey,
        ["R", "G", "B"],
        pixel_type="float",
        attributes={"oiio:ColorSpace": "lin_ap1_scene"},
    )
    out = tmp_path / f"photo_colour{'_'.join(flags)}.exr"
    code = main(["colorize", str(tmp_path / "photo.exr"), "-o", str(out), "--pixel-type", "float", *flags])
    assert code == 0
    assert read_attribute(out, "tinct:node") == "AutoColorize"
    return truth, read_image(out)


def test_the_bundled_model_colours_a_still_photograph(tmp_path: Path) -> None:
    truth, out = colour_still(tmp_path)
    np.testing.assert_allclose(out.rgb() @ ACESCG_Y, truth @ ACESCG_Y, rtol=1e-4, atol=1e-7)
    confidence = out.pixels[..., out.index("colorize.confidence")]
    assert 0.0 <= confidence.min() and confidence.max() <= 1.0 and np.ptp(confidence) > 0.0  # the model's doubt


def test_vibrance_goes_from_grey_to_the_models_full_colour(tmp_path: Path) -> None:
    spread = []
    for vibrance in ("0", "0.4", "1"):
        _, out = colour_still(tmp_path, "--vibrance", vibrance)
        spread.append(float(np.abs(chroma_of(out.rgb()) - 1.0).mean()))
    assert spread[0] < 1e-4 < spread[1] < spread[2]
    assert AUTO_COLORIZE.parameter("vibrance").default == DEFAULT_VIBRANCE  # the node's default is the model's


@pytest.mark.parametrize(
    "extra, words",
    [
        (["--keyframes", "KEYS"], "--reference and --keyframes"),
        (["--model", "no-such-model"], "no-such-model"),
        (["--reference", "REF", "--vibrance", "0.8"], "--vibrance and --reference together"),
        (["--vibrance", "1.5"], "vibrance"),
    ],
)
def test_autocolorize_user_errors_exit_2(
    tiny_shot: TinyShot, tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], words: str
) -> None:
    write_exr(tmp_path / "reference.exr", tiny_shot.truth[0], ["R", "G", "B"])
    extra = [{"KEYS": tiny_shot.keys_pattern, "REF": str(tmp_path / "reference.exr")}.get(e, e) for e in extra]
    reference = ["--reference", str(tmp_path / "reference.exr")] if "--keyframes" in extra else []
    code = main(["colorize", tiny_shot.grey_pattern, "-o", tiny_shot.out_pattern(), *reference, *extra])
    err = capsys.readouterr().err
    assert code == 2 and words in err and "Traceback" not in err


def test_a_grey_reference_is_refused_by_name(
    tiny_shot: TinyShot, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    grey = np.repeat((tiny_shot.truth[0] @ ACESCG_Y)[..., None], 3, -1)
    write_exr(tmp_path / "grey_reference.exr", grey, ["R", "G", "B"])
    code = main(
        [
            "colorize",
            tiny_shot.grey_pattern,
            "-o",
            tiny_shot.out_pattern(),
            "--reference",
            str(tmp_path / "grey_reference.exr"),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and "grey_reference.exr" in err and "monochrome" in err
