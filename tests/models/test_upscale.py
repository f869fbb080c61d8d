"""Scene-linear super-resolution: the network's answer in range, highlights and negatives kept."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tinct.core.colour import ColourManager
from tinct.models.architectures import SRVGGNetCompact
from tinct.models.errors import ModelError
from tinct.models.registry import SRGB_ENCODING, LoadedModel, ModelDescriptor
from tinct.models.tiling import Tiling
from tinct.models.upscale import ModelUpscaler

CM = ColourManager()


def loaded(network: torch.nn.Module, scale: int = 2) -> LoadedModel:
    descriptor = ModelDescriptor(
        name="test",
        architecture="SRVGGNetCompact",
        arch_params={"upscale": scale},
        task="super-resolution",
        scale=scale,
        in_channels=3,
        out_channels=3,
        size_multiple=1,
        dtypes=("float32",),
        colour_encoding=SRGB_ENCODING,
        value_range=(0.0, 1.0),
        licence="BSD-3-Clause",
        weights="test.safetensors",
        sha256="0" * 64,
        source="made by the test",
    )
    return LoadedModel(descriptor, network.eval(), torch.device("cpu"), torch.float32)


def frame(rng: np.random.Generator, height: int = 24, width: int = 32) -> np.ndarray:
    """ACEScg mid-tones well inside sRGB's gamut and display range."""
    grey = 0.05 + 0.4 * rng.random((height, width, 1), dtype=np.float32)
    tint = 1.0 + 0.3 * (rng.random((height, width, 3), dtype=np.float32) - 0.5)
    return grey * tint


def test_in_range_output_is_the_decoded_network_answer() -> None:
    torch.manual_seed(0)
    network = SRVGGNetCompact(num_feat=8, num_conv=2, upscale=2)
    linear = frame(np.random.default_rng(0))
    encoded = CM.to_model(linear)
    assert encoded.min() > 0 and encoded.max() < 1
    with torch.no_grad():
        raw = network(torch.from_numpy(encoded).permute(2, 0, 1)[None])[0].permute(1, 2, 0).numpy()
    expected = CM.from_model(np.clip(raw, 0, 1))
    result = ModelUpscaler(loaded(network), CM.to_model, CM.from_model, tiling=Tiling(tile=16, overlap=4, context=8))(
        linear
    )
    assert result.shape == (48, 64, 3) and result.dtype == np.float32
    np.testing.assert_allclose(result, expected, rtol=0, atol=1e-5)


def test_highlights_and_negatives_survive() -> None:
    linear = np.full((24, 32, 3), 0.18, np.float32)
    linear[4:12, 4:14] = [10.0, 8.0, 12.0]  # far above display white
    linear[14:22, 18:28] = [0.1, -0.05, 0.2]  # out of sRGB's gamut: a negative channel
    upscaler = ModelUpscaler(loaded(torch.nn.Upsample(scale_factor=2)), CM.to_model, CM.from_model)
    result = upscaler(linear)
    np.testing.assert_allclose(result[10:22, 10:26], np.broadcast_to([10.0, 8.0, 12.0], (12, 16, 3)), rtol=1e-5)
    np.testing.assert_allclose(result[30:42, 38:54], np.broadcast_to([0.1, -0.05, 0.2], (12, 16, 3)), rtol=0, atol=1e-5)
    np.testing.assert_allclose(result[:6, -8:], 0.18, atol=1e-5)  # untouched surroundings


def test_no_dark_halo_around_a_highlight() -> None:
    linear = np.full((24, 24, 3), 0.02, np.float32)
    linear[8:16, 8:16] = 20.0
    result = ModelUpscaler(loaded(torch.nn.Upsample(scale_factor=4), scale=4), CM.to_model, CM.from_model)(linear)
    assert result.min() >= 0.02 - 1e-5  # a ringing resize of the excess would dig below the dark level
    assert result.max() <= 20.0 * (1 + 1e-5)


def test_the_frame_must_be_rgb() -> None:
    upscaler = ModelUpscaler(loaded(torch.nn.Upsample(scale_factor=2)), CM.to_model, CM.from_model)
    with pytest.raises(ModelError, match=r"expected: an \(H, W, 3\) array"):
        upscaler(np.zeros((8, 8, 4), np.float32))
