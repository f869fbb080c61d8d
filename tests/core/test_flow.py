import cv2
import numpy as np
import torch

from tinct.core.flow import (
    FlowEstimator,
    Motion,
    compose,
    flow_guide,
    forward_backward_error,
    identity_grid,
    inside,
    inside_points,
    magnitude,
    srgb_encode,
    warp,
)


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


def test_the_balanced_field_follows_fine_motion_under_grain_as_medium_does_and_refined_closer() -> None:
    # A smooth non-rigid motion of a few pixels over a fine texture, both frames grainy: the fast
    # field, found at a quarter of the size, misses it by over a pixel; balanced and medium by half;
    # refined (balanced, then refined at the full size) by about a tenth less than balanced.
    rng = np.random.default_rng(2)
    h, w = 96, 160
    ref = cv2.normalize(
        cv2.GaussianBlur(rng.random((h, w)).astype(np.float32), (0, 0), 1.5), None, 0, 1, cv2.NORM_MINMAX
    )
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    true = np.stack([2.0 * np.sin(2 * np.pi * yy / 48), 1.5 * np.cos(2 * np.pi * xx / 64)], axis=-1)
    target = warp(ref, identity_grid(h, w) + true)
    grainy = lambda x: (np.clip(x + 0.04 * rng.standard_normal(x.shape), 0, 1) * 255 + 0.5).astype(np.uint8)  # noqa: E731
    guides = grainy(target), grainy(ref)
    error = {
        q: np.linalg.norm(FlowEstimator(q)(*guides) - true, axis=-1)[8:-8, 8:-8].mean()
        for q in ("fast", "balanced", "refined", "medium")
    }
    assert error["fast"] > 1.0 and error["balanced"] < 0.6 and error["medium"] < 0.6, error
    assert error["refined"] < 0.95 * error["balanced"], error


def test_the_refined_field_is_the_same_on_reduced_guides_as_at_their_working_size() -> None:
    # Guides larger than the working size are reduced first: the refinement runs on the reduced
    # pair, so the field equals the one found on guides given at that size, scaled up.
    rng = np.random.default_rng(5)
    small = (cv2.GaussianBlur(rng.random((48, 80)).astype(np.float32), (0, 0), 1.0) * 255).astype(np.uint8)
    large = cv2.resize(small, (160, 96), interpolation=cv2.INTER_NEAREST)
    shifted = np.roll(large, 2, axis=1)
    reduced = FlowEstimator("refined", max_side=80)(large, shifted)
    at_size = FlowEstimator("refined", max_side=80)(
        cv2.resize(large, (80, 48), interpolation=cv2.INTER_AREA),
        cv2.resize(shifted, (80, 48), interpolation=cv2.INTER_AREA),
    )
    expected = cv2.resize(at_size, (160, 96), interpolation=cv2.INTER_LINEAR) * 2.0
    np.testing.assert_allclose(reduced, expected, atol=1e-5)


def test_forward_backward_error_is_zero_for_consistent_flow() -> None:
    flow = np.full((16, 16, 2), 2.0, np.float32)
    assert forward_backward_error(flow, -flow).max() < 1e-5
    assert forward_backward_error(flow, flow).min() > 5.0


def test_a_vectors_length_is_the_same_wherever_its_array_lies() -> None:
    # Chunked renders must equal whole ones bit for bit: a length may not depend on the array's
    # layout or address, only on the vectors.
    rng = np.random.default_rng(3)
    vectors = rng.normal(0.0, 2.0, (48, 64, 2)).astype(np.float32)
    length = magnitude(vectors)
    assert length.dtype == np.float32
    np.testing.assert_allclose(length, np.hypot(vectors[..., 0], vectors[..., 1]), rtol=2e-7)
    buffer = np.empty(vectors.size + 16, np.float32)
    for offset in range(1, 8):
        moved = buffer[offset : offset + vectors.size].reshape(vectors.shape)
        moved[:] = vectors
        np.testing.assert_array_equal(magnitude(moved), length)
    planar = np.ascontiguousarray(vectors.transpose(2, 0, 1)).transpose(1, 2, 0)  # channels apart
    np.testing.assert_array_equal(magnitude(planar), length)


def test_a_chained_flow_reads_the_second_flow_where_the_first_lands() -> None:
    h, w = 32, 48
    xs = identity_grid(h, w)[..., 0]
    first = np.zeros((h, w, 2), np.float32)
    first[..., 0] = 0.1 * xs  # pixel x lands at 1.1 x
    second = np.zeros((h, w, 2), np.float32)
    second[..., 1] = 0.05 * xs  # and from there moves down by 5 % of where it landed
    chained = compose(first, second)
    inside_both = slice(0, 40)  # where 1.1 x is still inside the frame
    np.testing.assert_allclose(chained[:, inside_both, 0], 0.1 * xs[:, inside_both], atol=1e-5)
    # (OpenCV interpolates at 1/32 of a pixel: to 0.05 * 1/64 px.)
    np.testing.assert_allclose(chained[:, inside_both, 1], 0.055 * xs[:, inside_both], atol=1e-3)


def test_chained_motions_add_up_both_ways_and_stay_consistent() -> None:
    shift = lambda dx: np.dstack([np.full((16, 24), dx, np.float32), np.zeros((16, 24), np.float32)])  # noqa: E731
    chained = Motion(shift(2.0), shift(-2.0)).then(Motion(shift(3.0), shift(-3.0)))
    np.testing.assert_allclose(chained.to_reference[..., 0], 5.0)
    np.testing.assert_allclose(chained.to_target[..., 0], -5.0)
    assert chained.consistency(1.0).min() == 1.0


def test_flow_guide_is_uint8_and_clamped() -> None:
    guide = flow_guide(np.array([[-1.0, 0.18, 40.0]], np.float32))
    assert guide.dtype == np.uint8 and guide.tolist() == [[0, 118, 255]]


def test_inside_takes_the_edges_and_leaves_out_nan_on_host_arrays_and_tensors() -> None:
    coords = (np.random.default_rng(2).random((6, 7, 2)) * 12.0 - 3.0).astype(np.float32)
    coords[0, 0] = (0.0, 0.0)  # the first pixel centre: inside
    coords[0, 1] = (6.0, 4.0)  # the last: inside
    coords[0, 2] = (6.001, 4.0)  # just beyond it
    coords[0, 3] = (np.nan, 1.0)
    expected = inside_points(coords[..., 0], coords[..., 1], 5, 7)
    assert expected[0, :4].tolist() == [True, True, False, False]
    found = inside(coords, 5, 7)
    assert found.dtype == bool
    np.testing.assert_array_equal(found, expected)
    np.testing.assert_array_equal(inside(torch.from_numpy(coords), 5, 7).numpy(), expected)
