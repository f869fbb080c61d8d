"""RestoreJob end to end on tiny EXR shots: AOV and extra channels, metadata, resume, chunking,
cancel, errors, Clarity, and the torch backend against OpenCV."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.conftest import ACESCG_Y, ALL_BACKENDS, make_frames
from tests.core.restore.scenes import ATTRIBUTES, grainy, grey_rgb, scene, write_sequence
from tests.damage import DamageSpec, FilmDamage, damaged_colour
from tests.weave import apply_weave, weave
from tinct.core.colour import ColourManager
from tinct.core.errors import CancelledError, ImageFileError, ParameterError, SequenceError
from tinct.core.imageio import read_attribute, read_image, write_exr
from tinct.core.keyframe_colorize import OutputOptions
from tinct.core.pixels import RESTORE_TOLERANCE_DB, Pixels
from tinct.core.pixels_torch import TorchPixels
from tinct.core.restore import DEFECT_CHANNEL, RestoreJob, RestoreRequest, RestoreSettings, pipeline
from tinct.core.restore.frames import HeldSource, held_signal, signal
from tinct.core.sequence import parse_sequence
from tinct.core.source import SourcePlate

FLOAT = OutputOptions(pixel_type="float")


def damaged_shot(root: Path, count: int = 8) -> tuple[str, list[np.ndarray]]:
    clean = scene(count)
    frames = grainy(clean, 0.01)
    frames[min(3, count - 1)][20:24, 30:34] = 0.0
    return write_sequence(root / "src", frames), clean


def request(source: str, out: Path, **kwargs) -> RestoreRequest:
    kwargs.setdefault("output_options", FLOAT)
    return RestoreRequest(source=parse_sequence(source), output=parse_sequence(str(out / "shot.####.exr")), **kwargs)


def frame_path(out: Path, frame: int) -> Path:
    return out / f"shot.{frame:04d}.exr"


def test_writes_the_restored_frames_with_the_defect_matte_and_provenance(tmp_path: Path) -> None:
    clean = scene(6)
    frames = [np.dstack([grey_rgb(y), np.full(y.shape, 0.5, np.float32)]) for y in grainy(clean, 0.01)]
    frames[2][20:24, 30:34, :3] = 0.0
    for i, pixels in enumerate(frames):
        write_exr(
            tmp_path / "src" / f"shot.{1001 + i}.exr",
            pixels,
            ["R", "G", "B", "A"],
            pixel_type="float",
            attributes={"oiio:ColorSpace": "lin_ap1_scene", "studio:shot": "sh010"},
        )
    report = RestoreJob(
        request(str(tmp_path / "src" / "shot.####.exr"), tmp_path / "out", output_options=OutputOptions())
    ).run()
    assert report.written == list(range(1001, 1007))
    path = frame_path(tmp_path / "out", 1003)
    out = read_image(path)
    assert set(out.channels) == {"R", "G", "B", "A", DEFECT_CHANNEL}
    np.testing.assert_allclose(out.pixels[..., out.index("A")], 0.5)
    assert (out.pixels[20:24, 30:34, out.index(DEFECT_CHANNEL)] > 0.5).all()
    np.testing.assert_allclose(out.rgb()[20:24, 30:34, 0], clean[2][20:24, 30:34], atol=0.03)
    assert out.spec.format == "half"
    assert read_attribute(path, "tinct:node") == "Restore"
    assert read_attribute(path, "tinct:sourceFrame") == 1003
    assert read_attribute(path, "oiio:ColorSpace") == "lin_ap1_scene"
    assert read_attribute(path, "studio:shot") == "sh010"


def test_an_output_colour_space_converts_the_restored_frames_and_nothing_else(tmp_path: Path) -> None:
    tint = np.array([1.3, 0.9, 0.6], np.float32)  # a coloured picture: grey is grey in either space
    source = write_sequence(tmp_path / "src", [y[..., None] * tint for y in grainy(scene(5), 0.01)])
    RestoreJob(request(source, tmp_path / "working")).run()
    other = OutputOptions(pixel_type="float", colorspace="Linear Rec.709 (sRGB)")
    RestoreJob(request(source, tmp_path / "rec709", output_options=other)).run()
    working, converted = (read_image(frame_path(tmp_path / name, 1003)) for name in ("working", "rec709"))
    colour = ColourManager()
    expected = colour.convert(working.rgb(), colour.working_space, "Linear Rec.709 (sRGB)")
    assert not np.allclose(working.rgb(), expected, atol=1e-3)  # the spaces differ on this picture
    np.testing.assert_allclose(converted.rgb(), expected, rtol=1e-5, atol=1e-6)
    matte = working.pixels[..., working.index(DEFECT_CHANNEL)]
    np.testing.assert_array_equal(converted.pixels[..., converted.index(DEFECT_CHANNEL)], matte)


def test_a_half_float_scan_waits_as_half_floats_and_comes_back_as_it_was(tmp_path: Path) -> None:
    # A window holds several frames ahead of the one it restores: a half-float RGB scan in the
    # working space waits as half floats (half the memory), which must give back its very values.
    for i, y in enumerate(grainy(scene(6), 0.01)):
        path = tmp_path / "src" / f"shot.{1001 + i:04d}.exr"
        write_exr(path, grey_rgb(y), ["R", "G", "B"], pixel_type="half", attributes=ATTRIBUTES)
    source = str(tmp_path / "src" / "shot.####.exr")
    frame = SourcePlate(parse_sequence(source), None, ColourManager()).read(1003)
    held = HeldSource.of(frame)
    assert held.colour.dtype == np.float16 and held.colour.ndim == 2  # grey: one plane
    assert held.working().dtype == np.float32
    np.testing.assert_array_equal(held.working(), frame.working)
    nothing = RestoreSettings(dust=False, scratches=False, deflicker=False, grain=0.0)
    RestoreJob(request(source, tmp_path / "out", settings=nothing)).run()
    for frame_number in range(1001, 1007):
        np.testing.assert_array_equal(
            read_image(frame_path(tmp_path / "out", frame_number)).rgb(),
            read_image(tmp_path / "src" / f"shot.{frame_number}.exr").rgb(),
        )
    float_scan = SourcePlate(parse_sequence(write_sequence(tmp_path / "float", [scene(1)[0]])), None, ColourManager())
    assert HeldSource.of(float_scan.read(1001)).colour.dtype == np.float32  # float values stay float


def test_a_colour_frame_waits_in_three_channels_and_a_neutral_one_in_one(tmp_path: Path) -> None:
    grey = grey_rgb(scene(1)[0])
    tinted = grey.copy()
    tinted[5, 7, 2] = np.nextafter(tinted[5, 7, 2], np.float32(1.0))  # one bit of one channel
    signed = grey.copy()
    signed[0, 0] = [0.0, -0.0, 0.0]  # the same value, not the same bits
    folder = write_sequence(tmp_path / "src", [grey, tinted, signed])
    plate = SourcePlate(parse_sequence(folder), None, ColourManager())
    for frame, planes in ((1001, 2), (1002, 3), (1003, 3)):
        source = plate.read(frame)
        held = HeldSource.of(source)
        assert held.colour.ndim == planes
        np.testing.assert_array_equal(held.working().view(np.uint32), source.working.view(np.uint32))


def test_a_held_frame_makes_its_signal_again_bit_for_bit(tmp_path: Path) -> None:
    # Black-and-white (one plane held), colour (three) and float32 scans: the signal made again from
    # the held colour is the one made from the frame read.
    grey = grey_rgb(scene(1)[0])
    tinted = grey * np.array([1.0, 0.9, 0.8], np.float32)
    for frame, pixels in ((1001, grey), (1002, tinted)):
        write_exr(
            frame_path(tmp_path / "half", frame), pixels, ["R", "G", "B"], pixel_type="half", attributes=ATTRIBUTES
        )
    half = SourcePlate(parse_sequence(str(tmp_path / "half" / "shot.####.exr")), None, ColourManager())
    floats = SourcePlate(parse_sequence(write_sequence(tmp_path / "float", [tinted])), None, ColourManager())
    assert HeldSource.of(half.read(1001)).colour.ndim == 2 and HeldSource.of(half.read(1002)).colour.dtype == np.float16
    for plate, frame in ((half, 1001), (half, 1002), (floats, 1001)):
        read = plate.read(frame)
        made = held_signal(HeldSource.of(read), plate.weights)
        np.testing.assert_array_equal(made.view(np.uint32), signal(read.luminance).view(np.uint32))


def test_frames_beyond_the_repairs_reach_are_read_the_same_however_they_wait(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Beyond a restored frame's full reach only the grain filter's still picture reads a frame (as
    # on this locked-off shot), from its signal in half floats: whether the frame waits with that
    # signal, with its exact one (a chunk's handles) or with none (frames over
    # pipeline.SPARE_BYTES), the output is the same, whole or in chunks.
    frames = grainy(scene(12, pan=0), 0.01)
    frames[6][20:24, 30:34] = 0.0
    source = write_sequence(tmp_path / "src", frames)
    chunks = ([1001, 1002, 1003, 1004, 1005], [1006, 1007, 1008, 1009, 1010, 1011, 1012])
    for size in ("small", "large"):
        if size == "large":
            monkeypatch.setattr(pipeline, "SPARE_BYTES", 0)
        RestoreJob(request(source, tmp_path / size)).run()
        for chunk in chunks:
            RestoreJob(request(source, tmp_path / f"{size}-chunked", frames=chunk)).run()
    for frame in range(1001, 1013):
        small = read_image(frame_path(tmp_path / "small", frame)).pixels
        for name in ("small-chunked", "large", "large-chunked"):
            np.testing.assert_array_equal(read_image(frame_path(tmp_path / name, frame)).pixels, small)


def test_a_chunk_of_a_sequence_with_gaps_in_its_numbering_equals_a_whole_render(tmp_path: Path) -> None:
    # Handles and reaches count source frames, not frame numbers: 1003 is the frame before 1008.
    frames = grainy(scene(14, pan=0), 0.01)
    frames[8][20:24, 30:34] = 0.0
    source = write_sequence(tmp_path / "src", frames)
    for frame in range(1004, 1008):
        (tmp_path / "src" / f"shot.{frame:04d}.exr").unlink()
    RestoreJob(request(source, tmp_path / "whole")).run()
    for chunk in ([1001, 1002, 1003], [1008, 1009], [1010, 1011, 1012, 1013, 1014]):
        RestoreJob(request(source, tmp_path / "chunked", frames=chunk)).run()
    for frame in [1001, 1002, 1003, *range(1008, 1015)]:
        np.testing.assert_array_equal(
            read_image(frame_path(tmp_path / "chunked", frame)).pixels,
            read_image(frame_path(tmp_path / "whole", frame)).pixels,
        )


@ALL_BACKENDS
def test_a_chunked_render_equals_a_whole_one(tmp_path: Path, pixels: Pixels) -> None:
    source, _ = damaged_shot(tmp_path, count=10)
    RestoreJob(request(source, tmp_path / "whole", pixels=pixels)).run()
    for chunk in ([1001, 1002, 1003], [1004, 1005, 1006, 1007], [1008, 1009, 1010]):
        RestoreJob(request(source, tmp_path / "chunked", frames=chunk, pixels=pixels)).run()
    for frame in range(1001, 1011):
        np.testing.assert_array_equal(
            read_image(frame_path(tmp_path / "whole", frame)).pixels,
            read_image(frame_path(tmp_path / "chunked", frame)).pixels,
        )


def _fenced_scratch(tmp_path: Path, fence: np.ndarray, count: int, scratched: slice, amplitude: float) -> str:
    """A still, grainy fence behind rails over ``count`` frames of 96 x 128, with a scratch of
    ``amplitude`` at column 50 in the frames ``scratched``: its source sequence."""
    height, width = 96, fence.size
    rails = np.where(np.arange(height) % 32 < 5, 0.7, 1.0).astype(np.float32)
    frames = grainy([fence[None, :] * rails[:, None]] * count, 0.005)
    scratch = amplitude * np.exp(-0.5 * ((np.arange(width) - 50.0) / 0.6) ** 2).astype(np.float32)
    for frame in frames[scratched]:
        frame += scratch
    return write_sequence(tmp_path / "src", frames)


def _flagged_in_a_chunk_as_whole(tmp_path: Path, source: str, chunk: list[int]) -> list[float]:
    """The ``chunk`` of frames restored alone (with its handles) equals the whole render; the share
    of column 50 each of its frames flags."""
    RestoreJob(request(source, tmp_path / "whole")).run()
    RestoreJob(request(source, tmp_path / "chunked", frames=chunk)).run()
    shares = []
    for frame in chunk:
        whole = read_image(frame_path(tmp_path / "whole", frame))
        np.testing.assert_array_equal(whole.pixels, read_image(frame_path(tmp_path / "chunked", frame)).pixels)
        shares.append(float((whole.pixels[:, 50, whole.index(DEFECT_CHANNEL)] > 0.5).mean()))
    return shares


def test_a_chunked_render_equals_a_whole_one_where_a_scratch_is_found_by_its_change(tmp_path: Path) -> None:
    # The still-camera scratch test reads 24 frames before each frame's window and the camera's
    # motion summed back over them: a chunk with its handles sees what the whole render saw.
    # (Its profiles are on the host whatever the pixel backend; the backends' chunks are tested above.)
    fence = np.random.default_rng(12).uniform(0.1, 0.4, 128).astype(np.float32)
    fence[44:57] = 0.25
    source = _fenced_scratch(tmp_path, fence, 30, slice(14, None), 0.18)
    assert _flagged_in_a_chunk_as_whole(tmp_path, source, [1028, 1029]) == [1.0, 1.0]


def test_a_chunked_render_equals_a_whole_one_where_a_scratch_is_found_by_its_change_from_the_frames_after(
    tmp_path: Path,
) -> None:
    # At a still shot's start a frame's change comes from the frames 6 to 10 after it: a chunk of
    # the first frames, read with its handles ahead, sees what the whole render saw. A scratch about
    # as strong as the fence's own lines is there from the first frame and ends after the sixth.
    fence = (0.4 + 0.015 * np.random.default_rng(13).standard_normal(128)).astype(np.float32)
    source = _fenced_scratch(tmp_path, fence, 24, slice(0, 6), 0.05)
    assert min(_flagged_in_a_chunk_as_whole(tmp_path, source, [1002, 1003])) > 0.9


def test_the_torch_backend_restores_a_shot_as_opencv_does_within_the_stated_tolerance(
    tmp_path: Path, torch_pixels: TorchPixels
) -> None:
    # A colour shot with every kind of damage and some weave, every repair and stabilise on.
    spec = DamageSpec(seed=4, dust=12_000.0, blotches=800.0, scratches=3.0, hairs=1_200.0)
    damage = FilmDamage(spec, 64, 48)
    frames = []
    for i, rgb in enumerate(make_frames(8)):
        y = rgb @ ACESCG_Y
        hurt = damaged_colour(rgb, y, damage.damage(y, i).frame)
        frames.append(apply_weave(hurt, weave(3, i, 1.5)))
    source = write_sequence(tmp_path / "src", frames)
    settings = RestoreSettings(stabilise=True, grain_keep=0.2)
    RestoreJob(request(source, tmp_path / "opencv", settings=settings)).run()
    RestoreJob(request(source, tmp_path / "torch", settings=settings, pixels=torch_pixels)).run()
    repaired = 0
    for frame in range(1001, 1009):
        opencv = read_image(frame_path(tmp_path / "opencv", frame))
        found = read_image(frame_path(tmp_path / "torch", frame))
        defect = opencv.pixels[..., opencv.index(DEFECT_CHANNEL)]
        repaired += (defect > 0.5).sum()
        error = np.mean((found.rgb() - opencv.rgb()) ** 2)
        assert error == 0.0 or 10 * np.log10(opencv.rgb().max() ** 2 / error) >= RESTORE_TOLERANCE_DB, frame
    assert repaired > 50  # the dust test did have work to do


def test_rerun_resumes_and_new_parameters_invalidate(tmp_path: Path) -> None:
    source, _ = damaged_shot(tmp_path, count=5)
    assert len(RestoreJob(request(source, tmp_path / "out")).run().written) == 5
    again = RestoreJob(request(source, tmp_path / "out")).run()
    assert again.written == [] and again.skipped == list(range(1001, 1006))
    forced = RestoreJob(
        request(source, tmp_path / "out", output_options=OutputOptions(pixel_type="float", overwrite=True))
    )
    assert len(forced.run().written) == 5
    changed = RestoreJob(request(source, tmp_path / "out", params={"grain": 0.2}))
    assert len(changed.run().written) == 5


def test_cancel_leaves_only_complete_frames_and_rerun_finishes(tmp_path: Path) -> None:
    source, _ = damaged_shot(tmp_path, count=6)
    with pytest.raises(CancelledError):
        RestoreJob(request(source, tmp_path / "out")).run(progress_callback=lambda done, total, _: done >= 2)
    written = sorted((tmp_path / "out").glob("shot.*.exr"))
    assert 1 <= len(written) < 6
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.startswith(".")]
    for path in written:
        read_image(path)
    report = RestoreJob(request(source, tmp_path / "out")).run()
    assert sorted(report.written + report.skipped) == list(range(1001, 1007))


def test_scene_cuts_are_reported(tmp_path: Path) -> None:
    stripes = 0.3 + 0.25 * np.sign(np.sin(np.arange(64) * np.pi / 8))
    frames = scene(4) + [np.tile(stripes, (48, 1)).astype(np.float32)] * 3
    report = RestoreJob(request(write_sequence(tmp_path / "src", frames), tmp_path / "out")).run()
    assert report.notes == ["scene cut before frame 1005"]


def test_output_equal_to_source_is_refused(tmp_path: Path) -> None:
    source, _ = damaged_shot(tmp_path, count=3)
    with pytest.raises(SequenceError, match="overwrite the source"):
        RestoreJob(RestoreRequest(source=parse_sequence(source), output=parse_sequence(source)))


def test_a_named_infrared_channel_must_exist(tmp_path: Path) -> None:
    source, _ = damaged_shot(tmp_path, count=3)
    with pytest.raises(ParameterError, match="Infrared") as error:
        RestoreJob(request(source, tmp_path / "out", settings=RestoreSettings(infrared="IR")))
    assert error.value.frame == 1001


def test_a_frame_of_another_size_names_the_file(tmp_path: Path) -> None:
    source, _ = damaged_shot(tmp_path, count=4)
    write_exr(tmp_path / "src" / "shot.1003.exr", np.zeros((24, 32, 3), np.float32), ["R", "G", "B"])
    with pytest.raises(ImageFileError, match="size") as error:
        RestoreJob(request(source, tmp_path / "out")).run()
    assert error.value.frame == 1003 and "32x24" in str(error.value)


class _Nearest:
    """A stand-in upscaler: pixel repetition."""

    scale = 2

    def __call__(self, linear: np.ndarray) -> np.ndarray:
        return np.repeat(np.repeat(linear, 2, axis=0), 2, axis=1)


def test_clarity_enlarges_the_picture_its_channels_and_windows(tmp_path: Path) -> None:
    source, _ = damaged_shot(tmp_path, count=3)
    RestoreJob(request(source, tmp_path / "out", upscaler=_Nearest(), upscaler_id="nearest x2")).run()
    path = frame_path(tmp_path / "out", 1002)
    out = read_image(path)
    assert out.pixels.shape == (96, 128, 4)
    assert (out.spec.full_width, out.spec.full_height) == (128, 96)
    assert read_attribute(path, "tinct:clarity") == "nearest x2"
    plain = RestoreJob(request(source, tmp_path / "plain")).run()
    assert plain.written and read_attribute(frame_path(tmp_path / "plain", 1002), "tinct:clarity") is None
    small = read_image(frame_path(tmp_path / "plain", 1002)).pixels
    np.testing.assert_allclose(out.pixels[::2, ::2, :3], small[..., :3], atol=1e-6)
