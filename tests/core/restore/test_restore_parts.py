"""The repairs one by one: exposure tracking, grain measurement, cuts, scratch profiles, run planning,
and the synthetic film damage the benchmark is built on."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pytest

from tests.core.restore.scenes import scene
from tests.damage import DamageSpec, FilmDamage
from tinct.core.errors import ParameterError
from tinct.core.flow import FlowEstimator
from tinct.core.restore import deflicker, denoise, plan_runs, scratches
from tinct.core.restore.cuts import cut_score
from tinct.core.restore.frames import infrared_channel, infrared_opacity, signal


# -- deflicker ---------------------------------------------------------------------------------
def test_exposure_step_measures_a_gain_regionally() -> None:
    previous = np.sqrt(scene(1, width=96, height=64)[0])
    gain = np.ones_like(previous)
    gain[:, 48:] = 1.2
    current = previous * np.sqrt(gain)  # signal = sqrt(luminance)
    step = deflicker.exposure_step(current, previous, np.ones_like(previous), (1, 2))
    np.testing.assert_allclose(step[0], [0.0, np.log(1.2)], atol=0.02)


def test_correction_removes_jitter_and_keeps_a_linear_fade() -> None:
    fade = np.log(np.linspace(1.0, 0.2, 15))[:, None, None]
    np.testing.assert_allclose(deflicker.correction(fade, 12, 1.0), 0.0, atol=1e-5)
    jitter = fade + np.array([0.1, -0.1] * 7 + [0.1])[:, None, None]
    corrected = jitter[12] + deflicker.correction(jitter, 12, 1.0)
    assert abs(corrected - fade[12]).max() < 0.3 * 0.1
    assert deflicker.correction(jitter[:1], 0, 1.0).item() == 0.0
    assert deflicker.correction(jitter, 12, 0.0).item() == 0.0


def test_gain_field_is_smooth_and_exact_at_cell_centres() -> None:
    field = deflicker.gain_field(np.log(np.array([[1.0, 2.0]], np.float32)), 10, 40)
    assert field.shape == (10, 40)
    np.testing.assert_allclose(field[:, :10], 1.0, rtol=1e-6)
    np.testing.assert_allclose(field[:, 30:], 2.0, rtol=1e-6)
    assert np.all(np.diff(field[0]) >= 0)
    np.testing.assert_allclose(deflicker.gain_field(np.zeros((1, 1), np.float32), 4, 4), 1.0)


# -- grain ---------------------------------------------------------------------------------------
def test_noise_is_measured_per_brightness() -> None:
    rng = np.random.default_rng(0)
    base = np.tile(np.linspace(0.1, 0.9, 256, dtype=np.float32), (192, 1))
    sigma = 0.01 + 0.03 * base  # grain grows with brightness
    a = base + sigma * rng.standard_normal(base.shape).astype(np.float32)
    b = base + sigma * rng.standard_normal(base.shape).astype(np.float32)
    curve = denoise.measure_noise(a, b, np.ones_like(a))
    measured = curve.at(np.array([[0.2, 0.8]], np.float32))[0]
    np.testing.assert_allclose(measured, [0.01 + 0.03 * 0.2, 0.01 + 0.03 * 0.8], rtol=0.2)
    assert denoise.measure_noise(base, base, np.ones_like(base)).typical == pytest.approx(denoise.MIN_SIGMA)


# -- cuts ------------------------------------------------------------------------------------------
def test_cut_score_separates_a_cut_from_motion_and_flicker() -> None:
    flow = FlowEstimator("fast", 640)
    first, second = (np.sqrt(f) for f in scene(2, pan=2))
    stripes = 0.3 + 0.25 * np.sign(np.sin(np.arange(64) * np.pi / 8))
    other = np.sqrt(np.tile(stripes, (48, 1))).astype(np.float32)  # another picture altogether
    guide = lambda v: (np.clip(v, 0, 1) * 255).astype(np.uint8)  # noqa: E731
    moving = cut_score(second * 1.15, first, flow(guide(second * 1.15), guide(first)))
    cut = cut_score(other, first, flow(guide(other), guide(first)))
    assert moving < 0.2 < 0.45 < cut


# -- scratches ------------------------------------------------------------------------------------
def test_line_response_sees_lines_not_edges() -> None:
    values = np.zeros((1, 40), np.float32)
    values[0, 10] = 1.0  # a line
    values[0, 25:] = 1.0  # an edge
    response = scratches.line_response(values, 2)[0]
    assert response[10] == pytest.approx(1.0)
    assert response[20:30].max() <= 1e-6


def test_scratch_removal_keeps_untouched_pixels_bit_exact() -> None:
    rng = np.random.default_rng(1)
    picture = (0.4 + 0.01 * rng.standard_normal((96, 64))).astype(np.float32)
    damaged = picture.copy()
    damaged[:, 30] += 0.2
    found = np.zeros((scratches.BANDS, 64), np.int8)
    found[:, 30] = 1
    cleaned, matte = scratches.remove(damaged, found)
    assert np.abs(cleaned[:, 30] - picture[:, 30]).mean() < 0.02
    assert (matte[:, 30] > 0.5).mean() > 0.9
    np.testing.assert_array_equal(cleaned[:, :20], damaged[:, :20])


# -- infrared -----------------------------------------------------------------------------------
def test_infrared_channel_lookup_and_opacity() -> None:
    assert infrared_channel(["R", "G", "B", "IR"], "auto") == "IR"
    assert infrared_channel(["R", "G", "B", "A"], "auto") is None
    assert infrared_channel(["R", "G", "B", "IR"], "") is None
    assert infrared_channel(["R", "G", "B", "scan.ir"], "scan.ir") == "scan.ir"
    transmission = np.full((20, 20), 0.8, np.float32)
    transmission[5, 5] = 0.2
    opacity = infrared_opacity(transmission, 0.15)
    assert opacity[5, 5] == 1.0 and opacity[15, 15] == 0.0


# -- planning -------------------------------------------------------------------------------------
def test_runs_carry_handles_and_merge_when_they_meet() -> None:
    frames = list(range(1, 101))
    runs = plan_runs([10, 11, 12, 60], frames, behind=4, ahead=2)
    assert [(r.read[0], r.read[-1], r.write) for r in runs] == [(6, 14, (10, 11, 12)), (56, 62, (60,))]
    merged = plan_runs([10, 17], frames, behind=4, ahead=2)
    assert len(merged) == 1 and merged[0].read == tuple(range(6, 20))
    edge = plan_runs([1, 100], frames, behind=24, ahead=2)
    assert edge[0].read == (1, 2, 3) and edge[1].read == tuple(range(76, 101))


# -- the damage generator ---------------------------------------------------------------------
def test_damage_is_reproducible_in_any_frame_order() -> None:
    clean = scene(1, width=96, height=64)[0]
    spec = DamageSpec(seed=5, dust=400.0, blotches=40.0, scratches=3.0)
    forward = [FilmDamage(spec, 96, 64).damage(clean, i) for i in range(3)]
    again = FilmDamage(spec, 96, 64).damage(clean, 2)
    np.testing.assert_array_equal(forward[2].frame, again.frame)
    np.testing.assert_array_equal(forward[2].dust, again.dust)
    assert not np.array_equal(forward[0].frame, forward[1].frame)
    for hurt in forward:
        assert 0.0 <= hurt.dust.min() and hurt.dust.max() <= 1.0 and hurt.dust.max() > 0.5
        assert np.all(hurt.dust_change[hurt.dust == 0] == 0)
        assert hurt.gain.min() > 0


def test_scratches_persist_and_drift_slowly() -> None:
    spec = DamageSpec(seed=2, scratches=4.0, dust=0.0, blotches=0.0, grain=0.0, flicker=0.0, regional_flicker=0.0)
    damage = FilmDamage(spec, 640, 360)
    columns = [
        set(np.nonzero(damage.damage(np.full((360, 640), 0.2, np.float32), i).scratches.max(axis=0) > 0.1)[0])
        for i in range(10, 14)
    ]
    assert columns[0], "expected scratches alive"
    for a, b in pairwise(columns):
        assert any(min(abs(x - y) for y in b) <= 2 for x in a)


def test_damage_spec_is_checked() -> None:
    with pytest.raises(ParameterError, match="damage spec"):
        FilmDamage(DamageSpec(dust_radius=(5.0, 1.0)), 64, 48)
    with pytest.raises(ParameterError):
        FilmDamage(DamageSpec(), 64, 48).damage(np.zeros((10, 10), np.float32), 0)


def test_signal_is_the_square_root_of_luminance() -> None:
    np.testing.assert_allclose(signal(np.array([[0.25, -1.0, 4.0]], np.float32)), [[0.5, 0.0, 2.0]])
