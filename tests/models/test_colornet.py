"""TinctColorNet: shapes, the ab classes, annealed-mean decoding, BatchNorm folding, its Lab maths."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tinct.models.architectures import ARCHITECTURES, build_network
from tinct.models.architectures.colornet import (
    TinctColorNet,
    ab_bins,
    fold_batchnorm,
    lab_to_linear,
    lightness,
    linear_to_lab,
    srgb_encode,
)

TINY = {"widths": "4,8,8,8"}


def test_shapes_and_registry_attributes() -> None:
    net = build_network("TinctColorNet", TINY, 1).eval()
    assert ARCHITECTURES["TinctColorNet"] is TinctColorNet
    assert (net.num_in_ch, net.num_out_ch, net.scale) == (1, 2, 1)
    x = torch.rand(2, 1, 32, 48)
    assert net.logits(x).shape == (2, 259, 8, 12)
    out = net(x)
    assert out.shape == (2, 2, 32, 48) and out.dtype == torch.float32


def test_sizes_that_are_not_multiples_of_16_are_refused() -> None:
    with pytest.raises(ValueError, match="multiples of 16"):
        TinctColorNet(**TINY).logits(torch.rand(1, 1, 24, 32))
    with pytest.raises(ValueError, match="1 channel to 2"):
        TinctColorNet(num_in_ch=3)


def test_ab_classes_are_the_in_gamut_grid_cells() -> None:
    centres = ab_bins(10.0)
    assert centres.shape == (259, 2) and np.all(centres % 10 == 0) and np.abs(centres).max() <= 110
    assert [0.0, 0.0] in centres.tolist()
    # sRGB blue sits near (79, -108): in gamut; (-110, 110) (saturated yellow-green beyond sRGB) is not.
    assert [80.0, -110.0] in centres.tolist() and [-110.0, 110.0] not in centres.tolist()


def test_annealed_mean_goes_from_the_mean_to_the_mode() -> None:
    net = TinctColorNet(**TINY)
    centres = net.bin_centres
    logits = torch.zeros(1, len(centres), 1, 1)
    assert torch.allclose(net.decode(logits, 1.0)[0, :, 0, 0], centres.mean(0), atol=1e-4)
    peak = int(torch.argmax(centres[:, 0] + centres[:, 1]))
    logits[0, peak] = 3.0
    cold = net.decode(logits, 0.05)[0, :, 0, 0]
    warm = net.decode(logits, 1.0)[0, :, 0, 0]
    assert torch.allclose(cold, centres[peak], atol=1e-3)
    assert torch.linalg.norm(warm - centres[peak]) > 10.0


def test_the_regression_head_mixes_into_the_answer() -> None:
    net = TinctColorNet(regression=1, mix=0.25, **TINY)
    logits = torch.zeros(1, len(net.bin_centres), 1, 1)
    regressed = torch.tensor([40.0, -20.0]).view(1, 2, 1, 1)
    annealed = net.decode(logits, 1.0, regressed, 0.0)
    mixed = net.decode(logits, 1.0, regressed)  # the network's own mix, 0.25
    assert torch.allclose(mixed, 0.75 * annealed + 0.25 * regressed, atol=1e-4)
    assert net.forward(torch.rand(1, 1, 32, 32)).shape == (1, 2, 32, 32)
    with pytest.raises(ValueError, match="needs the regression head"):
        TinctColorNet(mix=0.5, **TINY)


def test_certainty_is_high_for_one_hue_and_low_for_opposite_hues() -> None:
    net = TinctColorNet(**TINY)
    centres = net.bin_centres
    blue = int(torch.argmin(torch.linalg.norm(centres - torch.tensor([0.0, -50.0]), dim=1)))
    orange = int(torch.argmin(torch.linalg.norm(centres - torch.tensor([20.0, 50.0]), dim=1)))
    neutral = int(torch.argmin(torch.linalg.norm(centres, dim=1)))
    logits = torch.full((3, len(centres), 1, 1), -30.0)
    logits[0, blue] = 10.0  # sure: blue
    logits[1, blue] = logits[1, orange] = 10.0  # sky blue or sunset orange?
    logits[2, neutral] = 10.0  # sure: no colour
    sure, torn, grey = net.certainty(logits)[:, 0, 0].tolist()
    assert sure > 0.95 and grey > 0.95 and torn < 0.3


def test_batchnorm_folds_into_the_convs() -> None:
    torch.manual_seed(0)
    trained = TinctColorNet(batchnorm=1, regression=1, mix=0.5, **TINY).train()
    for _ in range(3):
        trained.logits(torch.rand(4, 1, 32, 32))
    for module in trained.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.weight.data.uniform_(0.5, 1.5)
            module.bias.data.normal_()
    trained.eval()
    folded = fold_batchnorm(trained).eval()
    assert not folded.batchnorm and all(not isinstance(m, torch.nn.BatchNorm2d) for m in folded.modules())
    x = torch.rand(2, 1, 32, 48)
    assert torch.allclose(folded.logits(x), trained.logits(x), atol=1e-4)
    assert torch.allclose(folded(x), trained(x), atol=1e-3)


def test_lab_known_values_and_round_trip() -> None:
    red = np.array([1.0, 0.0, 0.0], np.float32)  # linear = encoded for pure primaries
    np.testing.assert_allclose(linear_to_lab(red), [53.24, 80.09, 67.20], atol=0.05)
    np.testing.assert_allclose(linear_to_lab(np.ones(3, np.float32)), [100.0, 0.0, 0.0], atol=1e-3)
    rgb = np.random.default_rng(1).random((50, 3)).astype(np.float32)
    np.testing.assert_allclose(lab_to_linear(linear_to_lab(rgb)), rgb, atol=1e-5)
    np.testing.assert_allclose(lightness(np.float32(0.18)), 49.50, atol=0.01)
    np.testing.assert_allclose(srgb_encode(np.array([0.18, 2.0, -1.0])), [0.4614, 1.0, 0.0], atol=1e-4)
