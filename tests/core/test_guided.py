import cv2
import numpy as np
import pytest

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


def _grid_resized_per_layer(
    guide: np.ndarray, values: np.ndarray, weights: np.ndarray, sigma_space: float, sigma_range: float
) -> tuple[np.ndarray, np.ndarray]:
    """The bilateral fill by its definition: every luminance layer of the grid brought to full size,
    and each pixel's two layers mixed by a hat function of its luminance."""
    h, w = guide.shape
    scale = min(1.0, 2.0 / sigma_space)
    size = (max(4, round(w * scale)), max(4, round(h * scale)))
    small_guide = cv2.resize(guide, size, interpolation=cv2.INTER_AREA)
    small_values = cv2.resize(values * weights[..., None], size, interpolation=cv2.INTER_AREA).reshape(
        size[1], size[0], -1
    )
    small_weights = cv2.resize(weights, size, interpolation=cv2.INTER_AREA)
    centres = np.linspace(0.0, 1.0, int(np.ceil(1.0 / sigma_range)) + 1, dtype=np.float32)
    num, den = np.zeros(values.shape, np.float32), np.zeros((h, w), np.float32)
    for centre in centres:
        membership = np.exp(-0.5 * ((small_guide - centre) / sigma_range) ** 2).astype(np.float32)
        layer_den = cv2.GaussianBlur(small_weights * membership, (0, 0), sigma_space * scale)
        layer_num = cv2.GaussianBlur(small_values * membership[..., None], (0, 0), sigma_space * scale)
        hat = np.clip(1.0 - np.abs(guide - centre) / (centres[1] - centres[0]), 0.0, 1.0)
        den += hat * cv2.resize(layer_den, (w, h), interpolation=cv2.INTER_LINEAR)
        num += hat[..., None] * cv2.resize(layer_num, (w, h), interpolation=cv2.INTER_LINEAR).reshape(h, w, -1)
    return num / np.maximum(den, 1e-6)[..., None], den


@pytest.mark.parametrize(
    ("height", "width", "sigma", "channels"), [(96, 160, 12.0, 3), (37, 53, 1.5, 1), (48, 64, 8.0, 5)]
)
def test_bilateral_fill_slices_its_grid_as_the_definition_does(
    height: int, width: int, sigma: float, channels: int
) -> None:
    rng = np.random.default_rng(3)
    guide = cv2.GaussianBlur(rng.random((height, width)).astype(np.float32), (0, 0), 2.0)
    guide = (guide - guide.min()) / (guide.max() - guide.min())  # the whole range, both ends included
    values = rng.random((height, width, channels)).astype(np.float32)
    weights = (rng.random((height, width)) > 0.6).astype(np.float32)
    out, gathered = bilateral_fill(guide, values, weights, sigma, 0.08)
    expected, expected_gathered = _grid_resized_per_layer(guide, values, weights, sigma, 0.08)
    np.testing.assert_allclose(gathered, expected_gathered, atol=1e-5)
    np.testing.assert_allclose(out, expected, atol=1e-4)


def test_guided_filter_of_a_constant_is_that_constant() -> None:
    rng = np.random.default_rng(0)
    guide = rng.random((20, 24)).astype(np.float32)
    values = np.full((20, 24, 3), 0.3, np.float32)
    out = weighted_guided_filter(guide, values, rng.random((20, 24)).astype(np.float32), 3, 1e-3)
    np.testing.assert_allclose(out, 0.3, atol=1e-5)
