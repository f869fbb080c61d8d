"""ReferenceColorizer: colour by texture correspondence with a reference photograph (tiny images)."""

from __future__ import annotations

import numpy as np
import pytest

from tinct.core.chroma import apply_chroma, luminance
from tinct.core.colour import ColourManager
from tinct.core.errors import ImageFileError, ParameterError
from tinct.core.reference import ReferenceColorizer, colourfulness

CM = ColourManager()
W = CM.luminance_weights()
# Two ACEScg colours, normalised to unit luminance: a warm red and a green.
RED = np.array([0.9, 0.25, 0.1]) / (np.array([0.9, 0.25, 0.1]) @ W)
GREEN = np.array([0.12, 0.6, 0.15]) / (np.array([0.12, 0.6, 0.15]) @ W)


def stripes(height: int, width: int) -> np.ndarray:
    """Fine, high-contrast vertical stripes (period 4 px), linear luminance around 0.2."""
    xx = np.arange(width)[None, :].repeat(height, 0)
    return np.where(xx % 4 < 2, 0.05, 0.35).astype(np.float32)


def smooth(height: int, width: int, seed: int) -> np.ndarray:
    """A slow, faintly noisy diagonal ramp over the stripes' luminance range (0.05 to 0.35): the
    same pixel values as the stripes, so only texture tells the two apart."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width]
    ramp = 0.05 + 0.3 * (xx + yy) / (width + height - 2)
    return (ramp + 0.005 * rng.random((height, width))).astype(np.float32)


def coloured(y: np.ndarray, colour: np.ndarray) -> np.ndarray:
    return (y[..., None] * colour).astype(np.float32)


def reference_image(mirror: bool = False) -> np.ndarray:
    """80 x 60: smooth texture in red across the top, stripes in green below (the target has them side by side)."""
    top = coloured(smooth(30, 80, seed=1), RED)
    bottom = coloured(stripes(30, 80), GREEN)
    image = np.concatenate([top, bottom], axis=0)
    return image[:, ::-1].copy() if mirror else image


def target_luminance() -> np.ndarray:
    """64 x 48: stripes on the left, smooth texture on the right."""
    return np.concatenate([stripes(48, 32), smooth(48, 32, seed=2)], axis=1)


def hue_share(ratio: np.ndarray) -> np.ndarray:
    """Per pixel, green minus red chroma: > 0 green, < 0 red."""
    return ratio[..., 1] - ratio[..., 0]


@pytest.mark.parametrize("mirror", [False, True])
def test_each_texture_takes_the_colour_it_has_in_the_reference(mirror: bool) -> None:
    colorizer = ReferenceColorizer(reference_image(mirror), CM)
    ratio, confidence = colorizer.chroma(target_luminance())
    assert ratio.shape == (48, 64, 3) and ratio.dtype == np.float32
    assert confidence.shape == (48, 64) and confidence.dtype == np.float32
    # Away from the seam between the textures (a few pixels either side of x = 32).
    stripes_side, smooth_side = ratio[4:-4, 2:24], ratio[4:-4, 40:62]
    assert np.mean(hue_share(stripes_side) > 0.3) > 0.95, "stripes should be green"
    assert np.mean(hue_share(smooth_side) < -0.3) > 0.95, "smooth region should be red"
    # Closer to the true colours than the reference's mean colour would be.
    mean_colour = 0.5 * (RED + GREEN)
    for region, truth in ((stripes_side, GREEN), (smooth_side, RED)):
        error = np.linalg.norm(region - truth, axis=-1).mean()
        assert error < 0.5 * np.linalg.norm(mean_colour - truth)


def test_only_the_needed_pixels_are_matched() -> None:
    colorizer = ReferenceColorizer(reference_image(), CM)
    y = target_luminance()
    whole, _ = colorizer.chroma(y)
    assert np.array_equal(colorizer.chroma(y, np.ones(y.shape, bool))[0], whole)
    needed = np.zeros(y.shape, bool)
    needed[:, 40:] = True  # the smooth side only
    part, _ = colorizer.chroma(y, needed)
    assert np.mean(hue_share(part[4:-4, 44:62]) < -0.3) > 0.95, "the matched smooth side is still red"
    # Unmatched pixels get only what spreads to them or the reference's mean colour at their
    # luminance: the stripes are much less green than when matched.
    assert np.mean(hue_share(part[4:-4, 2:24])) < 0.6 * np.mean(hue_share(whole[4:-4, 2:24]))


def test_luminance_is_kept_exactly_and_outputs_are_in_range() -> None:
    y = target_luminance() * np.linspace(0.5, 8.0, 64, dtype=np.float32)[None, :]  # values above 1 too
    ratio, confidence = ReferenceColorizer(reference_image(), CM).chroma(y)
    assert np.isfinite(ratio).all()
    assert 0.0 <= confidence.min() and confidence.max() <= 1.0
    rgb = apply_chroma(y, ratio, W)
    np.testing.assert_allclose(luminance(rgb, W), y, rtol=2e-6, atol=1e-9)


def test_confidence_is_higher_where_the_texture_exists_in_the_reference() -> None:
    # A third texture (a steep ramp) absent from the reference matches worse.
    y = target_luminance()
    y[:, 24:40] = np.linspace(0.0, 2.0, 16, dtype=np.float32)[None, :] ** 2
    _, confidence = ReferenceColorizer(reference_image(), CM).chroma(y)
    assert confidence[4:-4, 26:38].mean() < 0.7 * confidence[4:-4, 2:20].mean()


def test_monochrome_reference_is_refused_with_file_and_value() -> None:
    grey = np.repeat(smooth(60, 80, seed=3)[..., None], 3, axis=2)
    with pytest.raises(ImageFileError) as caught:
        ReferenceColorizer(grey, CM, source="/plates/period_photo.jpg")
    message = str(caught.value)
    assert "monochrome" in message and "/plates/period_photo.jpg" in message
    assert "colourfulness 0.00" in message and "repair" in message


def test_same_inputs_give_identical_outputs() -> None:
    y = target_luminance()
    first = ReferenceColorizer(reference_image(), CM).chroma(y)
    colorizer = ReferenceColorizer(reference_image(), CM)
    second, third = colorizer.chroma(y), colorizer.chroma(y)
    for a, b in ((first, second), (second, third)):
        np.testing.assert_array_equal(a[0], b[0])
        np.testing.assert_array_equal(a[1], b[1])


@pytest.mark.parametrize(
    "reference", [np.zeros((60, 80), np.float32), np.zeros((60, 80, 4), np.float32), np.zeros((8, 80, 3), np.float32)]
)
def test_unusable_reference_shapes_are_refused(reference: np.ndarray) -> None:
    with pytest.raises(ParameterError, match="not a usable RGB image"):
        ReferenceColorizer(reference, CM)


def test_non_finite_inputs_are_refused() -> None:
    reference = reference_image()
    reference[3, 4, 1] = np.nan
    with pytest.raises(ParameterError, match="NaN"):
        ReferenceColorizer(reference, CM)
    y = target_luminance()
    y[0, 0] = np.inf
    with pytest.raises(ParameterError, match="NaN or infinite"):
        ReferenceColorizer(reference_image(), CM).chroma(y)
    with pytest.raises(ParameterError, match="luminance plane"):
        ReferenceColorizer(reference_image(), CM).chroma(np.zeros((48, 64, 3), np.float32))


def test_colourfulness_known_values() -> None:
    assert colourfulness(np.full((4, 4, 3), 0.5)) == 0.0
    # A flat pure red: rg = 255, yb = 127.5, no spread -> 0.3 * hypot(255, 127.5).
    red = np.zeros((4, 4, 3))
    red[..., 0] = 1.0
    assert colourfulness(red) == pytest.approx(0.3 * np.hypot(255.0, 127.5))
