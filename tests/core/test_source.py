"""Reading a plate's frames into the working space."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tinct.core.colour import ColourManager
from tinct.core.imageio import write_exr
from tinct.core.sequence import parse_sequence
from tinct.core.source import SourceFrame, SourcePlate


def read_first(folder: Path, pixels: np.ndarray, channels: list[str], space: str) -> SourceFrame:
    write_exr(folder / "plate.1001.exr", pixels, channels, pixel_type="float", attributes={"oiio:ColorSpace": space})
    return SourcePlate(parse_sequence(str(folder / "plate.####.exr")), None, ColourManager()).read(1001)


def test_a_frame_already_in_the_working_space_lends_its_pixels_read_only(tmp_path: Path) -> None:
    rgb = np.random.default_rng(0).random((48, 64, 3), dtype=np.float32) * 2.0 - 0.5
    frame = read_first(tmp_path, rgb, ["R", "G", "B"], "lin_ap1_scene")
    assert np.shares_memory(frame.working, frame.image.pixels)
    assert not frame.working.flags.writeable
    np.testing.assert_array_equal(frame.working, rgb)


def test_other_frames_get_a_working_copy_of_their_own(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    rgba = rng.random((48, 64, 4), dtype=np.float32)
    with_alpha = read_first(tmp_path / "rgba", rgba, ["R", "G", "B", "A"], "lin_ap1_scene")
    assert not np.shares_memory(with_alpha.working, with_alpha.image.pixels)
    np.testing.assert_array_equal(with_alpha.working, rgba[..., :3])
    rec709 = read_first(tmp_path / "rec709", rgba[..., :3], ["R", "G", "B"], "lin_rec709_scene")
    assert not np.shares_memory(rec709.working, rec709.image.pixels)
    assert not np.allclose(rec709.working, rgba[..., :3])


def test_a_luminance_frame_keeps_the_luminance_header_and_extra_channels_only(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    pixels = rng.random((48, 64, 5), dtype=np.float32)
    write_exr(
        tmp_path / "plate.1001.exr",
        pixels,
        ["R", "G", "B", "A", "depth.Z"],
        pixel_type="float",
        attributes={"oiio:ColorSpace": "lin_ap1_scene", "studio:shot": "sh010"},
    )
    plate = SourcePlate(parse_sequence(str(tmp_path / "plate.####.exr")), None, ColourManager())
    whole, light = plate.read(1001), plate.read_luminance(1001)
    np.testing.assert_array_equal(light.luminance, whole.luminance)
    assert light.spec.getattribute("studio:shot") == "sh010"
    assert list(light.extras) == ["A", "depth.Z"]
    for index, plane in zip((3, 4), light.extras.values()):
        np.testing.assert_array_equal(plane, pixels[..., index])
        assert plane.flags.owndata  # not a view: the frame's pixels can go
