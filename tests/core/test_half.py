"""Half-float conversions: numpy's bits, every shape, at OpenCV's speed."""

from __future__ import annotations

import numpy as np
import pytest

from tinct.core.half import from_half, to_half

# Zeros, subnormals, the edges of half's range and beyond.
SPECIAL = [0.0, -0.0, 1e-8, -3e-8, 6e-8, 3e-5, 6.1e-5, 1 / 3, 0.1, 65504.0, 65519.0, 65520.0, 1e6, -1e6]
INFINITE = [np.inf, -np.inf]


def values(shape: tuple[int, ...]) -> np.ndarray:
    """Normal, subnormal, out-of-range and special values, spread over ``shape``."""
    rng = np.random.default_rng(7)
    count = int(np.prod(shape))
    pool = np.concatenate(
        [
            np.float32(SPECIAL + INFINITE),
            rng.standard_normal(count).astype(np.float32) * 300.0,
            rng.uniform(0.0, 1e-4, count).astype(np.float32),
        ]
    )
    return rng.permutation(pool)[:count].reshape(shape)


@pytest.mark.parametrize("shape", [(17,), (6, 5), (9, 8, 1), (9, 8, 2), (9, 8, 3), (9, 8, 4), (9, 8, 7), (0, 4)])
def test_conversions_give_numpys_bits_in_the_same_shape(shape: tuple[int, ...]) -> None:
    array = values(shape)
    with np.errstate(over="ignore"):
        expected = array.astype(np.float16)
    half = to_half(array)
    assert half.dtype == np.float16 and half.shape == shape
    assert np.array_equal(half.view(np.uint16), expected.view(np.uint16))
    wide = from_half(half)
    assert wide.dtype == np.float32 and wide.shape == shape
    assert np.array_equal(wide.view(np.uint32), expected.astype(np.float32).view(np.uint32))


def test_a_nan_stays_a_nan() -> None:
    half = to_half(np.float32([np.nan, 1.0]))
    assert np.isnan(half[0]) and half[1] == 1.0
    assert np.isnan(from_half(half)[0])


def test_an_array_already_of_the_wanted_type_is_returned_as_it_is() -> None:
    half, wide = np.ones((4, 3), np.float16), np.ones((4, 3), np.float32)
    assert to_half(half) is half
    assert from_half(wide) is wide


def test_a_view_with_gaps_is_converted_like_its_copy() -> None:
    array = values((12, 10, 4))[:, ::2, 1:3]
    assert np.array_equal(to_half(array).view(np.uint16), to_half(array.copy()).view(np.uint16))
