"""AutoColorizer: the bundled model loads and verifies, luminance is kept exactly, chroma is sane."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from tinct.core.chroma import apply_chroma, luminance
from tinct.core.colour import ColourManager
from tinct.models.autocolor import DEFAULT_MODEL, AutoColorizer, fast_guided_upsample
from tinct.models.catalog import colorize_descriptors, default_registry
from tinct.models.errors import ModelError
from tinct.models.registry import BUNDLED_DIR, ModelDescriptor, Registry
from tinct.models.weights import sha256_file


@pytest.fixture(scope="module")
def cm() -> ColourManager:
    return ColourManager()


@pytest.fixture(scope="module")
def colorizer() -> AutoColorizer:
    return AutoColorizer(device="cpu")


def textured_luminance(height: int = 48, width: int = 64) -> np.ndarray:
    """Scene-linear luminance with a gradient, texture, black pixels and highlights above 1."""
    rng = np.random.default_rng(3)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    y = 0.02 + 0.6 * xx / width * (1.0 + 0.3 * np.sin(yy / 3.0)) + 0.05 * rng.random((height, width))
    y[:4, :4] = 0.0
    y[-6:, -6:] = 4.0
    return y.astype(np.float32)


def test_bundled_weights_are_registered_and_pass_their_checksum() -> None:
    registry = default_registry()
    descriptor = registry.get(DEFAULT_MODEL)
    assert descriptor in colorize_descriptors() and descriptor.bundled
    path = registry.verify(DEFAULT_MODEL)
    assert path == BUNDLED_DIR / descriptor.weights and sha256_file(path) == descriptor.sha256
    assert path.stat().st_size < 4 * 2**20
    loaded = registry.load(DEFAULT_MODEL)
    assert (loaded.network.num_in_ch, loaded.network.num_out_ch, loaded.network.scale) == (1, 2, 1)


def test_output_luminance_equals_input_luminance(colorizer: AutoColorizer, cm: ColourManager) -> None:
    y = textured_luminance()
    weights = cm.luminance_weights()
    ratio = colorizer.chroma(y, cm)
    assert ratio.shape == (48, 64, 3) and ratio.dtype == np.float32 and np.isfinite(ratio).all()
    rgb = apply_chroma(y, ratio, weights)
    out = luminance(rgb, weights)
    lit = y > 0
    assert np.max(np.abs(out[lit] - y[lit]) / y[lit]) < 1e-4
    assert np.all(out[~lit] == 0.0)
    np.testing.assert_allclose(out[-1, -1], 4.0, rtol=1e-4)  # a highlight keeps its value
    assert np.all(ratio >= 0.0)
    np.testing.assert_allclose(ratio[0, 0], 1.0)  # black pixels carry no chroma
    assert np.ptp(ratio[8:40, 8:56], axis=(0, 1)).max() > 1e-3  # it does colour something


def test_chroma_is_deterministic(colorizer: AutoColorizer, cm: ColourManager) -> None:
    y = textured_luminance()
    np.testing.assert_array_equal(colorizer.chroma(y, cm), colorizer.chroma(y, cm))


def test_lower_temperature_gives_more_colour(cm: ColourManager) -> None:
    y = textured_luminance()
    spread = []
    for t in (1.0, 0.2):
        ratio = AutoColorizer(device="cpu", temperature=t).chroma(y, cm)
        spread.append(float(np.abs(ratio - 1.0).mean()))
    assert spread[1] > spread[0]


def test_vibrance_goes_from_grey_to_full_colour(cm: ColourManager) -> None:
    y = textured_luminance()
    spread = [
        float(np.abs(AutoColorizer(device="cpu", vibrance=v).chroma(y, cm) - 1.0).mean()) for v in (0.0, 0.5, 1.0)
    ]
    assert spread[0] < 1e-6 < spread[1] < spread[2]
    with pytest.raises(ModelError, match="Invalid colouriser settings"):
        AutoColorizer(device="cpu", vibrance=1.5)


def test_confidence_is_a_full_size_map_in_the_unit_range(colorizer: AutoColorizer, cm: ColourManager) -> None:
    y = textured_luminance()
    ratio, confidence = colorizer.colour(y, cm)
    np.testing.assert_array_equal(ratio, colorizer.chroma(y, cm))
    assert confidence.shape == y.shape and confidence.dtype == np.float32
    assert 0.0 <= confidence.min() and confidence.max() <= 1.0 and np.ptp(confidence) > 0.0


@pytest.mark.parametrize("bad", [np.zeros((4, 4, 3), np.float32), np.full((4, 4), np.nan, np.float32)])
def test_bad_luminance_is_refused(colorizer: AutoColorizer, cm: ColourManager, bad: np.ndarray) -> None:
    with pytest.raises(ModelError):
        colorizer.chroma(bad, cm)


def test_a_model_that_is_not_a_colouriser_is_refused(tmp_path: Path) -> None:
    registry = Registry(
        [
            ModelDescriptor(
                name="sr",
                architecture="SRVGGNetCompact",
                arch_params={"num_feat": 4, "num_conv": 1, "upscale": 2},
                task="super-resolution",
                scale=2,
                in_channels=3,
                out_channels=3,
                size_multiple=1,
                dtypes=("float32",),
                colour_encoding="sRGB",
                value_range=(0.0, 1.0),
                licence="MIT",
                weights="sr.safetensors",
                sha256="0" * 64,
                source="none",
            )
        ]
    )
    with pytest.raises(ModelError, match="not an automatic colouriser"):
        AutoColorizer("sr", "cpu", registry=registry)


def test_guided_upsampling_puts_colour_edges_on_luminance_edges() -> None:
    guide = np.zeros((64, 64), np.float32)
    guide[:, 37:] = 0.8  # an edge between low-resolution pixels
    small_guide = torch.nn.functional.avg_pool2d(torch.from_numpy(guide)[None, None], 4)[0, 0].numpy()
    small = np.where(small_guide > 0.4, 30.0, -20.0).astype(np.float32)[..., None]
    out = fast_guided_upsample(small_guide, small, guide, 1, 1e-3)[..., 0]
    np.testing.assert_allclose(out[:, :32], -20.0, atol=1.0)
    np.testing.assert_allclose(out[:, 44:], 30.0, atol=1.0)
    # The step lands between columns 36 and 37 as in the guide; a bilinear upsample spreads it over 5.
    assert np.all(out[:, 37] - out[:, 36] > 40.0)
    assert np.all(np.abs(np.diff(out[:, 30:36], axis=1)) < 5.0) and np.all(np.abs(np.diff(out[:, 37:44], axis=1)) < 5.0)


def test_half_precision_network_agrees_with_float32() -> None:
    registry = default_registry()
    x = torch.rand(1, 1, 48, 64, generator=torch.Generator().manual_seed(0))
    with torch.inference_mode():
        full = registry.load(DEFAULT_MODEL).network(x)
        half = registry.load(DEFAULT_MODEL, dtype=torch.float16).network(x.half())
    assert half.dtype == torch.float16
    assert float((half.float() - full).abs().max()) < 1.0  # CIELab units: invisible


class OrangeColouriser(torch.nn.Module):
    """Stands in for an imported colouriser (grey in, sRGB-encoded RGB out): everything orange."""

    def forward(self, grey: torch.Tensor) -> torch.Tensor:
        colour = torch.tensor([0.9, 0.5, 0.1], dtype=grey.dtype).view(1, 3, 1, 1)
        return colour.expand(grey.shape[0], 3, grey.shape[2], grey.shape[3])


def test_a_colouriser_answering_rgb_gives_its_hue_at_the_source_luminance() -> None:
    from tinct.core.chroma import apply_chroma
    from tinct.core.colour import ColourManager

    cm = ColourManager()
    colorizer = AutoColorizer(device="cpu")
    colorizer.network = OrangeColouriser()  # the path imported (spandrel) colourisers take
    y = np.random.default_rng(1).uniform(0.05, 0.6, (48, 64)).astype(np.float32)
    weights = cm.luminance_weights()
    rgb = apply_chroma(y, colorizer.chroma(y, cm), weights)
    np.testing.assert_allclose(rgb @ weights, y, rtol=1e-4)
    display = cm.convert(rgb, cm.working_space, "sRGB Encoded Rec.709 (sRGB)")
    assert (display[..., 0] > display[..., 1]).mean() > 0.95 and (display[..., 1] > display[..., 2]).mean() > 0.95
