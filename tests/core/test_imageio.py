import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import OpenImageIO as oiio
import pytest

from tinct.core.errors import ImageFileError, ParameterError
from tinct.core.imageio import Image, read_attribute, read_image, read_spec, write_exr

H, W = 12, 16
HALF_RTOL = 2.0**-10  # half has a 10-bit mantissa


def ramp(channels: int, height: int = H, width: int = W) -> np.ndarray:
    """(height, width, channels) float32 with a distinct value per sample, some above 1 and below 0."""
    return np.linspace(-0.5, 4.0, height * width * channels, dtype=np.float32).reshape(height, width, channels)


def write_raw(path: Path, pixels: np.ndarray, channels, fmt: str = "float", **fields) -> None:
    """Write a file with OIIO directly, independently of the code under test."""
    spec = oiio.ImageSpec(pixels.shape[1], pixels.shape[0], pixels.shape[2], fmt)
    spec.channelnames = tuple(channels)
    for name, value in fields.items():
        if name in ("x", "y", "full_x", "full_y", "full_width", "full_height"):
            setattr(spec, name, value)
        else:
            spec.attribute(name, value)
    out = oiio.ImageOutput.create(str(path))
    assert out.open(str(path), spec), out.geterror()
    assert out.write_image(np.ascontiguousarray(pixels, dtype=np.float32)), out.geterror()
    assert out.close()


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


class TestReadImage:
    def test_smoke(self, tmp_path):
        path = tmp_path / "a.exr"
        write_raw(path, ramp(3), "RGB", "half")
        image = read_image(path, frame=1001)
        assert isinstance(image, Image)
        assert image.pixels.shape == (H, W, 3)
        assert image.pixels.dtype == np.float32
        assert image.pixels.flags.c_contiguous
        assert (image.width, image.height) == (W, H)
        assert image.channels == ["R", "G", "B"]
        assert image.path == path
        assert image.is_float

    def test_png_8bit_reads_as_unit_floats(self, tmp_path):
        path = tmp_path / "a.png"
        pixels = np.zeros((4, 6, 3), np.float32)
        pixels[0, 0] = (0.0, 128 / 255, 1.0)
        write_raw(path, pixels, "RGB", "uint8")
        image = read_image(path)
        np.testing.assert_allclose(image.pixels[0, 0], [0.0, 128 / 255, 1.0], atol=1e-6)
        assert image.pixels.min() >= 0.0 and image.pixels.max() <= 1.0
        assert not image.is_float
        assert "srgb" in image.colorspace_attr.lower()

    def test_dpx_10bit(self, tmp_path):
        path = tmp_path / "a.dpx"
        write_raw(path, np.full((4, 6, 3), 0.5, np.float32), "RGB", "uint10")
        image = read_image(path)
        np.testing.assert_allclose(image.pixels, 0.5, atol=1 / 1023)
        assert not image.is_float

    def test_data_window_is_read(self, tmp_path):
        path = tmp_path / "a.exr"
        write_raw(path, ramp(3), "RGB", x=5, y=-3, full_x=0, full_y=0, full_width=64, full_height=48)
        image = read_image(path)
        assert image.pixels.shape == (H, W, 3)
        assert (image.spec.x, image.spec.y, image.spec.full_width, image.spec.full_height) == (5, -3, 64, 48)
        np.testing.assert_array_equal(image.pixels, ramp(3))

    def test_missing_file(self, tmp_path):
        path = tmp_path / "a.1001.exr"
        with pytest.raises(ImageFileError, match="not found") as info:
            read_image(path, frame=1001)
        assert str(path) in str(info.value)
        assert "frame 1001" in str(info.value)

    @pytest.mark.parametrize("keep", [0.01, 0.5, 0.97])
    def test_truncated_exr(self, tmp_path, keep):
        path = tmp_path / "a.exr"
        write_raw(path, ramp(4, 48, 64), "RGBA", "half", compression="none")
        data = path.read_bytes()
        path.write_bytes(data[: int(len(data) * keep)])
        with pytest.raises(ImageFileError) as info:
            read_image(path, frame=7)
        message = str(info.value)
        assert str(path) in message and "frame 7" in message
        assert "EXR" in message or "missing or corrupted" in message  # OIIO's own reason

    def test_not_an_image(self, tmp_path):
        path = tmp_path / "a.exr"
        path.write_text("hello")
        with pytest.raises(ImageFileError, match="Cannot open"):
            read_image(path)

    @pytest.mark.parametrize("bad, kind", [(np.nan, "1 NaN, 0 Inf"), (np.inf, "0 NaN, 1 Inf")])
    def test_non_finite_pixels_are_refused(self, tmp_path, bad, kind):
        path = tmp_path / "a.exr"
        pixels = ramp(3)
        pixels[2, 3, 1] = bad
        write_raw(path, pixels, "RGB", "half", x=10, y=20, full_width=64, full_height=48)
        with pytest.raises(ImageFileError, match="Non-finite") as info:
            read_image(path, frame=1001)
        message = str(info.value)
        assert f"1 non-finite values ({kind})" in message
        assert "x=13, y=22" in message and "channel 'G'" in message
        assert str(path) in message and "isnan(r)" in message

    def test_read_spec_and_attribute(self, tmp_path):
        path = tmp_path / "a.exr"
        write_raw(path, ramp(3), "RGB", **{"studio:shot": "sh010"})
        spec = read_spec(path)
        assert (spec.width, spec.height, spec.nchannels) == (W, H, 3)
        assert read_attribute(path, "studio:shot") == "sh010"
        assert read_attribute(path, "studio:nothing") is None
        with pytest.raises(ImageFileError, match="not found"):
            read_spec(tmp_path / "b.exr")

    def test_parallel_reads(self, tmp_path):
        paths = []
        for i in range(8):
            paths.append(tmp_path / f"a.{i}.exr")
            write_raw(paths[-1], np.full((4, 4, 3), float(i), np.float32), "RGB")
        paths += [tmp_path / f"missing.{i}.exr" for i in range(8)]

        def mean_or_error(path):
            try:
                return float(read_image(path).pixels.mean())
            except ImageFileError as error:
                return str(error.file)

        with ThreadPoolExecutor(8) as pool:
            results = list(pool.map(mean_or_error, paths * 4))
        assert results == ([float(i) for i in range(8)] + [str(p) for p in paths[8:]]) * 4


class TestImageChannels:
    def make(self, channels, pixels=None) -> Image:
        pixels = ramp(len(channels)) if pixels is None else pixels
        return Image(pixels, list(channels), oiio.ImageSpec(W, H, len(channels), "half"), Path("x.exr"))

    def test_rgb_by_name_not_position(self):
        image = self.make(["A", "B", "G", "R", "Z"])
        rgb = image.rgb()
        assert rgb.shape == (H, W, 3) and rgb.dtype == np.float32 and rgb.flags.c_contiguous
        np.testing.assert_array_equal(rgb, image.pixels[..., [3, 2, 1]])
        assert image.extra_channels() == ["A", "Z"]
        assert image.index("Z") == 4 and image.index("z") is None

    def test_rgb_is_a_copy(self):
        image = self.make("RGB")
        image.rgb()[:] = 7
        assert image.pixels.max() < 7

    def test_lowercase_rgb(self):
        image = self.make(["b", "g", "r", "alpha"])
        np.testing.assert_array_equal(image.rgb(), image.pixels[..., [2, 1, 0]])
        assert image.extra_channels() == ["alpha"]

    @pytest.mark.parametrize("channels, extra", [(["Y"], []), (["Y", "A"], ["A"]), (["mask"], [])])
    def test_grey_repeats(self, channels, extra):
        image = self.make(channels)
        rgb = image.rgb()
        assert rgb.shape == (H, W, 3)
        for c in range(3):
            np.testing.assert_array_equal(rgb[..., c], image.pixels[..., 0])
        assert image.extra_channels() == extra

    def test_no_colour_channels(self):
        image = self.make(["X", "Z"])
        with pytest.raises(ImageFileError, match="No colour channels") as info:
            image.rgb()
        assert "channels X, Z" in str(info.value)

    def test_grey_png(self, tmp_path):
        path = tmp_path / "g.png"
        write_raw(path, np.full((4, 6, 1), 0.25, np.float32), ["Y"], "uint8")
        np.testing.assert_allclose(read_image(path).rgb(), 64 / 255, atol=1e-6)


class TestWriteExr:
    @pytest.mark.parametrize("pixel_type, rtol", [("half", HALF_RTOL), ("float", 0.0)])
    def test_round_trip(self, tmp_path, pixel_type, rtol):
        path = tmp_path / "out.exr"
        pixels = ramp(3)
        write_exr(path, pixels, ["R", "G", "B"], pixel_type=pixel_type)
        image = read_image(path)
        np.testing.assert_allclose(image.rgb(), pixels, rtol=rtol, atol=1e-7)
        assert read_spec(path).format == oiio.TypeDesc(pixel_type)
        assert leftovers(tmp_path) == []

    def test_channels_found_by_name_after_round_trip(self, tmp_path):
        path = tmp_path / "out.exr"
        names = ["restore.defect", "B", "A", "R", "G"]
        pixels = np.stack([np.full((H, W), v, np.float32) for v in (0.5, 3.0, 1.0, 1.0, 2.0)], axis=-1)
        write_exr(path, pixels, names)
        image = read_image(path)
        assert sorted(image.channels) == sorted(names)
        np.testing.assert_array_equal(image.rgb()[0, 0], [1.0, 2.0, 3.0])
        assert image.pixels[0, 0, image.index("restore.defect")] == 0.5
        assert image.pixels[0, 0, image.index("A")] == 1.0
        assert sorted(image.extra_channels()) == ["A", "restore.defect"]
        assert image.spec.alpha_channel == image.index("A")

    def test_windows_come_from_the_template(self, tmp_path):
        source = tmp_path / "src.exr"
        write_raw(source, ramp(3), "RGB", "half", x=4, y=6, full_x=-2, full_y=1, full_width=40, full_height=30)
        image = read_image(source)
        out = tmp_path / "out.exr"
        write_exr(out, image.pixels * 2, image.channels, template=image.spec)
        spec = read_spec(out)
        assert (spec.x, spec.y, spec.width, spec.height) == (4, 6, W, H)
        assert (spec.full_x, spec.full_y, spec.full_width, spec.full_height) == (-2, 1, 40, 30)

    def test_without_template_display_window_is_data_window(self, tmp_path):
        write_exr(tmp_path / "out.exr", ramp(3), list("RGB"))
        spec = read_spec(tmp_path / "out.exr")
        assert (spec.x, spec.y, spec.full_x, spec.full_y, spec.full_width, spec.full_height) == (0, 0, 0, 0, W, H)

    def test_source_metadata_survives_and_file_facts_do_not(self, tmp_path):
        template = oiio.ImageSpec(W, H, 3, "uint16")
        template.attribute("studio:shot", "sh010")
        template.attribute("studio:take", 3)
        template.attribute("smpte:TimeCode", oiio.TypeTimeCode, (0x01000000, 0))
        template.attribute("oiio:ColorSpace", "ACEScg")
        template.attribute("Exif:ExposureTime", 0.02)
        template.attribute("colorInteropID", "srgb_rec709_scene")  # stale: must not win
        template.attribute("compression", "piz")
        template.attribute("oiio:BitsPerSample", 10)
        template.attribute("dpx:Packing", "Filled, method A")
        template.attribute("openexr:dwaCompressionLevel", 300.0)
        template.attribute("Software", "ScanStation 5")
        out = tmp_path / "out.exr"
        write_exr(out, ramp(3), list("RGB"), template=template)
        spec = read_spec(out)
        assert spec.getattribute("studio:shot") == "sh010"
        assert spec.getattribute("studio:take") == 3
        assert spec.getattribute("smpte:TimeCode") == (0x01000000, 0)
        assert spec.getattribute("oiio:ColorSpace") == "lin_ap1_scene"
        assert spec.getattribute("Exif:ExposureTime") == pytest.approx(0.02)
        assert spec.getattribute("compression") == "zip"
        assert spec.getattribute("oiio:BitsPerSample") is None
        assert spec.getattribute("dpx:Packing") is None
        assert spec.getattribute("openexr:dwaCompressionLevel") is None
        assert spec.getattribute("Software") is None

    def test_new_colour_space_replaces_the_templates(self, tmp_path):
        template = oiio.ImageSpec(W, H, 3, "half")
        template.attribute("oiio:ColorSpace", "ACEScg")
        template.attribute(
            "chromaticities", oiio.TypeDesc("float[8]"), (0.713, 0.293, 0.165, 0.83, 0.128, 0.044, 0.32168, 0.33767)
        )
        out = tmp_path / "out.exr"
        write_exr(out, ramp(3), list("RGB"), template=template, attributes={"oiio:ColorSpace": "lin_rec709_scene"})
        assert read_attribute(out, "oiio:ColorSpace") == "lin_rec709_scene"
        assert read_attribute(out, "chromaticities") is None

    def test_tinct_attributes_keep_their_types(self, tmp_path):
        out = tmp_path / "out.exr"
        attributes = {"tinct:params": '{"grain": 0.5}', "tinct:frame": 1001, "tinct:gain": 1.5, "tinct:flag": True}
        write_exr(out, ramp(3), list("RGB"), attributes=attributes)
        assert read_attribute(out, "tinct:params") == '{"grain": 0.5}'
        assert read_attribute(out, "tinct:frame") == 1001
        assert read_attribute(out, "tinct:gain") == 1.5
        assert read_attribute(out, "tinct:flag") == 1
        with pytest.raises(TypeError, match="tinct:list"):
            write_exr(out, ramp(3), list("RGB"), attributes={"tinct:list": [1, 2]})

    @pytest.mark.parametrize(
        "compression, codec", [("none", "none"), ("piz", "piz"), ("dwaa:45", "dwaa"), ("zip:9", "zip")]
    )
    def test_compression(self, tmp_path, compression, codec):
        out = tmp_path / "out.exr"
        write_exr(out, ramp(3), list("RGB"), compression=compression)
        assert read_attribute(out, "compression") == codec

    @pytest.mark.parametrize("kwargs", [{"compression": "zipp"}, {"compression": "piz:3"}, {"pixel_type": "uint8"}])
    def test_bad_parameters(self, tmp_path, kwargs):
        with pytest.raises(ParameterError):
            write_exr(tmp_path / "out.exr", ramp(3), list("RGB"), **kwargs)
        assert list(tmp_path.iterdir()) == []

    @pytest.mark.parametrize("channels", [["R", "G"], ["R", "G", "G"], ["R", "G", ""]])
    def test_channels_must_match_pixels(self, tmp_path, channels):
        with pytest.raises(ValueError):
            write_exr(tmp_path / "out.exr", ramp(3), channels)

    def test_creates_folders_and_overwrites(self, tmp_path):
        out = tmp_path / "a" / "b" / "out.exr"
        write_exr(out, np.zeros((H, W, 3), np.float32), list("RGB"))
        write_exr(out, np.ones((H, W, 3), np.float32), list("RGB"))
        assert read_image(out).pixels.min() == 1.0
        assert leftovers(out.parent) == []

    def test_template_size_mismatch_leaves_nothing(self, tmp_path):
        out = tmp_path / "out.exr"
        write_exr(out, np.ones((H, W, 3), np.float32), list("RGB"))
        before = out.read_bytes()
        with pytest.raises(ImageFileError, match="data window") as info:
            write_exr(out, ramp(3, H, W - 1), list("RGB"), template=read_spec(out))
        assert str(out) in str(info.value)
        assert out.read_bytes() == before
        assert leftovers(tmp_path) == []

    @pytest.mark.parametrize("failure", [OSError(28, "No space left on device"), KeyboardInterrupt()])
    def test_failure_after_writing_removes_the_temporary(self, tmp_path, monkeypatch, failure):
        out = tmp_path / "out.exr"
        write_exr(out, np.ones((H, W, 3), np.float32), list("RGB"))
        before = out.read_bytes()
        temporaries = []

        def fail(source, target):
            temporaries.append(Path(source))
            assert Path(source).stat().st_size > 0
            raise failure

        monkeypatch.setattr(os, "replace", fail)
        with pytest.raises(ImageFileError if isinstance(failure, OSError) else KeyboardInterrupt) as info:
            write_exr(out, ramp(3), list("RGB"))
        if isinstance(failure, OSError):
            assert str(out) in str(info.value) and "No space left" in str(info.value)
        assert temporaries[0].parent == tmp_path
        assert temporaries[0].name.startswith(".out.exr.") and temporaries[0].suffix == ".exr"
        assert out.read_bytes() == before
        assert leftovers(tmp_path) == []

    def test_unwritable_folder(self, tmp_path):
        blocker = tmp_path / "file"
        blocker.write_text("not a folder")
        out = blocker / "out.exr"
        with pytest.raises(ImageFileError, match="Cannot write") as info:
            write_exr(out, ramp(3), list("RGB"))
        assert str(out) in str(info.value)
