"""The command line: flags generated from node definitions, one clear message and exit 2 on user errors."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.conftest import TinyShot
from tinct.core.engine import available_cores
from tinct.core.imageio import read_image, write_exr
from tinct.nodes.keyframe_colorize import KEYFRAME_COLORIZE
from tinct.plugin.cli.arguments import node_values
from tinct.plugin.cli.main import build_parser, main


def test_colorize_flags_come_from_the_node_definition() -> None:
    help_text = build_parser()._subparsers._group_actions[0].choices["colorize"].format_help()  # type: ignore[union-attr]
    for parameter in KEYFRAME_COLORIZE.parameters:
        assert parameter.flag in help_text


def test_colorize_writes_a_sequence(tiny_shot: TinyShot) -> None:
    code = main(
        [
            "colorize",
            tiny_shot.grey_pattern,
            "--keyframes",
            tiny_shot.keys_pattern,
            "-o",
            tiny_shot.out_pattern(),
            "--flow-quality",
            "fast",
            "--pixel-type",
            "float",
        ]
    )
    assert code == 0
    out = read_image(tiny_shot.out_pattern().replace("####", "1003"))
    assert out.spec.format == "float" and "colorize.confidence" in out.channels


@pytest.fixture
def opencv_threads_kept() -> Iterator[None]:
    before = cv2.getNumThreads()
    yield
    cv2.setNumThreads(before)


@pytest.mark.usefixtures("opencv_threads_kept")
def test_a_render_sets_opencvs_threads_for_its_node(tiny_shot: TinyShot) -> None:
    keyed = ["colorize", tiny_shot.grey_pattern, "--keyframes", tiny_shot.keys_pattern, "--flow-quality", "fast"]
    assert main([*keyed, "-o", tiny_shot.out_pattern("k")]) == 0
    assert cv2.getNumThreads() == max(1, available_cores() // 2)  # the two passes have a core each
    assert main(["restore", tiny_shot.grey_pattern, "-o", tiny_shot.out_pattern("r")]) == 0
    assert cv2.getNumThreads() == available_cores()


def test_user_errors_exit_2_with_one_message(tiny_shot: TinyShot, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "colorize",
            tiny_shot.grey_pattern,
            "--keyframes",
            tiny_shot.keys_pattern,
            "-o",
            tiny_shot.out_pattern(),
            "--fill-radius",
            "9999",
        ]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert "fill_radius" in err and "9999" in err and "Traceback" not in err


def test_nan_pixels_name_the_file_and_frame(tiny_shot: TinyShot, capsys: pytest.CaptureFixture[str]) -> None:
    bad = np.zeros((48, 64, 3), np.float32)
    bad[5, 7, 1] = np.nan
    write_exr(Path(tiny_shot.grey_pattern.replace("####", "1004")), bad, ["R", "G", "B"], pixel_type="float")
    code = main(
        ["colorize", tiny_shot.grey_pattern, "--keyframes", tiny_shot.keys_pattern, "-o", tiny_shot.out_pattern()]
    )
    err = capsys.readouterr().err
    assert code == 2 and "shot.1004.exr" in err and "1004" in err and "NaN" in err


def test_truncated_file_is_a_clear_error(tiny_shot: TinyShot, capsys: pytest.CaptureFixture[str]) -> None:
    path = Path(tiny_shot.grey_pattern.replace("####", "1002"))
    path.write_bytes(path.read_bytes()[:300])
    code = main(
        ["colorize", tiny_shot.grey_pattern, "--keyframes", tiny_shot.keys_pattern, "-o", tiny_shot.out_pattern()]
    )
    assert code == 2 and "shot.1002.exr" in capsys.readouterr().err


def test_unknown_colour_space_suggests_names(tiny_shot: TinyShot, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "colorize",
            tiny_shot.grey_pattern,
            "--keyframes",
            tiny_shot.keys_pattern,
            "-o",
            tiny_shot.out_pattern(),
            "--source-colorspace",
            "ACEScgg",
        ]
    )
    assert code == 2 and "ACEScg" in capsys.readouterr().err


def test_suggest_keyframes_prints_frames_and_writes_nothing(
    tiny_shot: TinyShot, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["colorize", tiny_shot.grey_pattern, "--suggest-keyframes", "2"]) == 0
    lines = [line.split() for line in capsys.readouterr().out.splitlines()[1:]]
    assert len(lines) == 2 and all(1001 <= int(frame) <= 1006 for frame, _ in lines)
    assert not Path(tiny_shot.out_pattern()).parent.exists()


def test_info_describes_a_sequence(tiny_shot: TinyShot, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["info", tiny_shot.grey_pattern]) == 0
    out = capsys.readouterr().out
    assert "1001-1006 (6)" in out and "ACEScg" in out and "64x48" in out and "no problems" in out


def png_bytes() -> bytes:
    import cv2

    return cv2.imencode(".png", np.zeros((48, 64, 3), np.uint8))[1].tobytes()


@pytest.mark.parametrize(
    "frame, spoil, problem",
    [
        (
            1006,
            lambda path: path.write_bytes(path.read_bytes()[:-400]),
            "cannot read the pixels",
        ),  # truncated last frame
        (1003, lambda path: path.write_bytes(b"not an image"), "cannot open an image file"),
        (1004, lambda path: path.write_bytes(png_bytes()), "a png file named .exr"),
        (1002, lambda path: write_exr(path, np.zeros((24, 32, 3), np.float32), ["R", "G", "B"]), "data 32x24"),
    ],
)
def test_info_checks_every_frame_and_names_each_problem(
    tiny_shot: TinyShot,
    capsys: pytest.CaptureFixture[str],
    frame: int,
    spoil: object,
    problem: str,
) -> None:
    path = Path(tiny_shot.grey_pattern.replace("####", str(frame)))
    spoil(path)  # type: ignore[operator]
    assert main(["info", tiny_shot.grey_pattern]) == 2
    err = capsys.readouterr().err
    assert f"frame {frame} ({path})" in err and problem in err and "1 of 6 frame(s)" in err and "repair:" in err
    assert "Traceback" not in err


def test_a_node_command_line_parses_back_to_the_same_values() -> None:
    values = {"flow_quality": "fast", "fill_radius": 20.0}
    argv = KEYFRAME_COLORIZE.command_line(
        {"source": "a.####.exr", "keyframes": "k.####.exr"}, "o.####.exr", values, frames="1001-1010"
    )
    assert argv[:3] == ["tinct", "colorize", "a.####.exr"] and "--keyframes" in argv
    args = build_parser().parse_args(argv[1:])
    assert node_values(args, KEYFRAME_COLORIZE) == KEYFRAME_COLORIZE.resolve(values)
    assert args.frames == "1001-1010" and args.output == "o.####.exr"


def test_demo_hints_at_a_command_for_your_own_shot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from tinct.plugin.cli import demo

    for name, value in {"FRAMES": 6, "WIDTH": 64, "HEIGHT": 48, "SHEET_FRAMES": (1001, 1003)}.items():
        monkeypatch.setattr(demo, name, value)
    assert main(["demo", "--out", str(tmp_path / "demo")]) == 0
    out = capsys.readouterr().out
    hint = "tinct colorize plates/sh010.####.exr --keyframes paint/sh010.####.exr -o colour/sh010.####.exr"
    assert hint in out and "/tmp/colour" not in out
    assert hint in (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("command", [["--version"], ["--help"], ["info", "{grey}"]])
def test_quick_commands_do_not_import_torch(tiny_shot: TinyShot, command: list[str]) -> None:
    """`tinct --version`, `--help` and `info` answer at once: torch (seconds to import) is never loaded."""
    import subprocess
    import sys

    argv = [part.format(grey=tiny_shot.grey_pattern) for part in command]
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "tinct.plugin.cli.main", *argv], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr[-2000:]
    imported = {
        line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines() if line.startswith("import time:")
    }
    assert "tinct.plugin.cli.colorize" in imported and "torch" not in imported
