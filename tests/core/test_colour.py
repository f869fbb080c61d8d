"""Tests of tinct.core.colour against the built-in studio config and tiny inline configs."""

from __future__ import annotations

import threading

import numpy as np
import PyOpenColorIO as ocio
import pytest

from tinct.core.colour import STUDIO_CONFIG, ColourManager, ConfigChoice, choose_config
from tinct.core.errors import ColourError

SRGB = "sRGB Encoded Rec.709 (sRGB)"
LIN_709 = "Linear Rec.709 (sRGB)"

# Two spaces and a scene_linear role; its own luma coefficients so the fallback is visible.
TINY_CONFIG = """ocio_profile_version: 2
luma: [0.3, 0.6, 0.1]
roles:
  default: linear
  scene_linear: linear
file_rules:
  - !<Rule> {name: Default, colorspace: default}
displays:
  sRGB:
    - !<View> {name: Raw, colorspace: linear}
colorspaces:
  - !<ColorSpace>
    name: linear
    aliases: [lin]
  - !<ColorSpace>
    name: gamma22
    from_scene_reference: !<ExponentTransform> {value: 2.2, direction: inverse}
"""

# ACEScg and ACES2065-1 with only the aces_interchange role: no XYZ space at all.
ACES_ONLY_CONFIG = """ocio_profile_version: 2
roles:
  default: ACES2065-1
  scene_linear: ACEScg
  aces_interchange: ACES2065-1
file_rules:
  - !<Rule> {name: Default, colorspace: default}
displays:
  sRGB:
    - !<View> {name: Raw, colorspace: ACES2065-1}
colorspaces:
  - !<ColorSpace>
    name: ACES2065-1
  - !<ColorSpace>
    name: ACEScg
    to_scene_reference: !<BuiltinTransform> {style: ACEScg_to_ACES2065-1}
"""

# Scene-referred XYZ D65 as the reference, Linear Rec.709 defined by its RGB -> XYZ matrix.
XYZ_CONFIG = """ocio_profile_version: 2
roles:
  default: Linear CIE-XYZ D65
  scene_linear: Linear Rec.709
file_rules:
  - !<Rule> {name: Default, colorspace: default}
displays:
  sRGB:
    - !<View> {name: Raw, colorspace: Linear Rec.709}
colorspaces:
  - !<ColorSpace>
    name: Linear CIE-XYZ D65
  - !<ColorSpace>
    name: Linear Rec.709
    to_scene_reference: !<MatrixTransform>
      matrix: [0.4124, 0.3576, 0.1805, 0, 0.2126, 0.7152, 0.0722, 0, 0.0193, 0.1192, 0.9505, 0, 0, 0, 0, 1]
"""


@pytest.fixture(scope="module")
def cm() -> ColourManager:
    return ColourManager(STUDIO_CONFIG)


def _rgb(values) -> np.ndarray:
    return np.repeat(np.asarray(values, dtype=np.float32)[:, None], 3, axis=1)


def _assert_close_per_pixel(actual: np.ndarray, desired: np.ndarray, rtol: float, atol: float) -> None:
    """Error relative to each pixel's largest channel: a float32 matrix mixes channels, so a small
    channel next to a large one carries the large one's rounding."""
    error = np.abs(actual.astype(np.float64) - desired).max(axis=-1)
    scale = np.abs(desired.astype(np.float64)).max(axis=-1)
    assert (error <= atol + rtol * scale).all(), f"max error {error.max():.3g}"


# Config choice and loading


@pytest.mark.parametrize(
    ("explicit", "environ", "expected"),
    [
        ("/a/config.ocio", {"OCIO": "/b/config.ocio"}, ConfigChoice("/a/config.ocio", "--ocio")),
        (None, {"OCIO": "/b/config.ocio"}, ConfigChoice("/b/config.ocio", "$OCIO")),
        ("", {"OCIO": "/b/config.ocio"}, ConfigChoice("/b/config.ocio", "$OCIO")),
        (None, {}, ConfigChoice(STUDIO_CONFIG, "built-in studio config")),
        (None, {"OCIO": "  "}, ConfigChoice(STUDIO_CONFIG, "built-in studio config")),
    ],
)
def test_choose_config_order(explicit, environ, expected):
    assert choose_config(explicit, environ) == expected


def test_ocio_from_environment(tmp_path):
    path = tmp_path / "tiny.ocio"
    path.write_text(TINY_CONFIG)
    cm = ColourManager(environ={"OCIO": str(path)})
    assert cm.choice == ConfigChoice(str(path), "$OCIO")
    assert cm.working_space == "linear"


def test_missing_config_names_the_path(tmp_path):
    missing = tmp_path / "nowhere" / "config.ocio"
    with pytest.raises(ColourError) as info:
        ColourManager(str(missing), environ={"OCIO": STUDIO_CONFIG})
    assert str(missing) in str(info.value)
    assert "--ocio" in str(info.value)


def test_unparsable_config_names_path_and_ocio_message(tmp_path):
    path = tmp_path / "broken.ocio"
    path.write_text("ocio_profile_version: 2\nroles: [\n")
    with pytest.raises(ColourError) as info:
        ColourManager(str(path))
    assert str(path) in str(info.value)
    assert "yaml" in str(info.value).lower()


def test_inline_config():
    cm = ColourManager(ocio.Config.CreateFromStream(TINY_CONFIG))
    assert cm.working_space == "linear"
    assert cm.choice.reason == "in-memory config"
    assert cm.resolve("lin") == "linear"
    assert cm.colorspace_names() == ["linear", "gamma22"]
    out = cm.from_working(_rgb([0.5]), "gamma22")
    np.testing.assert_allclose(out, 0.5 ** (1 / 2.2), rtol=1e-6)
    np.testing.assert_allclose(cm.to_working(out, "gamma22"), 0.5, rtol=1e-6)


def test_config_without_scene_linear():
    config = ocio.Config.CreateFromStream(TINY_CONFIG.replace("  scene_linear: linear\n", ""))
    with pytest.raises(ColourError, match="scene_linear"):
        ColourManager(config)


def test_studio_config(cm):
    assert cm.choice == ConfigChoice(STUDIO_CONFIG, "--ocio")
    assert cm.name.startswith("studio-config")
    assert cm.working_space == "ACEScg"
    assert {"ACEScg", "ACEScct", "ADX10", SRGB, "Raw"} <= set(cm.colorspace_names())


# Names


@pytest.mark.parametrize(
    ("name", "canonical"),
    [
        ("ACEScg", "ACEScg"),
        ("acescg", "ACEScg"),
        ("lin_ap1_scene", "ACEScg"),
        ("ACES - ACEScg", "ACEScg"),
        ("scene_linear", "ACEScg"),
        ("srgb_rec709_scene", SRGB),
        ("sRGB - Texture", SRGB),
        ("lin_rec709_scene", LIN_709),
        ("lin_srgb", LIN_709),
        ("lin_ap0_scene", "ACES2065-1"),
        ("data", "Raw"),
        ("ocio:acescct_ap1_scene", "ACEScct"),
        ("acescct_ap1_scene", "ACEScct"),
        ("adx10_apd_scene", "ADX10"),
    ],
)
def test_resolve(cm, name, canonical):
    assert cm.resolve(name) == canonical


def test_resolve_unknown_suggests(cm):
    with pytest.raises(ColourError) as info:
        cm.resolve("ACEScgg")
    error = info.value
    assert error.found == "'ACEScgg'"
    assert cm.name in error.expected
    assert "'ACEScg'" in error.repair
    assert "tinct info --colorspaces" in error.repair
    assert error.repair.count("'") <= 2 * 8


def test_resolve_garbage_still_points_to_the_list(cm):
    with pytest.raises(ColourError) as info:
        cm.resolve("zzqx")
    assert "tinct info --colorspaces" in info.value.repair


def test_interop_id(cm):
    assert cm.interop_id("ACEScg") == "lin_ap1_scene"
    assert cm.interop_id("lin_srgb") == "lin_rec709_scene"
    assert cm.interop_id("Raw") == "data"


# Source colour space


@pytest.mark.parametrize(
    ("explicit", "file_attr", "is_float", "space", "reason"),
    [
        ("ACEScct", "lin_ap1_scene", True, "ACEScct", "from --source-colorspace"),
        (None, "lin_ap1_scene", False, "ACEScg", "from the file's oiio:ColorSpace 'lin_ap1_scene'"),
        (None, "srgb_rec709_scene", True, SRGB, "from the file's oiio:ColorSpace 'srgb_rec709_scene'"),
        (None, None, True, "ACEScg", "role scene_linear (float file without colour metadata)"),
        (None, "", False, SRGB, "sRGB (integer file without colour metadata)"),
    ],
)
def test_source_space(cm, explicit, file_attr, is_float, space, reason):
    assert cm.source_space(explicit, file_attr, is_float) == (space, reason)


@pytest.mark.parametrize(("is_float", "space"), [(True, "ACEScg"), (False, SRGB)])
def test_source_space_ignores_junk_file_attribute(cm, is_float, space):
    chosen, reason = cm.source_space(None, "KodakLog v3", is_float)
    assert chosen == space
    assert "'KodakLog v3'" in reason and "ignored" in reason


def test_source_space_explicit_unknown_is_an_error(cm):
    with pytest.raises(ColourError, match="Unknown colour space"):
        cm.source_space("ACEScgg", "lin_ap1_scene", True)


# Conversions


@pytest.mark.parametrize(
    ("space", "low", "high", "atol"),
    [
        ("ACEScg", -0.5, 100.0, 0.0),
        (LIN_709, -0.5, 100.0, 0.0),
        ("ACEScct", 0.0, 1.4, 1e-6),
        (SRGB, 0.0, 1.0, 5e-6),
        # ADX inverts a 1D LUT; meaningful scan code values keep clear of the ends.
        ("ADX10", 0.05, 0.95, 5e-5),
    ],
)
def test_round_trip_through_working(cm, space, low, high, atol):
    rgb = np.random.default_rng(7).uniform(low, high, (64, 64, 3)).astype(np.float32)
    back = cm.from_working(cm.to_working(rgb, space), space)
    assert back.shape == rgb.shape and back.dtype == np.float32
    _assert_close_per_pixel(back, rgb, rtol=1e-6, atol=atol)


def test_out_of_range_values_survive_linear_conversions(cm):
    rgb = np.array([[-0.25, 1.5, 1000.0], [-1e-3, 0.0, 64.0], [3.0, -2.0, 0.5]], dtype=np.float32)
    np.testing.assert_array_equal(cm.convert(rgb, "ACEScg", "lin_ap1_scene"), rgb)
    via_709 = cm.convert(rgb, "ACEScg", LIN_709)
    assert (via_709 < 0).any() and (via_709 > 1).any()
    _assert_close_per_pixel(cm.convert(via_709, LIN_709, "ACEScg"), rgb, rtol=1e-5, atol=0.0)


def test_known_values(cm):
    assert cm.model_encoding() == SRGB
    encoded = cm.to_model(_rgb([0.18, 10.0, 0.0]))
    np.testing.assert_allclose(encoded[:, 0], [0.46136, 2.6987, 0.0], atol=1e-4)
    np.testing.assert_allclose(cm.from_model(encoded), _rgb([0.18, 10.0, 0.0]), rtol=1e-5, atol=1e-6)
    saturated = cm.to_model(np.array([0.0, 0.0, 1.0], dtype=np.float32))
    assert saturated.min() < 0  # out of Rec.709 gamut: unclamped


def test_data_space_passes_through(cm):
    rgb = np.array([[-1.0, 0.5, 7.0]], dtype=np.float32)
    assert cm.is_data("Raw") and cm.is_data("data") and not cm.is_data("ACEScg")
    np.testing.assert_array_equal(cm.convert(rgb, "Raw", "ACEScg"), rgb)
    np.testing.assert_array_equal(cm.convert(rgb, "ACEScg", "data"), rgb)


def test_convert_accepts_any_layout_and_leaves_input_untouched(cm):
    base = np.random.default_rng(3).uniform(0, 2, (8, 10, 3))  # float64
    for rgb in (base, base[:, ::2], np.asfortranarray(base), base.astype(np.float16), base.tolist()):
        before = np.array(rgb, copy=True)
        out = cm.convert(rgb, "ACEScg", SRGB)
        assert out.dtype == np.float32 and out.flags.c_contiguous and out.shape == before.shape
        np.testing.assert_array_equal(np.asarray(rgb), before)
        reference = cm.convert(np.ascontiguousarray(before, dtype=np.float32), "ACEScg", SRGB)
        np.testing.assert_array_equal(out, reference)


def test_identity_returns_a_copy(cm):
    rgb = np.ones((2, 3), dtype=np.float32)
    out = cm.convert(rgb, "ACEScg", "scene_linear")
    out[:] = 0
    assert rgb.min() == 1


def test_convert_edge_shapes(cm):
    assert cm.convert(np.zeros((0, 3), np.float32), "ACEScg", SRGB).shape == (0, 3)
    with pytest.raises(ValueError, match=r"\(\.\.\., 3\)"):
        cm.convert(np.zeros((4, 4), np.float32), "ACEScg", SRGB)


def test_convert_unknown_space(cm):
    with pytest.raises(ColourError, match="Unknown colour space"):
        cm.convert(np.zeros((1, 3), np.float32), "ACEScg", "nope")


def test_concurrent_conversions_match_serial():
    cm = ColourManager(STUDIO_CONFIG)
    rgb = np.random.default_rng(5).uniform(0, 4, (128, 128, 3)).astype(np.float32)
    pairs = [("ACEScg", SRGB), ("ACEScg", "ACEScct"), (LIN_709, "ADX10"), ("ACEScct", SRGB)]
    results: dict[int, np.ndarray] = {}

    def work(i: int) -> None:
        results[i] = cm.convert(rgb, *pairs[i % len(pairs)])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for i, out in results.items():
        np.testing.assert_array_equal(out, cm.convert(rgb, *pairs[i % len(pairs)]))
    assert len(results) == 16


# Luminance


def test_luminance_weights_rec709(cm):
    np.testing.assert_allclose(cm.luminance_weights(LIN_709), [0.2126, 0.7152, 0.0722], atol=2e-4)


def test_luminance_weights_acescg(cm):
    weights = cm.luminance_weights()
    assert weights.shape == (3,) and weights.dtype == np.float64
    # Y of XYZ D65 (Bradford from ACES' D60 white, as the config's displays see it); the D60-white
    # textbook row [0.2722, 0.6741, 0.0537] differs only by that adaptation.
    np.testing.assert_allclose(weights, [0.26767, 0.67434, 0.05799], atol=1e-4)
    np.testing.assert_allclose(weights, [0.2722, 0.6741, 0.0537], atol=5e-3)
    np.testing.assert_array_equal(weights, cm.luminance_weights("lin_ap1_scene"))


@pytest.mark.parametrize("space", ["ACEScg", LIN_709, "ACES2065-1", "Linear P3-D65", "Linear Rec.2020"])
def test_luminance_weights_sum_to_one(cm, space):
    assert cm.luminance_weights(space).sum() == pytest.approx(1.0, abs=1e-9)


def test_luminance_is_a_property_of_the_colour(cm):
    working = np.random.default_rng(11).uniform(0, 3, (100, 3)).astype(np.float32)
    rec709 = cm.convert(working, "ACEScg", LIN_709)
    np.testing.assert_allclose(
        working @ cm.luminance_weights(), rec709 @ cm.luminance_weights(LIN_709), rtol=1e-5, atol=1e-6
    )


def test_luminance_weights_from_aces_interchange_only():
    cm = ColourManager(ocio.Config.CreateFromStream(ACES_ONLY_CONFIG))
    studio = ColourManager(STUDIO_CONFIG)
    np.testing.assert_allclose(cm.luminance_weights(), studio.luminance_weights(), atol=1e-6)


def test_luminance_weights_from_scene_referred_xyz():
    cm = ColourManager(ocio.Config.CreateFromStream(XYZ_CONFIG))
    np.testing.assert_allclose(cm.luminance_weights(), [0.2126, 0.7152, 0.0722], atol=1e-6)


def test_luminance_weights_skip_a_tone_mapped_xyz_path():
    config = ocio.Config.CreateFromFile(STUDIO_CONFIG)
    config.setDefaultViewTransformName("ACES 2.0 - SDR 100 nits (Rec.709)")
    cm = ColourManager(config)
    xyz = cm.convert(_rgb([0.09, 0.18, 0.36]), "ACEScg", "cie_xyz_d65_interchange")[:, 1]
    assert not np.allclose(xyz[1:], 2 * xyz[:-1], rtol=1e-3)  # the display path is not linear
    reference = ColourManager(STUDIO_CONFIG).luminance_weights()
    np.testing.assert_allclose(cm.luminance_weights(), reference, atol=1e-6)


def test_luminance_weights_fall_back_to_config_luma():
    cm = ColourManager(ocio.Config.CreateFromStream(TINY_CONFIG))
    np.testing.assert_allclose(cm.luminance_weights(), [0.3, 0.6, 0.1])


@pytest.mark.parametrize("space", ["ACEScct", SRGB, "Raw"])
def test_luminance_weights_refuse_non_linear_spaces(cm, space):
    with pytest.raises(ColourError, match="scene-linear"):
        cm.luminance_weights(space)
