"""Issue 12 at the engine: no input overwritten, no stale frame resumed, no infinity written, no
traceback, and any range of frames gives the pixels of a whole render."""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path

import numpy as np
import OpenImageIO as oiio
import pytest

from tests.conftest import ACESCG_Y, TinyShot, make_frames, write_shot
from tests.core.restore.scenes import grainy, scene, write_sequence
from tinct.core import keyframe_colorize
from tinct.core.colour import ColourManager
from tinct.core.errors import ImageFileError, ParameterError, SequenceError
from tinct.core.imageio import HALF_MAX, read_image, write_exr
from tinct.core.keyframe_colorize import ColorizeRequest, KeyframeColorizeJob, OutputOptions
from tinct.core.keyframes import Proposer
from tinct.core.restore import RestoreJob, RestoreRequest
from tinct.core.sequence import parse_sequence
from tinct.core.source import SourcePlate

FLOAT = OutputOptions(pixel_type="float")


def colorize(shot: TinyShot, output: str, frames: list[int] | None = None, **kwargs: object) -> KeyframeColorizeJob:
    kwargs.setdefault("output_options", FLOAT)
    return KeyframeColorizeJob(
        ColorizeRequest(
            source=parse_sequence(shot.grey_pattern),
            keyframes=parse_sequence(shot.keys_pattern),
            output=parse_sequence(output),
            frames=frames,
            **kwargs,
        )
    )  # type: ignore[arg-type]


def restore(source: str, output: str, frames: list[int] | None = None, **kwargs: object) -> RestoreJob:
    kwargs.setdefault("output_options", FLOAT)
    return RestoreJob(
        RestoreRequest(source=parse_sequence(source), output=parse_sequence(output), frames=frames, **kwargs)
    )  # type: ignore[arg-type]


def frame_file(pattern: str, frame: int) -> Path:
    return Path(pattern.replace("####", f"{frame:04d}"))


def snapshot(folder: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# -- 1: an output never overwrites an input, however it is spelled ---------------------------------
def _spellings(shot: TinyShot) -> dict[str, tuple[str, list[int], str]]:
    """name -> (output pattern, frames, the role it overwrites)."""
    root = shot.root
    (root / "linked").symlink_to(root / "grey")
    (root / "hard").mkdir()
    os.link(root / "grey" / "shot.1004.exr", root / "hard" / "out.1004.exr")
    (root / "single").mkdir()
    (root / "single" / "shot.1003.exr").symlink_to(root / "grey" / "shot.1003.exr")
    return {
        "dot-dot": (str(root / "out" / ".." / "grey" / "shot.####.exr"), [1002], "source"),
        "symlinked folder": (str(root / "linked" / "shot.%04d.exr"), [1005], "source"),
        "hard link": (str(root / "hard" / "out.####.exr"), [1004], "source"),
        "symlinked file": (str(root / "single" / "shot.1003.exr"), [1003], "source"),
        "source frame by name": (str(root / "grey" / "shot.1005.exr"), [1005], "source"),
        "keyframe": (str(root / "keys" / "shot.####.exr"), [1006], "keyframes"),
    }


@pytest.mark.parametrize(
    "spelling", ["dot-dot", "symlinked folder", "hard link", "symlinked file", "source frame by name", "keyframe"]
)
def test_colorize_refuses_every_spelling_of_an_input(tiny_shot: TinyShot, spelling: str) -> None:
    output, frames, role = _spellings(tiny_shot)[spelling]
    before = snapshot(tiny_shot.root / "grey") | snapshot(tiny_shot.root / "keys")
    with pytest.raises(SequenceError, match=f"overwrite the {role}") as error:
        colorize(tiny_shot, output, frames).run()
    assert f"shot.{frames[0]}.exr" in error.value.found and error.value.repair
    assert before == snapshot(tiny_shot.root / "grey") | snapshot(tiny_shot.root / "keys")


class _Double:
    """A stand-in clarity network: pixel repetition."""

    scale = 2

    def __call__(self, linear: np.ndarray) -> np.ndarray:
        return np.repeat(np.repeat(linear, 2, axis=0), 2, axis=1)


@pytest.mark.parametrize("upscaler", [None, _Double()], ids=["restore", "clarity"])
def test_restore_and_clarity_refuse_a_hard_link_to_a_source_frame(tmp_path: Path, upscaler: _Double | None) -> None:
    source = write_sequence(tmp_path / "src", scene(4))
    (tmp_path / "out").mkdir()
    os.link(frame_file(source, 1002), tmp_path / "out" / "shot.1002.exr")
    before = snapshot(tmp_path / "src")
    with pytest.raises(SequenceError, match="overwrite the source") as error:
        restore(source, str(tmp_path / "out" / "shot.####.exr"), [1001, 1002], upscaler=upscaler).run()
    assert error.value.frame == 1002 and "shot.1002.exr" in str(error.value)
    assert before == snapshot(tmp_path / "src")


def test_a_reference_photograph_is_never_overwritten(tiny_shot: TinyShot) -> None:
    reference = tiny_shot.root / "reference.exr"
    shutil.copyfile(frame_file(tiny_shot.keys_pattern, 1001), reference)
    proposer = Proposer(
        lambda y: (np.ones(y.shape + (3,), np.float32), np.ones(y.shape, np.float32)), "test", inputs=(reference,)
    )
    request = ColorizeRequest(
        source=parse_sequence(frame_file(tiny_shot.grey_pattern, 1001)),
        keyframes=None,
        output=parse_sequence(tiny_shot.root / "out" / ".." / "reference.exr"),
        proposer=proposer,
    )
    before = reference.read_bytes()
    with pytest.raises(SequenceError, match="overwrite the reference") as error:
        KeyframeColorizeJob(request)
    assert "reference.exr" in error.value.found and reference.read_bytes() == before


# -- 2 and 7: one file per frame, and EXR only -----------------------------------------------------
def test_an_output_without_frame_token_is_refused_for_many_frames(tiny_shot: TinyShot) -> None:
    with pytest.raises(SequenceError, match="no frame number") as error:
        colorize(tiny_shot, str(tiny_shot.root / "out" / "one.exr"))
    assert "one.####.exr" in error.value.repair and "1001-1006" in error.value.found
    colorize(tiny_shot, str(tiny_shot.root / "out" / "one.exr"), [1003])  # one frame: one file is right


@pytest.mark.parametrize("name", ["shot.####.png", "shot.####.tif", "shot.####", "shot.####.exr.png"])
def test_outputs_other_than_exr_are_refused(tiny_shot: TinyShot, name: str) -> None:
    with pytest.raises(ParameterError, match="EXR files only") as error:
        restore(tiny_shot.grey_pattern, str(tiny_shot.root / "out" / name))
    assert name in error.value.found and ".exr" in error.value.repair
    assert not (tiny_shot.root / "out").exists()


# -- 3 and 4: a rerun resumes exactly the frames whose inputs are unchanged ------------------------
def test_colorize_rerun_after_a_plate_frame_changed_renders_its_segment_again(tmp_path: Path) -> None:
    shot = write_shot(tmp_path, make_frames(7), keys=[0, 3, 6])  # segments 1001-1003, 1004-1006, 1007
    assert len(colorize(shot, shot.out_pattern()).run().written) == 7
    darker = read_image(frame_file(shot.grey_pattern, 1005))
    write_exr(
        frame_file(shot.grey_pattern, 1005),
        darker.pixels * 0.25,
        darker.channels,
        pixel_type="float",
        attributes={"oiio:ColorSpace": "lin_ap1_scene"},
    )
    again = colorize(shot, shot.out_pattern()).run()
    # 1004-1006 lie between keyframes 1004 and 1007, which frame 1005 joins; 1007 is forwards from 1007.
    assert again.written == [1004, 1005, 1006] and again.skipped == [1001, 1002, 1003, 1007]
    out = read_image(frame_file(shot.out_pattern(), 1005)).rgb()
    np.testing.assert_allclose(out @ ACESCG_Y, darker.rgb()[..., 0] * 0.25, rtol=1e-3, atol=1e-6)


def test_restore_rerun_after_a_frame_changed_renders_the_frames_that_read_it(tmp_path: Path) -> None:
    source = write_sequence(tmp_path / "src", grainy(scene(16), 0.01))
    output = str(tmp_path / "out" / "shot.####.exr")
    restore(source, output).run()
    write_sequence(tmp_path / "changed", [scene(16)[15] * 0.5], first=1016)
    shutil.copyfile(tmp_path / "changed" / "shot.1016.exr", frame_file(source, 1016))
    again = restore(source, output).run()
    # Frame 1016 is a handle of 1004-1015 (the exposure track's 12 frames ahead) and of nothing before them.
    assert again.written == list(range(1004, 1017)) and again.skipped == [1001, 1002, 1003]


def test_the_identity_does_not_depend_on_how_paths_are_spelled(
    tiny_shot: TinyShot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tiny_shot.root)
    spellings = [
        ("grey/shot.####.exr", "keys/shot.####.exr"),
        ("./grey/shot.%04d.exr", "./keys/shot.####.exr"),
        (tiny_shot.grey_pattern, str(tiny_shot.root / "keys" / ".." / "keys" / "shot.####.exr")),
    ]
    reports = []
    for grey, keys in spellings:
        request = ColorizeRequest(
            source=parse_sequence(grey),
            keyframes=parse_sequence(keys),
            output=parse_sequence(tiny_shot.out_pattern()),
            output_options=FLOAT,
        )
        reports.append(KeyframeColorizeJob(request).run())
    assert [len(r.skipped) for r in reports] == [0, 6, 6]
    first = restore("grey/shot.####.exr", "out_r/shot.####.exr", [1001, 1002]).run()
    second = restore(tiny_shot.grey_pattern, str(tiny_shot.root / "out_r" / "shot.####.exr"), [1001, 1002]).run()
    assert first.written == [1001, 1002] and second.skipped == [1001, 1002]


# -- 5: a file's colour space follows its bytes, not its name --------------------------------------
def _png(path: Path, pixels: np.ndarray) -> None:
    """Write an 8-bit PNG under any name (OIIO picks the writer from the name, so write, then move)."""
    png = path.with_name(path.name + ".png")
    out = oiio.ImageOutput.create(str(png))
    assert out.open(str(png), oiio.ImageSpec(pixels.shape[1], pixels.shape[0], 3, "uint8"))
    out.write_image(np.ascontiguousarray(np.clip(pixels, 0, 1) * 255).astype(np.uint8))
    out.close()
    png.replace(path)


def test_a_png_named_exr_in_a_plate_is_refused(tiny_shot: TinyShot) -> None:
    path = frame_file(tiny_shot.grey_pattern, 1004)
    _png(path, read_image(path).rgb())
    with pytest.raises(ImageFileError, match="another format") as error:
        colorize(tiny_shot, tiny_shot.out_pattern()).run()
    assert error.value.frame == 1004 and "png" in error.value.found and "uint8" in error.value.found
    assert "ACEScg" in error.value.expected


def test_a_png_named_exr_alone_is_read_as_srgb(tmp_path: Path) -> None:
    path = tmp_path / "still.exr"
    _png(path, np.full((48, 64, 3), 0.5, np.float32))
    plate = SourcePlate(parse_sequence(path), None, ColourManager())
    assert "sRGB" in plate.space
    assert plate.read(1).image.file_format == "png"


# -- 6: half never holds an infinity ---------------------------------------------------------------
def test_half_output_clamps_to_the_half_maximum_and_says_so(tmp_path: Path) -> None:
    pixels = np.array([[[1e6, -1e6, 3.0]]], np.float32)
    assert write_exr(tmp_path / "half.exr", pixels, ["R", "G", "B"]) == 2
    np.testing.assert_array_equal(read_image(tmp_path / "half.exr").pixels, [[[HALF_MAX, -HALF_MAX, 3.0]]])
    assert write_exr(tmp_path / "float.exr", pixels, ["R", "G", "B"], pixel_type="float") == 0
    np.testing.assert_array_equal(read_image(tmp_path / "float.exr").pixels, pixels)


def test_a_job_names_the_frames_it_clamped(tmp_path: Path) -> None:
    source = write_sequence(tmp_path / "src", [frame * 4e5 for frame in scene(3)])  # beyond half's 65504
    lines: list[str] = []
    RestoreJob(
        RestoreRequest(
            source=parse_sequence(source),
            output=parse_sequence(tmp_path / "out" / "s.####.exr"),
            output_options=OutputOptions(),
        ),
        log=lines.append,
    ).run()
    assert any("clamped" in line and "1001-1003" in line and "float" in line for line in lines)
    for frame in (1001, 1002, 1003):
        assert np.isfinite(read_image(tmp_path / "out" / f"s.{frame}.exr").pixels).all()


# -- 9: any range of frames gives the pixels of a whole render -------------------------------------
def test_every_colorize_subrange_equals_the_whole_render(tmp_path: Path) -> None:
    shot = write_shot(tmp_path, make_frames(5, width=32, height=24), keys=[0, 4])
    frames = list(range(1001, 1006))
    colorize(shot, shot.out_pattern("whole")).run()
    whole = {f: read_image(frame_file(shot.out_pattern("whole"), f)).pixels for f in frames}
    for i, start in enumerate(frames):
        for end in frames[i:]:
            name = f"part{start}-{end}"
            colorize(shot, shot.out_pattern(name), list(range(start, end + 1))).run()
            for frame in range(start, end + 1):
                np.testing.assert_array_equal(
                    read_image(frame_file(shot.out_pattern(name), frame)).pixels,
                    whole[frame],
                    err_msg=f"{name} frame {frame}",
                )


def test_restore_subranges_equal_the_whole_render(tmp_path: Path) -> None:
    source = write_sequence(tmp_path / "src", grainy(scene(6), 0.01))
    restore(source, str(tmp_path / "whole" / "shot.####.exr")).run()
    for start, end in [(1002, 1002), (1003, 1005), (1001, 1004), (1005, 1006)]:
        out = tmp_path / f"part{start}-{end}"
        restore(source, str(out / "shot.####.exr"), list(range(start, end + 1))).run()
        for frame in range(start, end + 1):
            np.testing.assert_array_equal(
                read_image(out / f"shot.{frame}.exr").pixels,
                read_image(tmp_path / "whole" / f"shot.{frame}.exr").pixels,
            )


# -- 10: one clear error, never a traceback --------------------------------------------------------
def test_a_read_only_file_system_gives_the_write_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def read_only(*args: object, **kwargs: object) -> None:
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(os, "replace", read_only)
    monkeypatch.setattr(Path, "unlink", read_only)
    with pytest.raises(ImageFileError, match="Cannot write an EXR") as error:
        write_exr(tmp_path / "a.exr", np.zeros((4, 4, 3), np.float32), ["R", "G", "B"])
    assert "Read-only file system" in error.value.found and error.value.file == tmp_path / "a.exr"


def test_a_full_disk_while_caching_names_the_folder(tiny_shot: TinyShot, monkeypatch: pytest.MonkeyPatch) -> None:
    def full(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(np, "save", full)
    monkeypatch.setattr(keyframe_colorize, "INTERVAL_MEMORY", 0)  # what the passes keep goes to disk
    with pytest.raises(ImageFileError, match="colorize passes") as error:
        colorize(tiny_shot, tiny_shot.out_pattern()).run()
    assert "No space left" in error.value.found and "free space" in error.value.repair
    assert str(Path(tiny_shot.out_pattern()).parent) in error.value.expected and error.value.frame is not None


def test_mixed_resolutions_in_a_colorize_plate_name_the_frame_and_sizes(tiny_shot: TinyShot) -> None:
    write_exr(
        frame_file(tiny_shot.grey_pattern, 1004),
        np.zeros((24, 32, 3), np.float32),
        ["R", "G", "B"],
        pixel_type="float",
        attributes={"oiio:ColorSpace": "lin_ap1_scene"},
    )
    with pytest.raises(ImageFileError, match="size differs") as error:
        colorize(tiny_shot, tiny_shot.out_pattern()).run()
    assert error.value.frame == 1004 and "32x24" in str(error.value) and "64x48" in str(error.value)


# -- 13: a single file keeps the frame number in its name ------------------------------------------
def test_a_single_numbered_file_is_its_frame(tiny_shot: TinyShot) -> None:
    still = parse_sequence(frame_file(tiny_shot.grey_pattern, 1006))
    assert still.is_single_file and still.existing_frames() == [1006]
    assert parse_sequence("/stills/photo.exr").single_frame == 1
    assert parse_sequence("/stills/shot.-005.exr").single_frame == -5
    request = ColorizeRequest(
        source=still,
        keyframes=parse_sequence(tiny_shot.keys_pattern),
        output=parse_sequence(tiny_shot.out_pattern()),
        output_options=FLOAT,
    )
    # Keyframe 1006 pairs with it (keyframe 1001 is outside a one-frame source, so remove it).
    frame_file(tiny_shot.keys_pattern, 1001).unlink()
    assert KeyframeColorizeJob(request).run().written == [1006]
    assert frame_file(tiny_shot.out_pattern(), 1006).is_file()
