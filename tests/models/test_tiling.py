"""Tiled inference equals untiled inference, for any frame size, tile and size multiple."""

from __future__ import annotations

import pytest
import torch

from tinct.models.architectures import RRDBNet, SRVGGNetCompact
from tinct.models.errors import ModelError
from tinct.models.tiling import Tiling, run_tiled


def untiled(network: torch.nn.Module, image: torch.Tensor, scale: int, size_multiple: int = 1) -> torch.Tensor:
    return run_tiled(network, image, scale=scale, tiling=Tiling(tile=4096), size_multiple=size_multiple)


def test_tiled_equals_untiled_for_a_conv_network() -> None:
    torch.manual_seed(0)
    # 6 convolutions of 3x3: a receptive radius of 6 input pixels, inside the context of 8.
    network = SRVGGNetCompact(num_feat=8, num_conv=4, upscale=2).eval()
    image = torch.rand(1, 3, 50, 71)
    whole = untiled(network, image, 2)
    tiled = run_tiled(network, image, scale=2, tiling=Tiling(tile=24, overlap=6, context=8))
    assert tiled.shape == (1, 3, 100, 142)
    assert float((tiled - whole).abs().max()) < 1e-5


def test_without_context_the_seams_are_blended_not_cut() -> None:
    torch.manual_seed(0)
    network = SRVGGNetCompact(num_feat=8, num_conv=4, upscale=2).eval()
    image = torch.rand(1, 3, 48, 48)
    whole = untiled(network, image, 2)
    cut = run_tiled(network, image, scale=2, tiling=Tiling(tile=24, overlap=0, context=0))
    blended = run_tiled(network, image, scale=2, tiling=Tiling(tile=24, overlap=12, context=0))
    # The hard cut's error sits on the seam; blending spreads a smaller one over the overlap.
    assert float((blended - whole).abs().max()) < 0.7 * float((cut - whole).abs().max())


def test_blend_weights_are_normalised() -> None:
    # A network with no spatial support: any tiling must reproduce it exactly.
    image = torch.rand(2, 3, 45, 61)
    nearest = torch.nn.Upsample(scale_factor=3, mode="nearest")
    tiled = run_tiled(nearest, image, scale=3, tiling=Tiling(tile=16, overlap=8, context=0))
    torch.testing.assert_close(tiled, nearest(image), rtol=0, atol=1e-6)


def test_size_multiple_is_padded_and_tiles_stay_on_the_grid() -> None:
    torch.manual_seed(0)
    # Scale 2 RRDBNet folds 2x2 pixels first: inputs must be even, and tiles must start on even pixels.
    # Without RRDB blocks its receptive radius is 6.5 input pixels, inside the context of 7 (-> 8).
    network = RRDBNet(num_feat=8, num_block=0, scale=2).eval()
    image = torch.rand(1, 3, 37, 51)
    whole = untiled(network, image, 2, size_multiple=2)
    assert whole.shape == (1, 3, 74, 102)
    tiled = run_tiled(network, image, scale=2, size_multiple=2, tiling=Tiling(tile=15, overlap=3, context=7))
    assert float((tiled - whole).abs().max()) < 1e-5


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(ModelError, match="overlap"):
        Tiling(tile=16, overlap=9)
    with pytest.raises(ModelError, match="non-empty"):
        run_tiled(torch.nn.Identity(), torch.zeros(3, 8, 8), scale=1)
    with pytest.raises(ModelError, match="unexpected size"):
        run_tiled(torch.nn.Identity(), torch.zeros(1, 3, 8, 8), scale=2)
