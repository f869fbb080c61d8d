import numpy as np

from tinct.core.guided import bilateral_fill, push_pull_fill, weighted_guided_filter


def test_push_pull_keeps_confident_values_and_fills_a_hole() -> None:
    values = np.zeros((32, 32, 2), np.float32)
    values[..., 0], values[..., 1] = 0.25, 0.75
    weights = np.ones((32, 32), np.float32)
    weights[8:24, 8:24] = 0.0
    values[8:24, 8:24] = 99.0  # garbage under zero weight must not leak
    out = push_pull_fill(values, weights)
    np.testing.assert_allclose(out[..., 0], 0.25, atol=1e-5)
    np.testing.assert_allclose(out[..., 1], 0.75, atol=1e-5)


def test_bilateral_fill_takes_colour_from_its_own_side_of_an_edge() -> None:
    guide = np.zeros((32, 48), np.float32)
    guide[:, 24:] = 0.8  # a hard luminance edge
    values = np.zeros((32, 48, 2), np.float32)
    values[:, 24:] = 1.0
    weights = np.ones((32, 48), np.float32)
    weights[:, 16:32] = 0.0  # unsure band straddling the edge, holding the wrong colour
    values[:, 16:32] = 0.5
    out, gathered = bilateral_fill(guide, values, weights, sigma_space=8.0, sigma_range=0.1)
    assert np.abs(out[:, 16:24] - 0.0).max() < 0.02
    assert np.abs(out[:, 24:32] - 1.0).max() < 0.02
    assert gathered[:, 20].min() > 0.01 and gathered[:, 0].min() > gathered[:, 20].max()


def test_guided_filter_of_a_constant_is_that_constant() -> None:
    rng = np.random.default_rng(0)
    guide = rng.random((20, 24)).astype(np.float32)
    values = np.full((20, 24, 3), 0.3, np.float32)
    out = weighted_guided_filter(guide, values, rng.random((20, 24)).astype(np.float32), 3, 1e-3)
    np.testing.assert_allclose(out, 0.3, atol=1e-5)
