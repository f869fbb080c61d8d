"""KeyframeColorize end to end on tiny EXR shots: colour, luminance, AOVs, resume, chunking, errors."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import ACESCG_Y, ALL_BACKENDS, RED, TinyShot, make_frames, write_shot
from tinct.core import interval, keyframe_colorize
from tinct.core.engine import set_job_cores
from tinct.core.errors import CancelledError, ImageFileError, SequenceError
from tinct.core.flow import Motion
from tinct.core.imageio import read_attribute, read_image, write_exr
from tinct.core.keyframe_colorize import ColorizeRequest, KeyframeColorizeJob, OutputOptions, Segment, plan_segments
from tinct.core.pixels import TOLERANCE_DB, Pixels
from tinct.core.pixels_torch import TorchPixels
from tinct.core.propagation import Plate, Propagator
from tinct.core.sequence import parse_sequence
from tinct.core.source import LuminanceFrame, SourcePlate


def request(shot: TinyShot, out: str = "out", **kwargs) -> ColorizeRequest:
    options = kwargs.pop("output_options", OutputOptions(pixel_type="float"))
    return ColorizeRequest(
        source=parse_sequence(shot.grey_pattern),
        keyframes=parse_sequence(shot.keys_pattern),
        output=parse_sequence(shot.out_pattern(out)),
        output_options=options,
        **kwargs,
    )


def chroma_of(rgb: np.ndarray) -> np.ndarray:
    return rgb / np.maximum(rgb @ ACESCG_Y, 1e-6)[..., None]


def test_plan_segments_cuts_at_keyframes() -> None:
    frames = list(range(1, 11))
    assert plan_segments(frames, [3, 7]) == [
        Segment(None, 3, (1, 2)),
        Segment(3, 7, (3, 4, 5, 6)),
        Segment(7, None, (7, 8, 9, 10)),
    ]
    assert plan_segments([4, 5], [3, 7]) == [Segment(3, 7, (4, 5))]


def test_colour_follows_motion_and_luminance_is_kept(tiny_shot: TinyShot) -> None:
    report = KeyframeColorizeJob(request(tiny_shot)).run()
    assert report.written == list(range(1001, 1007))
    for i, truth in enumerate(tiny_shot.truth):
        out = read_image(tiny_shot.out_pattern().replace("####", f"{1001 + i:04d}"))
        rgb = out.rgb()
        y_src = truth @ ACESCG_Y
        np.testing.assert_allclose(rgb @ ACESCG_Y, y_src, rtol=1e-4, atol=1e-7)
        # the red square has moved 2 px a frame; its centre must be red in every frame
        x0 = 10 + 2 * i
        centre = chroma_of(rgb[21:27, x0 + 3 : x0 + 9]).mean(axis=(0, 1))
        np.testing.assert_allclose(centre, chroma_of(RED), atol=0.15)
        confidence = out.pixels[..., out.index("colorize.confidence")]
        assert 0.0 <= confidence.min() and confidence.max() <= 1.0


def test_keyframes_come_back_exactly_in_chroma(tiny_shot: TinyShot) -> None:
    KeyframeColorizeJob(request(tiny_shot)).run()
    out = read_image(tiny_shot.out_pattern().replace("####", "1001")).rgb()
    np.testing.assert_allclose(chroma_of(out), chroma_of(tiny_shot.truth[0]), rtol=0.01, atol=0.01)


def test_keyframe_exposure_and_grade_do_not_change_luminance(tmp_path: Path) -> None:
    frames = make_frames(4)
    shot = write_shot(tmp_path, frames, keys=[])
    brighter = frames[0] * 2.5  # graded keyframe: a stop and a bit brighter
    write_exr(tmp_path / "keys" / "shot.1001.exr", brighter, ["R", "G", "B"], pixel_type="float")
    KeyframeColorizeJob(request(shot)).run()
    out = read_image(shot.out_pattern().replace("####", "1001")).rgb()
    np.testing.assert_allclose(out @ ACESCG_Y, frames[0] @ ACESCG_Y, rtol=1e-4)
    # registration of a re-exposed keyframe may soften chroma on a pixel at hard edges, not more
    close = np.isclose(chroma_of(out), chroma_of(frames[0]), rtol=0.01, atol=0.01).all(axis=-1)
    assert close.mean() > 0.99


def test_metadata_extra_channels_and_windows_survive(tmp_path: Path) -> None:
    frames = make_frames(4)
    for i, rgb in enumerate(frames):
        y = np.repeat((rgb @ ACESCG_Y)[..., None], 3, -1)
        alpha = np.full(y.shape[:2] + (1,), 0.25 * (i + 1), np.float32)
        write_exr(
            tmp_path / "grey" / f"shot.{1001 + i}.exr",
            np.concatenate([y, alpha], -1),
            ["R", "G", "B", "A"],
            pixel_type="float",
            attributes={"oiio:ColorSpace": "lin_ap1_scene", "studio:shot": "sh010"},
        )
    for key in (0, 2):
        write_exr(tmp_path / "keys" / f"shot.{1001 + key}.exr", frames[key], ["R", "G", "B"], pixel_type="float")
    shot = TinyShot(tmp_path, frames, 1001)
    # Frame 1002, between the keyframes, is joined from two passes; 1004, after the last one, from one.
    KeyframeColorizeJob(request(shot, output_options=OutputOptions())).run()
    for frame in (1002, 1004):
        out = read_image(Path(shot.out_pattern().replace("####", str(frame))))
        assert out.channels == ["R", "G", "B", "A", "colorize.confidence"]
        np.testing.assert_array_equal(out.pixels[..., out.index("A")], 0.25 * (frame - 1000))
    out_path = Path(shot.out_pattern().replace("####", "1002"))
    assert read_attribute(out_path, "studio:shot") == "sh010"
    assert read_attribute(out_path, "tinct:node") == "KeyframeColorize"
    assert read_attribute(out_path, "tinct:sourceFrame") == 1002
    assert read_attribute(out_path, "oiio:ColorSpace") == "lin_ap1_scene"
    assert out.spec.format == "half"


def test_rerun_resumes_and_a_repainted_keyframe_invalidates(tiny_shot: TinyShot) -> None:
    assert len(KeyframeColorizeJob(request(tiny_shot)).run().written) == 6
    again = KeyframeColorizeJob(request(tiny_shot)).run()
    assert again.written == [] and again.skipped == list(range(1001, 1007))
    overwrite = request(tiny_shot, output_options=OutputOptions(pixel_type="float", overwrite=True))
    assert len(KeyframeColorizeJob(overwrite).run().written) == 6
    write_exr(
        Path(tiny_shot.keys_pattern.replace("####", "1006")),
        tiny_shot.truth[5] * (0.2, 1.0, 1.0),
        ["R", "G", "B"],
        pixel_type="float",
    )
    assert len(KeyframeColorizeJob(request(tiny_shot)).run().written) == 6


@ALL_BACKENDS
def test_chunks_at_keyframe_intervals_equal_a_whole_render(tmp_path: Path, pixels: Pixels) -> None:
    shot = write_shot(tmp_path, make_frames(9), keys=[0, 4, 8])
    KeyframeColorizeJob(request(shot, "whole", pixels=pixels)).run()
    for chunk in ([1001, 1002, 1003, 1004], [1005, 1006, 1007, 1008], [1009]):
        KeyframeColorizeJob(request(shot, "chunked", frames=chunk, pixels=pixels)).run()
    for frame in range(1001, 1010):
        whole = read_image(shot.out_pattern("whole").replace("####", str(frame))).pixels
        chunked = read_image(shot.out_pattern("chunked").replace("####", str(frame))).pixels
        np.testing.assert_array_equal(whole, chunked)


def test_the_torch_backend_colours_a_shot_as_opencv_does_within_the_stated_tolerance(
    tmp_path: Path, torch_pixels: TorchPixels
) -> None:
    shot = write_shot(tmp_path, make_frames(10), keys=[2, 7])  # frames before, between and after keyframes
    KeyframeColorizeJob(request(shot, "opencv")).run()
    KeyframeColorizeJob(request(shot, "torch", pixels=torch_pixels)).run()
    for frame in range(1001, 1011):
        opencv = read_image(shot.out_pattern("opencv").replace("####", str(frame))).rgb()
        torch_rgb = read_image(shot.out_pattern("torch").replace("####", str(frame))).rgb()
        np.testing.assert_allclose(torch_rgb @ ACESCG_Y, opencv @ ACESCG_Y, rtol=1e-4, atol=1e-7)
        error = np.mean((torch_rgb - opencv) ** 2)
        assert error == 0.0 or 10 * np.log10(opencv.max() ** 2 / error) >= TOLERANCE_DB, frame


@pytest.fixture
def cores() -> Iterator[Callable[[int | None], None]]:
    """Set the cores a job may use; back to all of them after the test."""
    yield set_job_cores
    set_job_cores(None)


def test_passes_side_by_side_give_the_pixels_of_one_after_the_other(
    tmp_path: Path, cores: Callable[[int | None], None], monkeypatch: pytest.MonkeyPatch
) -> None:
    shot = write_shot(tmp_path, make_frames(9), keys=[0, 8])
    made: list[int] = []
    read: list[int] = []
    motion, read_luminance = Propagator.motion, SourcePlate.read_luminance

    def counted(self: Propagator, previous: Plate, current: Plate) -> Motion:
        made.append(1)
        return motion(self, previous, current)

    def counted_read(self: SourcePlate, frame: int) -> LuminanceFrame:
        read.append(frame)
        return read_luminance(self, frame)

    monkeypatch.setattr(Propagator, "motion", counted)
    monkeypatch.setattr(SourcePlate, "read_luminance", counted_read)
    cores(1)
    KeyframeColorizeJob(request(shot, "one")).run()
    assert len(made) == 8  # each pair of neighbouring frames once
    # Each frame read once for both passes of the interval; the last keyframe once more, for the
    # segment after it.
    assert sorted(read) == [*range(1001, 1010), 1009]
    read.clear()
    cores(2)
    KeyframeColorizeJob(request(shot, "two")).run()
    assert 8 <= len(made) - 8 <= 9  # where the passes meet, both may make the same one
    assert set(read) == set(range(1001, 1010)) and len(read) <= 11  # both may read the frame there
    for frame in range(1001, 1010):
        one = read_image(shot.out_pattern("one").replace("####", str(frame))).pixels
        two = read_image(shot.out_pattern("two").replace("####", str(frame))).pixels
        np.testing.assert_array_equal(one, two)
    made.clear()
    KeyframeColorizeJob(request(shot, "key", frames=[1001])).run()
    assert made == []  # a keyframe alone is its own colour: no pass walks anywhere
    key = read_image(shot.out_pattern("key").replace("####", "1001")).pixels
    np.testing.assert_array_equal(key, read_image(shot.out_pattern("one").replace("####", "1001")).pixels)


@pytest.mark.parametrize("count", [1, 2])
def test_what_the_passes_keep_beyond_their_memory_is_parked_on_disk_or_read_again(
    tmp_path: Path, cores: Callable[[int | None], None], monkeypatch: pytest.MonkeyPatch, count: int
) -> None:
    shot = write_shot(tmp_path, make_frames(9), keys=[0, 8])
    cores(count)
    read: list[int] = []
    parked: list[str] = []
    read_luminance, park = SourcePlate.read_luminance, interval._park

    def counted_read(self: SourcePlate, frame: int) -> LuminanceFrame:
        read.append(frame)
        return read_luminance(self, frame)

    def counted_park(cache: Path, frame: int, kind: str, array: np.ndarray) -> None:
        parked.append(kind)
        park(cache, frame, kind, array)

    monkeypatch.setattr(SourcePlate, "read_luminance", counted_read)
    monkeypatch.setattr(interval, "_park", counted_park)
    KeyframeColorizeJob(request(shot, "in-memory")).run()
    assert parked == []  # a short interval fits in memory whole
    read.clear()
    monkeypatch.setattr(keyframe_colorize, "INTERVAL_MEMORY", 0)
    KeyframeColorizeJob(request(shot, "on-disk")).run()
    # Each pass reads every frame it walks (1001 to 1008 forwards, 1009 to 1002 backwards, 1009 for
    # the segment after the interval); motions and first estimates wait on disk.
    if count == 1:  # on two cores the passes may both make a motion, with nothing parked
        assert sorted(read) == sorted([*range(1001, 1010), 1009, *range(1002, 1009)])
        assert sorted(parked) == sorted(["motion"] * 6 + ["backward.parts", "backward.coords"] * 7)
    assert parked and len(read) > 10
    for frame in range(1001, 1010):
        on_disk = read_image(shot.out_pattern("on-disk").replace("####", str(frame))).pixels
        in_memory = read_image(shot.out_pattern("in-memory").replace("####", str(frame))).pixels
        np.testing.assert_array_equal(on_disk, in_memory)


@pytest.mark.parametrize("count", [1, 2])
def test_a_frame_unreadable_in_one_pass_stops_the_interval_with_its_name(
    tmp_path: Path, cores: Callable[[int | None], None], count: int
) -> None:
    shot = write_shot(tmp_path, make_frames(9), keys=[0, 8])
    cores(count)
    job = KeyframeColorizeJob(request(shot))  # the headers are checked here
    broken = Path(shot.grey_pattern.replace("####", "1006"))
    broken.write_bytes(broken.read_bytes()[: broken.stat().st_size // 2])
    with pytest.raises(ImageFileError) as error:
        job.run()
    assert error.value.file is not None and "shot.1006.exr" in str(error.value.file)
    out_dir = Path(shot.out_pattern()).parent
    assert not [p for p in out_dir.iterdir() if p.name.startswith(".")]  # no temp files, no cache
    for path in out_dir.glob("shot.*.exr"):
        read_image(path)  # what was written is whole


def test_frames_before_the_first_keyframe_are_coloured_backwards(tmp_path: Path) -> None:
    shot = write_shot(tmp_path, make_frames(5), keys=[4])
    KeyframeColorizeJob(request(shot)).run()
    first = read_image(shot.out_pattern().replace("####", "1001")).rgb()
    np.testing.assert_allclose(chroma_of(first[21:27, 13:19]).mean((0, 1)), chroma_of(RED), atol=0.15)


def test_cancel_leaves_only_complete_frames_and_rerun_finishes(tiny_shot: TinyShot) -> None:
    with pytest.raises(CancelledError):
        KeyframeColorizeJob(request(tiny_shot)).run(progress_callback=lambda done, total, _: done >= 2)
    out_dir = Path(tiny_shot.out_pattern()).parent
    written = sorted(out_dir.glob("shot.*.exr"))
    assert 1 <= len(written) < 6
    assert not [p for p in out_dir.iterdir() if p.name.startswith(".")]  # no temp files, no cache
    for path in written:
        read_image(path)  # every file is complete
    report = KeyframeColorizeJob(request(tiny_shot)).run()
    assert sorted(report.written + report.skipped) == list(range(1001, 1007))


def test_keyframe_outside_the_source_range_is_an_error(tiny_shot: TinyShot) -> None:
    write_exr(Path(tiny_shot.keys_pattern.replace("####", "1010")), tiny_shot.truth[0], ["R", "G", "B"])
    with pytest.raises(SequenceError, match="outside the source range") as error:
        KeyframeColorizeJob(request(tiny_shot))
    assert error.value.frame == 1010 and "1010" in str(error.value.file)


def test_keyframe_resolution_mismatch_names_the_file(tiny_shot: TinyShot) -> None:
    write_exr(Path(tiny_shot.keys_pattern.replace("####", "1003")), np.zeros((24, 32, 3), np.float32), ["R", "G", "B"])
    with pytest.raises(ImageFileError, match="resolution") as error:
        KeyframeColorizeJob(request(tiny_shot))
    assert error.value.frame == 1003 and "32x24" in str(error.value)


def test_output_equal_to_source_is_refused(tiny_shot: TinyShot) -> None:
    req = request(tiny_shot)
    req = ColorizeRequest(source=req.source, keyframes=req.keyframes, output=req.source)
    with pytest.raises(SequenceError, match="overwrite the source"):
        KeyframeColorizeJob(req)


def test_missing_requested_frames_are_an_error(tiny_shot: TinyShot) -> None:
    with pytest.raises(SequenceError) as error:
        KeyframeColorizeJob(request(tiny_shot, frames=list(range(1001, 1010))))
    assert "1007-1009" in str(error.value)
