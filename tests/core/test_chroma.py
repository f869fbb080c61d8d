import numpy as np
import pytest

from tinct.core.chroma import apply_chroma, chroma_ratio, luminance

W = np.array([0.2722287168, 0.6740817658, 0.0536895174])


def test_ratio_of_a_colour_round_trips() -> None:
    rgb = np.array([[0.5, 0.2, 0.1], [2.0, 8.0, 0.3]], np.float32)  # includes values above 1
    out = apply_chroma(luminance(rgb, W), chroma_ratio(rgb, W, dark_offset=0.0), W)
    np.testing.assert_allclose(out, rgb, rtol=1e-5)


@pytest.mark.parametrize("ratio", [np.ones(3), np.array([3.0, 0.1, 0.2]), np.array([0.0, 0.0, 0.0])])
def test_luminance_is_exact_for_any_ratio(ratio: np.ndarray) -> None:
    y = np.array([0.0, 1e-4, 0.18, 25.0, -0.01], np.float32)
    out = apply_chroma(y, np.broadcast_to(ratio, (5, 3)).astype(np.float32), W)
    np.testing.assert_allclose(luminance(out, W), y, rtol=1e-6, atol=1e-9)


def test_neutral_ratio_leaves_a_grey_pixel_untouched() -> None:
    grey = np.full((4, 3), 0.37, np.float32)
    out = apply_chroma(luminance(grey, W).astype(np.float32), np.ones((4, 3), np.float32), W)
    np.testing.assert_allclose(out, grey, rtol=1e-6)


def test_ratio_is_exposure_invariant_and_neutral_where_dark() -> None:
    rgb = np.array([[0.4, 0.2, 0.05]], np.float32)
    np.testing.assert_allclose(chroma_ratio(rgb, W), chroma_ratio(rgb * 4, W), atol=0.01)
    np.testing.assert_allclose(chroma_ratio(np.array([[-0.2, 0.1, -0.3]], np.float32), W), [[1, 1, 1]])
