"""Issue 12 at the command line: every refusal exits 2 with one message naming the file, frame or
value and the repair, leaves the inputs byte-identical and the output folder with complete frames only."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import TinyShot
from tinct.core import keyframe_colorize
from tinct.core.imageio import read_image, write_exr
from tinct.plugin.cli.main import main


def snapshot(shot: TinyShot) -> dict[Path, bytes]:
    return {p: p.read_bytes() for folder in ("grey", "keys") for p in sorted((shot.root / folder).iterdir())}


def only_complete_frames(folder: Path) -> None:
    for path in folder.iterdir() if folder.exists() else ():
        assert not path.name.startswith(".") and path.is_file(), path
        assert np.isfinite(read_image(path).pixels).all()


def refused(shot: TinyShot, argv: list[str], capsys: pytest.CaptureFixture[str], *names: str) -> str:
    """Run ``argv``; check exit 2, one message naming ``names`` with a repair, inputs untouched."""
    before = snapshot(shot)
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err and "repair:" in err
    for name in names:
        assert name in err, (name, err)
    assert snapshot(shot) == before
    only_complete_frames(Path(shot.out_pattern()).parent)
    return err


def colorize(shot: TinyShot, *extra: str) -> list[str]:
    return ["colorize", shot.grey_pattern, "--keyframes", shot.keys_pattern, "--flow-quality", "fast", *extra]


def frame_file(pattern: str, frame: int) -> Path:
    return Path(pattern.replace("####", f"{frame:04d}"))


# -- 1, 2 and 7: what may be written ---------------------------------------------------------------
@pytest.mark.parametrize("command", ["colorize", "restore"])  # clarity runs the restore job (tests/core)
def test_an_output_naming_a_source_frame_is_refused(
    tiny_shot: TinyShot, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    target = str(frame_file(tiny_shot.grey_pattern, 1005))
    argv = colorize(tiny_shot) if command == "colorize" else [command, tiny_shot.grey_pattern]
    refused(tiny_shot, argv + ["-o", target], capsys, target, "overwrite the source")


def test_an_output_through_dot_dot_onto_the_keyframes_is_refused(
    tiny_shot: TinyShot, capsys: pytest.CaptureFixture[str]
) -> None:
    output = str(tiny_shot.root / "out" / ".." / "keys" / "shot.####.exr")
    refused(tiny_shot, colorize(tiny_shot, "-o", output), capsys, "overwrite the keyframes", "frame 1001")


def test_an_output_hard_linked_to_a_source_frame_is_refused(
    tiny_shot: TinyShot, capsys: pytest.CaptureFixture[str]
) -> None:
    (tiny_shot.root / "out").mkdir()
    os.link(frame_file(tiny_shot.grey_pattern, 1003), tiny_shot.root / "out" / "shot.1003.exr")
    before = (tiny_shot.root / "out" / "shot.1003.exr").read_bytes()
    argv = ["restore", tiny_shot.grey_pattern, "-o", tiny_shot.out_pattern()]
    main(argv)
    err = capsys.readouterr().err
    assert "overwrite the source" in err and "frame 1003" in err and "Traceback" not in err
    assert (tiny_shot.root / "out" / "shot.1003.exr").read_bytes() == before
    assert sorted(p.name for p in (tiny_shot.root / "out").iterdir()) == ["shot.1003.exr"]


def test_an_output_without_a_frame_token_is_refused(tiny_shot: TinyShot, capsys: pytest.CaptureFixture[str]) -> None:
    output = str(tiny_shot.root / "out" / "one.exr")
    refused(tiny_shot, colorize(tiny_shot, "-o", output), capsys, output, "one.####.exr", "1001-1006")


@pytest.mark.parametrize("command", ["colorize", "restore"])
def test_an_output_other_than_exr_is_refused(
    tiny_shot: TinyShot, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    output = str(tiny_shot.root / "out" / "shot.####.png")
    argv = colorize(tiny_shot) if command == "colorize" else [command, tiny_shot.grey_pattern]
    refused(tiny_shot, argv + ["-o", output], capsys, output, "'.png'", "shot.####.exr")


# -- 8: conflicting flags --------------------------------------------------------------------------
@pytest.mark.parametrize(
    "extra, names",
    [
        (["--model", "tinct-autocolor-v1"], ["--model", "--keyframes"]),
        (["--reference", "photo.exr"], ["--reference photo.exr", "--keyframes"]),
        (["--device", "cpu", "--keyframe-interval", "12"], ["--keyframe-interval 12"]),
    ],
)
def test_automatic_colour_flags_with_keyframes_are_refused(
    tiny_shot: TinyShot, capsys: pytest.CaptureFixture[str], extra: list[str], names: list[str]
) -> None:
    refused(tiny_shot, colorize(tiny_shot, "-o", tiny_shot.out_pattern(), *extra), capsys, *names)


def test_a_model_with_a_reference_is_refused(tiny_shot: TinyShot, capsys: pytest.CaptureFixture[str]) -> None:
    argv = [
        "colorize",
        tiny_shot.grey_pattern,
        "--reference",
        "photo.exr",
        "--model",
        "m",
        "-o",
        tiny_shot.out_pattern(),
    ]
    refused(tiny_shot, argv, capsys, "--model m", "--reference photo.exr")


def test_suggest_keyframes_with_an_output_is_refused(tiny_shot: TinyShot, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["colorize", tiny_shot.grey_pattern, "--suggest-keyframes", "2", "-o", tiny_shot.out_pattern()]
    refused(tiny_shot, argv, capsys, "--suggest-keyframes 2", f"-o {tiny_shot.out_pattern()}")


@pytest.mark.parametrize(
    "extra, names",
    [
        (["--no-dust", "--dust-strength", "0.8"], ["--dust-strength 0.8", "dust false"]),
        (["--dust", "false", "--infrared", "IR"], ["--infrared IR", "dust false"]),
        (["--infrared", "", "--infrared-threshold", "0.3"], ["--infrared-threshold 0.3", "infrared"]),
        (["--no-dust", "--infrared-threshold", "0.3"], ["--infrared-threshold 0.3", "dust false"]),
        (["--no-scratches", "--scratch-strength", "0.2"], ["--scratch-strength 0.2", "scratches false"]),
        (["--no-deflicker", "--deflicker-window", "12"], ["--deflicker-window 12", "deflicker false"]),
        (["--no-deflicker", "--deflicker-strength", "0.5"], ["--deflicker-strength 0.5", "deflicker false"]),
        (["--no-grain", "--grain-keep", "0.3"], ["--grain-keep 0.3", "grain 0"]),
    ],
)
def test_a_strength_given_while_its_switch_is_off_is_refused(
    tiny_shot: TinyShot,
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    names: list[str],
) -> None:
    refused(tiny_shot, ["restore", tiny_shot.grey_pattern, "-o", tiny_shot.out_pattern(), *extra], capsys, *names)


# -- 9 and 6: a range not starting at a keyframe; values beyond half -------------------------------
def test_a_range_not_starting_at_a_keyframe_renders(tiny_shot: TinyShot, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(colorize(tiny_shot, "-o", tiny_shot.out_pattern(), "--frames", "1003-1005")) == 0
    assert "Traceback" not in capsys.readouterr().err
    assert sorted(p.name for p in Path(tiny_shot.out_pattern()).parent.iterdir()) == [
        "shot.1003.exr",
        "shot.1004.exr",
        "shot.1005.exr",
    ]


def test_values_beyond_half_are_clamped_with_a_warning(tiny_shot: TinyShot, capsys: pytest.CaptureFixture[str]) -> None:
    path = frame_file(tiny_shot.grey_pattern, 1003)
    bright = read_image(path)
    write_exr(
        path, bright.pixels * 1e6, bright.channels, pixel_type="float", attributes={"oiio:ColorSpace": "lin_ap1_scene"}
    )
    assert main(colorize(tiny_shot, "-o", tiny_shot.out_pattern())) == 0
    err = capsys.readouterr().err
    assert "clamped" in err and "frame(s) 1003;" in err and "--pixel-type float" in err
    only_complete_frames(Path(tiny_shot.out_pattern()).parent)
    assert read_image(frame_file(tiny_shot.out_pattern(), 1003)).pixels.max() == 65504.0


# -- 5 and 10: one clear message instead of a traceback --------------------------------------------
def test_a_png_named_exr_in_the_plate_is_refused(tiny_shot: TinyShot, capsys: pytest.CaptureFixture[str]) -> None:
    import cv2

    path = frame_file(tiny_shot.grey_pattern, 1004)
    path.write_bytes(cv2.imencode(".png", np.zeros((48, 64, 3), np.uint8))[1].tobytes())
    refused(tiny_shot, colorize(tiny_shot, "-o", tiny_shot.out_pattern()), capsys, str(path), "frame 1004", "png")


def test_a_read_only_file_system_in_restore_is_one_message(
    tiny_shot: TinyShot, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def read_only(*args: object, **kwargs: object) -> None:
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(os, "replace", read_only)  # the rename of a finished frame, and the clean-up after it
    monkeypatch.setattr(Path, "unlink", read_only)
    refused(
        tiny_shot,
        ["restore", tiny_shot.grey_pattern, "-o", tiny_shot.out_pattern()],
        capsys,
        "Read-only file system",
        "shot.1001.exr",
    )


def test_a_full_disk_while_caching_is_one_message(
    tiny_shot: TinyShot, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(np, "save", full)
    monkeypatch.setattr(keyframe_colorize, "INTERVAL_MEMORY", 0)  # what the passes keep goes to disk
    refused(
        tiny_shot,
        colorize(tiny_shot, "-o", tiny_shot.out_pattern()),
        capsys,
        "No space left on device",
        "free space",
        str(Path(tiny_shot.out_pattern()).parent),
    )


def test_mixed_resolutions_in_the_plate_are_one_message(
    tiny_shot: TinyShot, capsys: pytest.CaptureFixture[str]
) -> None:
    path = frame_file(tiny_shot.grey_pattern, 1004)
    write_exr(
        path,
        np.zeros((24, 32, 3), np.float32),
        ["R", "G", "B"],
        pixel_type="float",
        attributes={"oiio:ColorSpace": "lin_ap1_scene"},
    )
    refused(
        tiny_shot, colorize(tiny_shot, "-o", tiny_shot.out_pattern()), capsys, str(path), "frame 1004", "32x24", "64x48"
    )


def test_submit_with_a_bundle_naming_a_file_is_one_message(
    tiny_shot: TinyShot, capsys: pytest.CaptureFixture[str]
) -> None:
    bundle = tiny_shot.root / "bundle.txt"
    bundle.write_text("not a folder")
    argv = ["submit", *colorize(tiny_shot, "-o", tiny_shot.out_pattern()), "--farm", "openjd", "--bundle", str(bundle)]
    refused(tiny_shot, argv, capsys, str(bundle), "--bundle")
    assert bundle.read_text() == "not a folder"


@pytest.mark.parametrize(
    "extra, names",
    [
        (["-o", "OUT.png"], ["'.png'", "shot.####.exr"]),
        (["-o", "OUT", "--no-dust", "--dust-strength", "0.8"], ["--dust-strength 0.8"]),
    ],
)
def test_submit_refuses_what_its_tasks_would(
    tiny_shot: TinyShot, capsys: pytest.CaptureFixture[str], extra: list[str], names: list[str]
) -> None:
    bundle = tiny_shot.root / "farm"
    out = tiny_shot.out_pattern()
    extra = [out.replace(".exr", ".png") if e == "OUT.png" else out if e == "OUT" else e for e in extra]
    argv = ["submit", "restore", tiny_shot.grey_pattern, *extra, "--farm", "openjd", "--bundle", str(bundle)]
    refused(tiny_shot, argv, capsys, *names)
    assert not bundle.exists()
