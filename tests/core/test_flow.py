import cv2
import numpy as np

from tinct.core.flow import FlowEstimator, flow_guide, forward_backward_error, identity_grid, srgb_encode, warp


def textured(h: int = 64, w: int = 96, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return cv2.GaussianBlur((rng.random((h, w)) * 255).astype(np.uint8), (0, 0), 2.0)


def test_srgb_encode_known_values() -> None:
    np.testing.assert_allclose(srgb_encode(np.array([0.0, 0.18, 1.0], np.float32)), [0.0, 0.4614, 1.0], atol=1e-4)
    assert srgb_encode(np.array([-0.18], np.float32))[0] < 0  # odd-symmetric, never clipped


def test_flow_finds_a_translation_and_warp_undoes_it() -> None:
    ref = textured()
    target = np.roll(ref, 3, axis=1)  # target(x) = ref(x - 3)
    flow = FlowEstimator("medium")(target, ref)
    np.testing.assert_allclose(np.median(flow[..., 0]), -3.0, atol=0.3)
    warped = warp(ref.astype(np.float32), identity_grid(*ref.shape) + flow)
    assert np.abs(warped[8:-8, 8:-8] - target[8:-8, 8:-8]).mean() < 4.0


def test_flow_at_reduced_scale_is_in_full_size_pixels() -> None:
    ref = cv2.resize(textured(), (384, 256))
    target = np.roll(ref, 8, axis=1)
    flow = FlowEstimator("medium", max_side=192)(target, ref)
    assert flow.shape == (256, 384, 2)
    np.testing.assert_allclose(np.median(flow[..., 0]), -8.0, atol=0.8)


def test_forward_backward_error_is_zero_for_consistent_flow() -> None:
    flow = np.full((16, 16, 2), 2.0, np.float32)
    assert forward_backward_error(flow, -flow).max() < 1e-5
    assert forward_backward_error(flow, flow).min() > 5.0


def test_flow_guide_is_uint8_and_clamped() -> None:
    guide = flow_guide(np.array([[-1.0, 0.18, 40.0]], np.float32))
    assert guide.dtype == np.uint8 and guide.tolist() == [[0, 118, 255]]
