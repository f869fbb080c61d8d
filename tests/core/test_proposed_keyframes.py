"""AutoColorize's engine: keyframes proposed by a colouriser, then propagated like painted ones."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.conftest import ACESCG_Y, ALL_BACKENDS, TinyShot, make_frames, write_shot
from tinct.core.errors import ParameterError
from tinct.core.imageio import read_attribute, read_image
from tinct.core.keyframe_colorize import CONFIDENCE_CHANNEL, ColorizeRequest, KeyframeColorizeJob, OutputOptions
from tinct.core.keyframes import Proposer
from tinct.core.pixels import Pixels
from tinct.core.sequence import parse_sequence

WARM = np.array([1.6, 0.85, 0.5], np.float32)  # a chroma ratio: warm where bright
COOL = np.array([0.6, 1.0, 1.7], np.float32)
UNSURE = 0.25


class CountingColouriser:
    """Warm on bright pixels, cool on dark ones, unsure of the dark ones; counts the frames it coloured."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        self.calls += 1
        bright = y > np.median(y)
        return np.where(bright[..., None], WARM, COOL).astype(np.float32), np.where(bright, 1.0, UNSURE).astype(
            np.float32
        )


def auto_request(
    shot: TinyShot, colouriser: CountingColouriser, interval: int = 48, out: str = "out", **kwargs
) -> ColorizeRequest:
    return ColorizeRequest(
        source=parse_sequence(shot.grey_pattern),
        keyframes=None,
        output=parse_sequence(shot.out_pattern(out)),
        output_options=OutputOptions(pixel_type="float"),
        node="AutoColorize",
        proposer=Proposer(colouriser, identity="test-colouriser-v1", interval=interval),
        **kwargs,
    )


def frame_path(shot: TinyShot, frame: int, out: str = "out") -> str:
    return shot.out_pattern(out).replace("####", f"{frame:04d}")


def test_proposed_colour_reaches_every_frame_and_luminance_is_kept(tmp_path: Path) -> None:
    frames = make_frames(8)
    shot = write_shot(tmp_path, frames, keys=[])
    colouriser = CountingColouriser()
    job = KeyframeColorizeJob(auto_request(shot, colouriser))
    assert len(job.keys) == 1  # 8 frames, one keyframe per 48
    job.run()
    assert colouriser.calls == 1  # only the keyframe is coloured by the colouriser
    for index, truth in enumerate(frames):
        rgb = read_image(frame_path(shot, 1001 + index)).rgb()
        np.testing.assert_allclose(rgb @ ACESCG_Y, truth @ ACESCG_Y, rtol=1e-4, atol=1e-7)
        assert np.ptp(rgb / np.maximum(rgb @ ACESCG_Y, 1e-6)[..., None]) > 0.5  # coloured, not grey


@ALL_BACKENDS
def test_the_colourisers_doubt_reaches_the_confidence_aov(tmp_path: Path, pixels: Pixels) -> None:
    frames = make_frames(4)
    shot = write_shot(tmp_path, frames, keys=[])
    KeyframeColorizeJob(auto_request(shot, CountingColouriser(), pixels=pixels)).run()
    for index, truth in enumerate(frames):
        image = read_image(frame_path(shot, 1001 + index))
        confidence = image.pixels[..., image.index(CONFIDENCE_CHANNEL)]
        y = truth @ ACESCG_Y
        # Away from the boundary between the colouriser's sure and unsure pixels (bilinear there).
        bright, dark = y > np.quantile(y, 0.8), y < np.quantile(y, 0.2)
        assert np.median(confidence[dark]) <= UNSURE + 0.05
        assert np.median(confidence[bright]) > 0.6


def test_interval_sets_how_many_keyframes_are_proposed(tmp_path: Path) -> None:
    shot = write_shot(tmp_path, make_frames(9), keys=[])
    job = KeyframeColorizeJob(auto_request(shot, CountingColouriser(), interval=3))
    assert len(job.keys) == 3
    assert set(job.keys) <= set(range(1001, 1010))


def test_a_chunk_proposes_the_same_keyframes_and_pixels_as_the_whole_shot(tmp_path: Path) -> None:
    shot = write_shot(tmp_path, make_frames(8), keys=[])
    whole = KeyframeColorizeJob(auto_request(shot, CountingColouriser(), interval=4, out="whole"))
    whole.run()
    chunk = KeyframeColorizeJob(
        auto_request(shot, CountingColouriser(), interval=4, out="chunk", frames=[1005, 1006, 1007])
    )
    assert chunk.keys == whole.keys
    chunk.run()
    for frame in (1005, 1006, 1007):
        np.testing.assert_array_equal(
            read_image(frame_path(shot, frame, "chunk")).pixels, read_image(frame_path(shot, frame, "whole")).pixels
        )


def test_rerun_skips_and_another_colouriser_redoes(tmp_path: Path) -> None:
    shot = write_shot(tmp_path, make_frames(4), keys=[])
    KeyframeColorizeJob(auto_request(shot, CountingColouriser())).run()
    again = KeyframeColorizeJob(auto_request(shot, CountingColouriser())).run()
    assert again.written == [] and again.skipped == [1001, 1002, 1003, 1004]
    other = ColorizeRequest(
        source=parse_sequence(shot.grey_pattern),
        keyframes=None,
        output=parse_sequence(shot.out_pattern()),
        proposer=Proposer(CountingColouriser(), identity="test-colouriser-v2"),
    )
    assert KeyframeColorizeJob(other).run().written == [1001, 1002, 1003, 1004]
    assert read_attribute(frame_path(shot, 1001), "tinct:node") == "KeyframeColorize"


def test_a_single_photograph_is_coloured(tmp_path: Path) -> None:
    frames = make_frames(1)
    write_shot(tmp_path, frames, keys=[])
    still = tmp_path / "grey" / "shot.1001.exr"
    request = ColorizeRequest(
        source=parse_sequence(str(still)),
        keyframes=None,
        output=parse_sequence(str(tmp_path / "photo_colour.exr")),
        proposer=Proposer(CountingColouriser(), identity="test"),
        output_options=OutputOptions(pixel_type="float"),
    )
    KeyframeColorizeJob(request).run()
    rgb = read_image(tmp_path / "photo_colour.exr").rgb()
    np.testing.assert_allclose(rgb @ ACESCG_Y, frames[0] @ ACESCG_Y, rtol=1e-4, atol=1e-7)
    bright = (frames[0] @ ACESCG_Y) > np.median(frames[0] @ ACESCG_Y)
    ratio = rgb / np.maximum(rgb @ ACESCG_Y, 1e-6)[..., None]
    assert ratio[bright][:, 0].mean() > ratio[~bright][:, 0].mean() + 0.5  # warm bright, cool dark


@pytest.mark.parametrize("painted", [True, False])
def test_keyframes_and_a_colouriser_are_exclusive(tiny_shot: TinyShot, painted: bool) -> None:
    request = ColorizeRequest(
        source=parse_sequence(tiny_shot.grey_pattern),
        keyframes=parse_sequence(tiny_shot.keys_pattern) if painted else None,
        output=parse_sequence(tiny_shot.out_pattern()),
        proposer=Proposer(CountingColouriser(), identity="x") if painted else None,
    )
    with pytest.raises(ParameterError, match="not both"):
        KeyframeColorizeJob(request)
