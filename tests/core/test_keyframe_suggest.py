import numpy as np

from tinct.core.keyframe_suggest import coverage, suggest


def test_coverage_decays_with_distance_from_a_keyframe() -> None:
    reliability = np.full(10, 0.9)
    cover = coverage(reliability, [0])
    assert cover[0] == 1.0 and np.all(np.diff(cover) < 0)
    np.testing.assert_allclose(cover[3], 0.9**3)
    assert coverage(reliability, []).sum() == 0


def test_a_scene_cut_earns_a_keyframe() -> None:
    reliability = np.full(40, 0.99)
    reliability[25] = 0.0  # the cut: nothing carries across
    picks = suggest(reliability, 2)
    frames = sorted(f for f, _ in picks)
    assert frames[0] < 25 <= frames[1]


def test_existing_keyframes_are_kept_and_gains_decrease() -> None:
    reliability = np.full(30, 0.95)
    picks = suggest(reliability, 3, existing=[0])
    assert 0 not in [f for f, _ in picks]
    gains = [g for _, g in picks]
    assert gains == sorted(gains, reverse=True)
