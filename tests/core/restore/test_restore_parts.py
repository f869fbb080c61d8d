"""The repairs one by one: exposure tracking, grain measurement, cuts, scratch profiles, run planning,
and the synthetic film damage the benchmark is built on."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import pairwise
from unittest.mock import patch

import cv2
import numpy as np
import pytest

from tests.conftest import ALL_BACKENDS
from tests.core.restore.scenes import scene
from tests.damage import DamageSpec, FilmDamage
from tinct.core.errors import ParameterError
from tinct.core.flow import FlowEstimator
from tinct.core.pixels import Array, Pixels
from tinct.core.restore import RestoreSettings, deflicker, denoise, dust, plan_runs, scratches
from tinct.core.restore.cuts import cut_score
from tinct.core.restore.frames import (
    Geometry,
    Tiles,
    infrared_channel,
    infrared_opacity,
    motion_guide,
    nonzero,
    sample_points,
    signal,
)


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


@ALL_BACKENDS
def test_gain_field_is_smooth_and_exact_at_cell_centres(pixels: Pixels) -> None:
    field = pixels.download(deflicker.gain_field(np.log(np.array([[1.0, 2.0]], np.float32)), 10, 40, pixels))
    assert field.shape == (10, 40)
    np.testing.assert_allclose(field[:, :10], 1.0, rtol=1e-6)
    np.testing.assert_allclose(field[:, 30:], 2.0, rtol=1e-6)
    assert np.all(np.diff(field[0]) >= 0)
    np.testing.assert_allclose(pixels.download(deflicker.gain_field(np.zeros((1, 1), np.float32), 4, 4, pixels)), 1.0)


# -- grain ---------------------------------------------------------------------------------------
@ALL_BACKENDS
def test_noise_is_measured_per_brightness(pixels: Pixels) -> None:
    rng = np.random.default_rng(0)
    base = np.tile(np.linspace(0.1, 0.9, 256, dtype=np.float32), (192, 1))
    sigma = 0.01 + 0.03 * base  # grain grows with brightness
    a = base + sigma * rng.standard_normal(base.shape).astype(np.float32)
    b = base + sigma * rng.standard_normal(base.shape).astype(np.float32)
    curve = denoise.measure_noise(*(pixels.upload(x) for x in (a, b, np.ones_like(a))), pixels)
    measured = pixels.download(curve.at(pixels.upload(np.array([[0.2, 0.8]], np.float32)), pixels))[0]
    np.testing.assert_allclose(measured, [0.01 + 0.03 * 0.2, 0.01 + 0.03 * 0.8], rtol=0.2)
    assert denoise.measure_noise(base, base, np.ones_like(base)).typical == pytest.approx(denoise.MIN_SIGMA)


@ALL_BACKENDS
def test_a_patch_weighs_the_pixels_nearest_its_centre_most(pixels: Pixels) -> None:
    """The patch distance is a weighted mean of squared differences that weighs each pixel's own
    surroundings most: where a neighbour's motion is off a few pixels away, it still counts as
    showing the frame (see :data:`denoise.PATCH_SIGMA`)."""
    a = np.zeros((33, 33), np.float32)
    b = a.copy()
    b[16, 16] = 0.5  # one pixel differs
    distance = pixels.download(denoise.patch_distance(pixels.upload(a), pixels.upload(b), pixels))
    assert distance.sum() == pytest.approx(0.25, rel=1e-4)  # a mean: the squared difference, spread
    along = distance[16, 16:21]
    assert np.all(np.diff(along) < 0)  # falls away from the pixel
    assert along[2] < 0.5 * along[1]  # two pixels out, less than half of what one pixel out counts
    np.testing.assert_allclose(distance[16, 16:12:-1], distance[16, 16:20], rtol=1e-5)  # and symmetric
    np.testing.assert_allclose(distance[12:17, 16], distance[16, 12:17], rtol=1e-5)


@ALL_BACKENDS
def test_a_warp_keeps_less_of_the_tolerance_the_more_detailed_the_picture(pixels: Pixels) -> None:
    """A warped neighbour's share of the temporal tolerance: all of it where the frame is flat (or
    varies by its grain alone), half way to WARPED_TOLERANCE where the frame's window varies by
    TEXTURE_SCALE grain variances beyond its grain, nearly WARPED_TOLERANCE in strong texture."""
    variance = np.full((20, 20), 4e-4, np.float32)
    columns = np.tile(np.array([0.0, 1.0], np.float32), (20, 10))  # any 5 columns: 0.24 of its square

    def share(amplitude: float) -> float:
        signal = 0.5 + amplitude * columns
        return float(
            pixels.download(denoise.warped_share(*(pixels.upload(x) for x in (signal, variance)), pixels))[10, 10]
        )

    assert share(0.0) == pytest.approx(1.0)
    grain_only = float(np.sqrt(4e-4 / 0.24))  # a window varying by the grain's variance
    assert share(grain_only) == pytest.approx(1.0, abs=1e-4)
    half_way = float(np.sqrt((1.0 + denoise.TEXTURE_SCALE) * 4e-4 / 0.24))
    assert share(half_way) == pytest.approx(0.5 * (1.0 + denoise.WARPED_TOLERANCE), rel=1e-3)
    assert share(0.5) == pytest.approx(denoise.WARPED_TOLERANCE, abs=0.01)


@ALL_BACKENDS
def test_the_grain_smoothing_of_a_few_pixels_on_their_tiles_is_the_whole_frames(pixels: Pixels) -> None:
    """A repair smooths only its own pixels: worked out on the tiles around them it must give what
    the whole frame gives, at the frame's edges and corners too (where the filter mirrors it)."""
    rng = np.random.default_rng(5)
    fused = rng.random((101, 150), np.float32)
    variance = 0.01 * rng.random((101, 150), np.float32)
    wanted = np.zeros((101, 150), bool)
    wanted[0, 0] = wanted[100, 149] = wanted[0, 40] = wanted[60, 149] = True  # at the edges and corners
    wanted[40:43, 70:74] = wanted[15, 16] = True  # a speck, and a pixel at the corner of a tile
    ys, xs = nonzero(wanted)
    whole = pixels.download(denoise.smooth_residual(*(pixels.upload(x) for x in (fused, variance)), 0.7, pixels=pixels))
    tiles = Tiles(ys, xs, fused.shape, denoise.smooth_reach(), pixels)
    laid = [tiles.gather(pixels.upload(x)) for x in (fused, variance)]
    assert laid[0].shape[0] * laid[0].shape[1] < fused.size  # less than the frame's work
    local = pixels.download(tiles.values(denoise.smooth_residual(*laid, 0.7, pixels=pixels)))
    np.testing.assert_allclose(local, whole[ys, xs], rtol=1e-6, atol=1e-7)
    # Another reach reads a wider margin: its filter, too, is the whole frame's.
    wide = pixels.download(denoise.smooth_residual(*(pixels.upload(x) for x in (fused, variance)), 0.7, 3, pixels))
    tiles = Tiles(ys, xs, fused.shape, denoise.smooth_reach(3), pixels)
    laid = [tiles.gather(pixels.upload(x)) for x in (fused, variance)]
    np.testing.assert_allclose(
        pixels.download(tiles.values(denoise.smooth_residual(*laid, 0.7, 3, pixels))),
        wide[ys, xs],
        rtol=1e-6,
        atol=1e-7,
    )
    # The non-local pass after it, as a repair takes both.
    both = lambda a, v: denoise.smooth_spatially(a, v, 0.7, pixels)  # noqa: E731
    whole = pixels.download(both(*(pixels.upload(x) for x in (fused, variance))))
    tiles = Tiles(ys, xs, fused.shape, denoise.spatial_reach(), pixels)
    laid = [tiles.gather(pixels.upload(x)) for x in (fused, variance)]
    np.testing.assert_allclose(pixels.download(tiles.values(both(*laid))), whole[ys, xs], rtol=1e-6, atol=1e-7)


@ALL_BACKENDS
def test_the_nonlocal_pass_takes_grain_out_of_texture_and_leaves_clean_texture_alone(pixels: Pixels) -> None:
    """Where the self-guided filter keeps texture grainy (it varies more than the grain), pixels of
    like patches along it average the grain out; clean texture (grain at the measured floor) is
    left as it is."""
    rng = np.random.default_rng(8)
    y, x = np.mgrid[0:64, 0:96].astype(np.float32)
    clean = 0.5 + 0.2 * np.sin(x / 1.7 + y / 5.0)  # fine stripes, a few pixels apart
    grain = 0.03
    grainy = clean + rng.normal(0.0, grain, clean.shape).astype(np.float32)
    variance = np.full(clean.shape, grain * grain, np.float32)
    guided = pixels.download(
        denoise.smooth_residual(pixels.upload(grainy), pixels.upload(variance), 0.7, pixels=pixels)
    )
    both = pixels.download(denoise.nonlocal_smooth(pixels.upload(guided), pixels.upload(variance), 0.7, pixels))
    rms = lambda a: float(np.sqrt(np.mean((a - clean)[8:-8, 8:-8] ** 2)))  # noqa: E731
    assert rms(guided) > 0.8 * grain  # the filter keeps the texture, and its grain
    assert rms(both) < 0.95 * rms(guided)  # 0.92: patches that differ by grain alone weigh e^-3.3 each
    floor = np.full(clean.shape, denoise.MIN_SIGMA**2, np.float32)
    kept = pixels.download(denoise.nonlocal_smooth(pixels.upload(clean), pixels.upload(floor), 0.7, pixels))
    np.testing.assert_allclose(kept, clean, rtol=0, atol=0.1 * denoise.MIN_SIGMA)


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


# A window of five frames, and a still camera's (no motion) shifts over it.
WINDOW = [-2, -1, 0, 1, 2]
STILL = [np.zeros(scratches.BANDS, np.float32)] * len(WINDOW)


def _still_window(
    profile: Callable[[int], scratches.Profile], back: int
) -> tuple[list[scratches.Profile], list[tuple[scratches.Profile, int]]]:
    """The window's profiles and those of the ``back`` frames before it, made (in that order) by
    ``profile(distance)``."""
    return [profile(d) for d in WINDOW], [(profile(d), d) for d in range(-2 - back, -2)]


def _find(
    profiles: list[scratches.Profile],
    earlier: Sequence[tuple[scratches.Profile, int]] = (),
    shifts: list[np.ndarray] = STILL,
    later: Sequence[tuple[scratches.Profile, int]] = (),
) -> np.ndarray:
    """:func:`scratches.find` over the window at 360 lines, default strength."""
    return scratches.find(profiles, WINDOW, shifts, strength=0.5, height=360, earlier=earlier, later=later)


def _found_panning(values: np.ndarray, column: int, bands: slice, amplitude: float, step: int) -> np.ndarray:
    """:func:`_find` over five frames of band profiles ``values`` panning ``step`` columns a frame,
    with a line of ``amplitude`` fixed at ``column`` in ``bands`` (on the film, not in the picture)."""
    profiles, shifts = [], []
    for distance in WINDOW:
        frame = np.roll(values, step * distance, axis=1)
        frame[bands, column] += amplitude
        profiles.append(scratches.Profile(frame.astype(np.float32)))
        shifts.append(np.full(scratches.BANDS, step * distance, np.float32))
    return _find(profiles, shifts=shifts)


def test_a_faint_scratch_down_the_whole_frame_is_found_over_texture() -> None:
    # Column texture in every band hides the scratch in each band; down the whole frame the
    # texture averages away and the scratch does not.
    texture = 0.4 + 0.01 * np.random.default_rng(7).standard_normal((scratches.BANDS, 160))
    found = _found_panning(texture, 80, slice(None), 0.035, 4)
    assert (found[:, 80] == 1).all()
    assert (found != 0).sum() == scratches.BANDS
    # Under a still camera the whole frame is not asked: a line of the picture would look the same.
    still = _found_panning(texture, 80, slice(None), 0.035, 0)
    assert not still.any()


def test_a_short_line_is_not_taken_for_a_scratch_down_the_whole_frame() -> None:
    # A dark line in two bands of an otherwise flat frame stands out strongly in the whole frame's
    # profile too; it is not spread over the frame, whose short bands do not show it.
    rng = np.random.default_rng(8)
    values = 0.4 + 0.001 * rng.standard_normal((scratches.BANDS, 160))
    values[1:3] += 0.01 * rng.standard_normal((2, 160))
    found = _found_panning(values, 100, slice(1, 3), -0.05, 4)
    assert (found[1:3, 100] == -1).all()
    assert not found[4:].any()


def test_under_a_still_picture_only_a_line_that_lasted_is_a_scratch() -> None:
    # A still camera: a strong dark line at column 80 in three of the window's five frames (the
    # edge of a hand that paused there), none in the frames before; at column 40 a line in every frame.
    rng = np.random.default_rng(10)
    texture = 0.4 + 0.002 * rng.standard_normal((scratches.BANDS, 160))

    def profile(distance: int) -> scratches.Profile:
        frame = texture + 0.0005 * rng.standard_normal(texture.shape)
        frame[:, 40] -= 0.05
        if -1 <= distance <= 1:
            frame[:, 80] -= 0.05
        return scratches.Profile(frame.astype(np.float32))

    profiles, earlier = _still_window(profile, scratches.HISTORY)
    found = _find(profiles, earlier)
    assert (found[:, 40] == -1).all()
    assert not found[:, 70:].any()
    # The window alone took the pause for a scratch; at a shot's start there are no frames before.
    assert (_find(profiles)[:, 80] == -1).all()


def test_a_line_of_the_picture_that_moved_into_place_is_not_a_scratch() -> None:
    # The camera pans 3 columns a frame; a dark pole of the picture in bands 2 to 4 moved 2 columns
    # a frame towards column 100 in the frames before the window and holds there through it (the
    # camera turns with it). A dark scratch born in the window's first frame at column 50.
    rng = np.random.default_rng(21)
    texture = 0.4 + 0.002 * rng.standard_normal((scratches.BANDS, 160))

    def profile(distance: int) -> scratches.Profile:
        frame = np.roll(texture, 3 * distance, axis=1) + 0.0005 * rng.standard_normal(texture.shape)
        frame[2:5, 100 + 2 * min(distance + 2, 0)] -= 0.05
        if distance >= -2:
            frame[:, 50] -= 0.05
        return scratches.Profile(frame.astype(np.float32))

    profiles, earlier = _still_window(profile, scratches.HISTORY)
    shifts = [np.full(scratches.BANDS, 3 * d, np.float32) for d in WINDOW]
    found = _find(profiles, earlier, shifts)
    assert (found[:, 50] == -1).all()
    assert not found[:, 60:].any()
    # Without the frames before, the pole held still on the film through the window, as a scratch does.
    assert (_find(profiles, shifts=shifts)[2:5, 100] == -1).all()


def test_under_a_still_picture_a_scratch_among_stronger_lines_is_found_by_its_change() -> None:
    # A still camera over strong column texture (a fence, a cutting mat): a dark scratch at column
    # 80, fainter than the texture's own lines, arrived 8 frames ago. At column 120 a bright line
    # of the picture brightens (the light on it changed); in bands 2 to 4 a mover that covered
    # columns 10 to 50 in the earlier frames has gone.
    rng = np.random.default_rng(11)
    texture = 0.4 + 0.015 * rng.standard_normal((scratches.BANDS, 160))
    texture[:, 120] += 0.1

    def profile(distance: int) -> scratches.Profile:
        frame = texture + 0.0005 * rng.standard_normal(texture.shape)
        if distance >= -8:
            frame[:, 80] -= 0.04
        if distance >= -2:
            frame[:, 120] += 0.03
        else:
            frame[2:5, 10:51] = 0.45
        return scratches.Profile(frame.astype(np.float32))

    profiles, earlier = _still_window(profile, scratches.LOOKBACK)
    found = _find(profiles, earlier)
    assert (found[:, 80] == -scratches.CHANGED).all()
    assert (found != 0).sum() == scratches.BANDS
    # At a shot's start, with no frames before, the texture hides it.
    alone = [profile(d) for d in WINDOW]
    assert not _find(alone)[:, 78:83].any()
    # Where the picture moves, the change says nothing: the picture's lines move too. Within the
    # window (the picture's motion), or since the earlier frames (the camera's, summed).
    panning = [np.full(scratches.BANDS, 4.0 * d, np.float32) for d in WINDOW]
    moving = [profile(d) for d in WINDOW]
    assert not _find(moving, earlier, panning)[:, 78:83].any()
    tilted = [profile(d) for d in WINDOW]
    tilted[0] = scratches.Profile(tilted[0].values, (0.0, 3.0))  # between the earlier frames and the window
    fresh = [(profile(d), d) for d in range(-2 - scratches.LOOKBACK, -2)]
    assert not _find(tilted, fresh)[:, 78:83].any()


def test_under_a_still_picture_a_scratch_is_found_by_its_change_20_frames_after_it_arrived() -> None:
    # A still camera over strong column texture; a dark scratch fainter than the texture's lines at
    # column 80 arrived 20 frames ago. The frames 6 to 24 back hold it in most of them, their
    # median too; it is in fewer than half of those up to 48 back.
    rng = np.random.default_rng(13)
    texture = 0.4 + 0.015 * rng.standard_normal((scratches.BANDS, 160))

    def profile(distance: int) -> scratches.Profile:
        frame = texture + 0.0005 * rng.standard_normal(texture.shape)
        if distance >= -20:
            frame[:, 80] -= 0.04
        return scratches.Profile(frame.astype(np.float32))

    profiles, earlier = _still_window(profile, scratches.LOOKBACK)
    found = _find(profiles, earlier)
    assert (found[:, 80] == -scratches.CHANGED).all()
    assert (found != 0).sum() == scratches.BANDS


@pytest.mark.parametrize("amplitude", [0.0, 0.0052])
def test_under_a_still_picture_a_faint_scratch_that_arrived_is_found_and_the_grain_alone_is_not(
    amplitude: float,
) -> None:
    # A still camera over faint column texture; a dark scratch at column 80 arrived 8 frames ago,
    # standing out of the frame's change by three quarters of the threshold (the grain's own
    # columns by less): its change is the scratch alone, the picture's lines cancelled.
    rng = np.random.default_rng(14)
    texture = 0.4 + 0.002 * rng.standard_normal((scratches.BANDS, 160))

    def profile(distance: int) -> scratches.Profile:
        frame = texture + 0.0005 * rng.standard_normal(texture.shape)
        if distance >= -8:
            frame[:, 80] -= amplitude
        return scratches.Profile(frame.astype(np.float32))

    profiles, earlier = _still_window(profile, scratches.LOOKBACK)
    found = _find(profiles, earlier)
    assert (found != 0).sum() == (scratches.BANDS if amplitude else 0)
    assert (found[:, 80] == (-scratches.CHANGED if amplitude else 0)).all()


def test_under_a_still_picture_a_scratch_over_a_mover_that_came_to_rest_is_found_by_the_recent_change() -> None:
    # A still camera over column texture; in bands 2 to 5 a mover came to rest over columns 50 to
    # 110 20 frames ago (brighter than the picture it covers, with columns of its own); a dark
    # scratch arrived over it 8 frames ago at column 80. Against the frames up to 48 back the
    # mover's whole patch has changed, against those up to 24 back it has not.
    rng = np.random.default_rng(15)
    texture = 0.4 + 0.01 * rng.standard_normal((scratches.BANDS, 160))
    mover = 0.55 + 0.01 * rng.standard_normal((4, 61))

    def profile(distance: int) -> scratches.Profile:
        frame = texture + 0.0005 * rng.standard_normal(texture.shape)
        if distance >= -20:
            frame[2:6, 50:111] = mover + 0.0005 * rng.standard_normal(mover.shape)
        if distance >= -8:
            frame[:, 80] -= 0.04
        return scratches.Profile(frame.astype(np.float32))

    profiles, earlier = _still_window(profile, scratches.LOOKBACK)
    found = _find(profiles, earlier)
    assert (found[2:6, 80] == -scratches.RECENT).all()
    assert np.isin(found[:, 80], [-scratches.CHANGED, -scratches.RECENT]).all()
    assert (found != 0).sum() == scratches.BANDS


def test_at_a_still_scenes_start_a_scratch_there_from_its_first_frame_is_found_by_its_change_from_the_frames_after() -> (
    None
):
    # A still camera over strong column texture at a scene's first frames (none before the window);
    # a dark scratch fainter than the texture's lines at column 80 is there from the first frame
    # and ends 3 frames after the current one. The frames 6 to 10 after each frame of the window
    # do not hold it.
    rng = np.random.default_rng(16)
    texture = 0.4 + 0.015 * rng.standard_normal((scratches.BANDS, 160))

    def profile(distance: int, camera: tuple[float, float] = (0.0, 0.0)) -> scratches.Profile:
        frame = texture + 0.0005 * rng.standard_normal(texture.shape)
        if distance <= 3:
            frame[:, 80] -= 0.04
        return scratches.Profile(frame.astype(np.float32), camera)

    profiles = [profile(d) for d in WINDOW]
    later = [(profile(d), d) for d in range(3, 3 + scratches.LOOKAHEAD)]
    found = _find(profiles, later=later)
    assert (found[:, 80] == -scratches.CHANGED).all()
    assert (found != 0).sum() == scratches.BANDS
    # Without the frames after, the texture hides it; where the camera moved off after the window
    # (a pan starting), those frames are no reference.
    assert not _find([profile(d) for d in WINDOW]).any()
    panning = [(profile(d, (3.0, 0.0) if d == 3 else (0.0, 0.0)), d) for d in range(3, 3 + scratches.LOOKAHEAD)]
    assert not _find([profile(d) for d in WINDOW], later=panning).any()
    # The render holds the frames the look-ahead reads.
    assert RestoreSettings(radius=1, deflicker=False).ahead == 1 + scratches.LOOKAHEAD


def test_under_a_still_picture_a_bright_scratch_that_ended_is_not_a_dark_one_arriving() -> None:
    # A still camera over strong column texture with a plain stretch at columns 76 to 84 and a
    # faint dark line of the picture at 80; a bright scratch over it through the earlier frames
    # ended 4 frames before the window. The change from those frames shows a dark line at 80; the
    # texture's spreads hide the bright one in them.
    rng = np.random.default_rng(12)
    texture = 0.4 + 0.015 * rng.standard_normal((scratches.BANDS, 160))
    texture[:, 76:85] = 0.4
    texture[:, 80] -= 0.02

    def profile(distance: int) -> scratches.Profile:
        frame = texture + 0.0005 * rng.standard_normal(texture.shape)
        if distance < -6:
            frame[:, 80] += 0.05
        return scratches.Profile(frame.astype(np.float32))

    profiles, earlier = _still_window(profile, scratches.LOOKBACK)
    assert not _find(profiles, earlier).any()
    # Weighed in the earlier frames' spreads alone, the ended scratch came back as a dark one.
    profiles, earlier = _still_window(profile, scratches.LOOKBACK)
    with patch.object(scratches, "LEFT", 1e9):
        assert (_find(profiles, earlier)[:, 80] == -scratches.CHANGED).any()


def _line_across(width: int, amplitude: float) -> np.ndarray:
    """(width,) float32: a scratch's profile across the frame, a narrow Gaussian at column 30."""
    return (amplitude * np.exp(-0.5 * ((np.arange(width) - 30.0) / 0.8) ** 2)).astype(np.float32)


def test_a_scratch_along_an_edge_is_removed_by_its_change_not_across_the_edge() -> None:
    # A bright scratch lying along a vertical edge of the picture: interpolating across it takes
    # part of the edge for the line; its change from earlier frames (the picture cancelled) is
    # the line alone.
    height, width = 96, 64
    picture = np.where(np.arange(width) < 31, 0.3, 0.6).astype(np.float32) * np.ones((height, 1), np.float32)
    line = _line_across(width, 0.1)
    damaged = picture + line[None, :]
    change = {scratches.CHANGED: scratches.Profile(np.tile(line, (scratches.BANDS, 1)))}
    found = np.zeros((scratches.BANDS, width), np.int8)
    found[:, 30] = scratches.CHANGED
    cleaned, matte = scratches.remove(damaged, found, change)
    assert np.abs(cleaned - picture)[:, 26:35].max() < 0.01
    assert (matte[:, 30] > 0.5).all()
    across, _ = scratches.remove(damaged, np.sign(found), change)
    assert np.abs(across - picture)[:, 26:35].max() > 0.03
    np.testing.assert_array_equal(cleaned[:, :20], damaged[:, :20])


def test_a_scratch_found_by_its_change_in_some_bands_and_alone_in_others_is_removed_in_all() -> None:
    # A dark scratch down a flat picture, found by its change in the upper half and by the frame
    # alone in the lower half, where the picture moved since the earlier frames (no change there).
    height, width = 96, 64
    rng = np.random.default_rng(3)
    picture = (0.5 + 0.002 * rng.standard_normal((height, width))).astype(np.float32)
    line = _line_across(width, -0.1)
    change = np.tile(line, (scratches.BANDS, 1))
    change[scratches.BANDS // 2 :] = 0.0
    found = np.zeros((scratches.BANDS, width), np.int8)
    found[: scratches.BANDS // 2, 30] = -scratches.CHANGED
    found[scratches.BANDS // 2 :, 30] = -1
    cleaned, matte = scratches.remove(picture + line[None, :], found, {scratches.CHANGED: scratches.Profile(change)})
    assert np.abs(cleaned - picture)[:, 26:35].max() < 0.02
    assert (matte[:, 30] > 0.5).all()


def test_a_scratch_found_by_its_change_from_the_recent_frames_is_measured_in_that_change() -> None:
    # A bright scratch over a hand that came to rest since the frames further back: the change from
    # those holds the hand's whole edge beside the scratch, the change from the recent frames the
    # scratch alone.
    height, width = 96, 64
    picture = np.full((height, width), 0.5, np.float32)
    line = _line_across(width, 0.1)
    hand = np.where(np.arange(width) < 29, 0.2, 0.0).astype(np.float32)
    changes = {
        scratches.CHANGED: scratches.Profile(np.tile(line + hand, (scratches.BANDS, 1))),
        scratches.RECENT: scratches.Profile(np.tile(line, (scratches.BANDS, 1))),
    }
    found = np.zeros((scratches.BANDS, width), np.int8)
    found[:, 30] = scratches.RECENT
    cleaned, _ = scratches.remove(picture + line[None, :], found, changes)
    assert np.abs(cleaned - picture)[:, 26:35].max() < 0.01
    found[:, 30] = scratches.CHANGED
    wrong, _ = scratches.remove(picture + line[None, :], found, changes)
    assert np.abs(wrong - picture)[:, 26:35].max() > 0.03


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


def test_a_scratch_found_in_some_bands_is_removed_along_its_whole_line() -> None:
    # Found in the lower half only (texture hid it from the upper bands' profiles), the scratch
    # runs on up the column as far as it stands out; a line that stops is not continued.
    rng = np.random.default_rng(2)
    height, width = 360, 64
    picture = np.where(np.arange(height)[:, None] < 180, 0.25, 0.7) + 0.01 * rng.standard_normal((height, width))
    picture = picture.astype(np.float32)
    found = np.zeros((scratches.BANDS, width), np.int8)
    found[4:, 30] = -1
    whole, stopping = picture.copy(), picture.copy()
    whole[:, 30] *= 0.7
    stopping[180:, 30] *= 0.7
    cleaned, matte = scratches.remove(whole, found)
    assert np.abs(cleaned[:160, 30] - picture[:160, 30]).mean() < 0.02  # the scratch took 0.075
    assert (matte[:160, 30] > 0.5).mean() > 0.9
    cleaned, matte = scratches.remove(stopping, found)
    np.testing.assert_array_equal(cleaned[:150], stopping[:150])
    assert not matte[:150].any()
    assert np.abs(cleaned[200:, 30] - picture[200:, 30]).mean() < 0.02


def _quantised(v: np.ndarray) -> np.ndarray:
    """A signal as a motion guide holds it, nothing taken out."""
    return (np.clip(v, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def _lined(rows: int, top: int = 0, bottom: int | None = None, contrast: float = 0.2) -> tuple[np.ndarray, ...]:
    """Two grainy frames (128 x ``rows`` signals) of a texture panning 2 px a frame, each with a bright
    line two columns wide at columns 64-65 over ``rows[top:bottom]`` that stays put, and the first
    frame without its line."""
    rng = np.random.default_rng(0)
    frames = [signal(y) + rng.normal(0.0, 0.01, y.shape).astype(np.float32) for y in scene(2, 128, rows, pan=2, seed=3)]
    plain = frames[0].copy()
    for v in frames:
        v[top:bottom, 64:66] += contrast
    return plain, *frames


def test_a_long_line_is_taken_out_of_the_motion_guide_and_the_picture_beside_it_kept() -> None:
    plain, lined, _ = _lined(144)
    guide, without, as_was = motion_guide(lined), motion_guide(plain), _quantised(lined)
    line = np.s_[:, 64:66]
    assert np.abs(as_was[line].astype(int) - without[line]).mean() > 40  # the line, 0.2 of the signal
    assert np.abs(guide[line].astype(int) - without[line]).mean() < 8  # gone; the texture under it kept
    assert np.array_equal(guide[:, :54], as_was[:, :54]) and np.array_equal(guide[:, 76:], as_was[:, 76:])


def test_a_line_down_a_third_of_the_frame_stays_in_the_motion_guide() -> None:
    # A scratch mostly runs through the frame; a line of the picture this short is the picture's.
    _, lined, _ = _lined(144, top=48, bottom=96)
    assert np.array_equal(motion_guide(lined), _quantised(lined))


def test_motion_beside_a_scratch_follows_the_picture_not_the_scratch() -> None:
    _, first, second = _lined(144)
    settings = RestoreSettings()
    flow = FlowEstimator(settings.flow_quality, settings.flow_resolution)
    beside = np.s_[8:-8, 60:70, 0]
    error = {
        name: float(np.abs(flow(guide(first), guide(second))[beside] + 2.0).mean())
        for name, guide in (("as is", _quantised), ("guide", motion_guide))
    }
    assert error["guide"] < 0.2 < 0.5 < error["as is"]  # the picture moves 2 px left; the scratch held it back


# -- infrared -----------------------------------------------------------------------------------
def test_sampled_flow_positions_agree_with_the_full_size_map() -> None:
    """A witness's bridged pixels are placed by sampling the working-scale flow at them; the rest of
    the frame by the enlarged map. Both must put a pixel in the same place."""
    geometry = Geometry(96, 160, 64)
    h, w = geometry.small_shape
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    flow = np.dstack([1.5 + 0.05 * xs - 0.02 * ys, -0.75 + 0.03 * ys]).astype(np.float32)
    full = geometry.full_map(flow)
    picked = np.random.default_rng(3).random((96, 160)) < 0.3
    rows, columns = nonzero(picked)
    x, y = geometry.sample_flow(flow, rows, columns)
    assert x.dtype == y.dtype == np.float32
    np.testing.assert_allclose(x, full[rows, columns, 0], atol=0.02)
    np.testing.assert_allclose(y, full[rows, columns, 1], atol=0.02)
    # Several channels at once give each channel's own samples (to OpenCV's 1/32-pixel weights:
    # it interpolates one channel from the exact coordinates).
    both = sample_points(flow, x / 2.5, y / 2.5, cv2.INTER_LINEAR)
    assert both.shape == (len(x), 2)
    alone = sample_points(np.ascontiguousarray(flow[..., 1]), x / 2.5, y / 2.5, cv2.INTER_LINEAR)
    np.testing.assert_allclose(both[:, 1], alone, atol=1e-3)


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


def test_new_damage_kinds_are_off_by_default() -> None:
    clean = scene(1, width=96, height=64)[0]
    off = DamageSpec(seed=3, hairs=0.0, soft_blotches=0.0, static_scratches=0, static_scratch_wobble=0.0)
    for index in (0, 5):
        default, explicit = (
            FilmDamage(DamageSpec(seed=3), 96, 64).damage(clean, index),
            FilmDamage(off, 96, 64).damage(clean, index),
        )
        for field in ("frame", "dust", "dust_change", "scratches", "gain"):
            np.testing.assert_array_equal(getattr(default, field), getattr(explicit, field))
        assert not default.hairs.any() and not default.soft_blotches.any()


def _only(**kinds: float) -> DamageSpec:
    """A spec with nothing but ``kinds`` (no flicker, grain, softness, dust or drifting scratches)."""
    quiet = dict(softness=0.0, flicker=0.0, regional_flicker=0.0, grain=0.0, dust=0.0, blotches=0.0, scratches=0.0)
    return DamageSpec(**{**quiet, **kinds})


def test_hairs_are_thin_curves_where_the_truth_says() -> None:
    spec = _only(seed=4, hairs=2000.0, hair_width=(15.0, 30.0), hair_length=(600.0, 1500.0))
    damage = FilmDamage(spec, 192, 108)  # hair sizes scale to 1.5-3 px wide, 60-150 px long here
    clean = np.full((108, 192), 0.18, np.float32)
    hurt = damage.damage(clean, 2)
    assert hurt.hairs.max() > 0.9
    np.testing.assert_array_equal(hurt.dust >= hurt.hairs, True)  # hairs are in the one-frame truth
    changed = np.abs(hurt.frame - clean) > 1e-4
    assert not (changed & (hurt.dust == 0)).any()
    assert (changed[hurt.hairs > 0.5]).all()
    # Thin: each hair covers few pixels for its length; curved: not one straight line.
    layers = damage.hair_opacity(2)
    assert len(layers) >= 2
    for alpha, towards in layers:
        ys, xs = np.nonzero(alpha > 0.5)
        assert towards in (0.0, 1.0)
        if ys.size < 30:
            continue  # mostly outside the frame
        extent = max(np.ptp(xs), np.ptp(ys)) + 1
        assert ys.size < 5.0 * extent
        residual = np.linalg.svd(np.stack([xs - xs.mean(), ys - ys.mean()]), compute_uv=False)
        assert residual[1] > 0.5 or extent < 20  # off a straight line by more than half a pixel
    # Different frames, different hairs; the same frame, the same hairs.
    assert not np.array_equal(damage.damage(clean, 3).hairs, hurt.hairs)
    np.testing.assert_array_equal(FilmDamage(spec, 192, 108).damage(clean, 2).frame, hurt.frame)


def test_soft_blotches_are_feathered_and_partly_transparent() -> None:
    spec = _only(seed=6, soft_blotches=600.0, soft_blotch_radius=(150.0, 200.0), soft_blotch_opacity=(0.2, 0.6))
    damage = FilmDamage(spec, 192, 108)
    hurt = damage.damage(np.full((108, 192), 0.18, np.float32), 1)
    layers = damage.soft_blotch_opacity(1)
    assert layers
    for alpha, _ in layers:
        assert 0.2 * 0.99 <= alpha.max() <= 0.6 + 1e-6
        inside = alpha > 0.01
        # Feathered: a good share of the blotch lies between a tenth and 90 % of its peak.
        soft = inside & (alpha < 0.9 * alpha.max()) & (alpha > 0.1 * alpha.max())
        assert soft.sum() > 0.3 * inside.sum()
    np.testing.assert_array_equal(hurt.dust >= hurt.soft_blotches, True)
    assert hurt.soft_blotches.max() <= 0.6 + 1e-6 and hurt.dust_change[hurt.soft_blotches > 0.1].all()


@pytest.mark.parametrize("wobble", [0.0, 8.0])
def test_a_static_scratch_stays_in_its_column_for_the_whole_shot(wobble: float) -> None:
    # At 108 lines a wobble of 8 px at 1080 lines is 0.8 px: within 3 std (clipped) of the column.
    spec = _only(seed=9, static_scratches=2, static_scratch_wobble=wobble, scratch_contrast=(0.3, 0.4))
    damage = FilmDamage(spec, 192, 108)
    clean = np.full((108, 192), 0.18, np.float32)
    homes = [s.x0 * 192 for s in damage.static_scratches()]
    centres = []
    for index in range(0, 150, 3):
        hurt = damage.damage(clean, index)
        assert not hurt.dust.any()
        profile = hurt.scratches.max(axis=0)
        centres.append([_centroid(profile, home) for home in homes])
    offsets = np.array(centres) - np.array(homes)[None, :]
    if wobble == 0:
        np.testing.assert_allclose(offsets - offsets[0], 0.0, atol=1e-5)  # does not move at all
        assert np.abs(offsets).max() < 0.1
    else:
        assert np.abs(offsets).max() <= 3 * wobble * 108 / 1080 + 0.05
        assert offsets.std() > 0.2 * wobble * 108 / 1080  # it does wobble
    np.testing.assert_array_equal(damage.damage(clean, 149).frame, FilmDamage(spec, 192, 108).damage(clean, 149).frame)


def _centroid(profile: np.ndarray, near: float) -> float:
    lo, hi = int(near) - 4, int(near) + 6
    columns = np.arange(lo, hi)
    weights = profile[lo:hi]
    return float((columns * weights).sum() / weights.sum())


def test_new_damage_spec_fields_are_checked() -> None:
    for bad in (
        dict(hairs=-1.0),
        dict(hair_width=(3.0, 1.0)),
        dict(hair_opacity=(0.5, 1.5)),
        dict(soft_blotch_radius=(60.0, 15.0)),
        dict(soft_blotch_opacity=(0.2, 1.2)),
        dict(static_scratches=-1),
        dict(static_scratch_wobble=-0.5),
    ):
        with pytest.raises(ParameterError, match="damage spec"):
            FilmDamage(DamageSpec(**bad), 64, 48)


def test_signal_is_the_square_root_of_luminance() -> None:
    np.testing.assert_allclose(signal(np.array([[0.25, -1.0, 4.0]], np.float32)), [[0.5, 0.0, 2.0]])


def test_picture_is_covered_where_reliably_moving_picture_lands_on_its_landing() -> None:
    # A 6-pixel bar moving 4 px right over a still wall: the wall just ahead of it (whose motion
    # failed) lands where the bar lands; a hole in the middle of the wall (a speck's) lands on wall
    # that only it lands on.
    h, w = 20, 40
    flow = np.zeros((h, w, 2), np.float32)
    flow[:, 10:16, 0] = 4.0  # the bar
    doubt = np.zeros((h, w), np.float32)
    doubt[:, 16:20] = 1.0  # ahead of the bar, covered by it in the witness
    doubt[8:12, 30:34] = 1.0  # a speck's hole
    reliable = doubt == 0
    bridged = np.zeros_like(flow)  # the wall's motion stands in for the failed one
    hidden = dust.covered(flow, reliable, bridged, doubt)
    assert hidden[:, 16:20].all()
    assert not hidden[8:12, 30:34].any()
    assert not hidden[doubt == 0].any()


def _still_witnesses(
    clean: np.ndarray, grain: float, seed: int, pixels: Pixels, unseen: np.ndarray | None = None
) -> tuple[list[np.ndarray], list[list[dust.Seen]]]:
    """Five grainy takes of a still signal; the four around the middle as the dust test's witnesses
    (their motion reliable and zero; ``unseen`` (H, W) bool: pixels their motion carries out of
    their frames)."""
    rng = np.random.default_rng(seed)
    takes = [clean + rng.normal(0.0, grain, clean.shape).astype(np.float32) for _ in range(5)]
    return takes, _witnesses_of(takes, pixels, unseen)


def _witnesses_of(takes: list[np.ndarray], pixels: Pixels, unseen: np.ndarray | None = None) -> list[list[dust.Seen]]:
    """The four takes around the middle one of five as its witnesses, motion reliable and zero."""
    inside = True if unseen is None else pixels.upload(~unseen)
    return [[_still_seen(takes[k], pixels, inside=inside) for k in pair] for pair in ((1, 0), (3, 4))]


def _still_seen(
    take: np.ndarray,
    pixels: Pixels,
    valid: Array | None = None,
    inside: Array | bool = True,
    covered: Array | bool = False,
) -> dust.Seen:
    """A take as a witness whose motion is zero: reliable where ``valid`` (everywhere by default),
    carried out of its frame outside ``inside``, landing on picture a mover covers at ``covered``."""
    signal, ones = pixels.upload(take), pixels.upload(np.ones_like(take))
    return dust.Seen(
        signal,
        ones if valid is None else valid,
        signal,
        ones,
        bridged=signal,
        inside=inside,
        covered=covered,
        locate=lambda ys, xs: (xs.astype(float), ys.astype(float)),
    )


def _faint_speck(pixels: Pixels) -> tuple[Array, list[list[dust.Seen]], Array, np.ndarray]:
    """A frame with a speck only 3.3 grain deviations dark (4 px radius) under fine grain, where the
    spike test's floor for misregistration (0.02) outweighs the grain: frame, witnesses, grain, speck."""
    clean = np.sqrt(scene(1, 128, 72, pan=0, seed=4, blur=3.0)[0])
    takes, sides = _still_witnesses(clean, 0.006, 3, pixels)
    ys, xs = np.mgrid[:72, :128]
    speck = (ys - 36) ** 2 + (xs - 64) ** 2 <= 16
    frame = pixels.upload((takes[2] - 0.02 * speck).astype(np.float32))
    return frame, sides, pixels.upload(np.full(clean.shape, 0.006, np.float32)), speck


@ALL_BACKENDS
def test_a_faint_speck_is_found_against_the_witnesses_mean(pixels: Pixels) -> None:
    # Darker than every one of 36 grainy samples it is at few of its pixels (the spike test finds
    # about a sixth of it); blurred, its difference from the witnesses' mean stands well out.
    frame, sides, grain, speck = _faint_speck(pixels)
    found = dust.detect(frame, sides, grain, 0.5, 0.02, pixels)
    assert found[speck].mean() > 0.5
    assert found[~cv2.dilate(speck.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)].sum() == 0


def _speck_among(patch_in: Sequence[int], pixels: Pixels, radius: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """The dust test's mask on a still grainy frame with a dark speck (of ``radius`` 1: 5 pixels,
    in a frame of 72 lines a speck of about 1,100 pixels at 1080) in a brighter square of picture
    (a hand, say) that the takes ``patch_in`` (of the five; 2 is the frame) show too, without the
    speck; and the speck."""
    clean = np.sqrt(scene(1, 128, 72, pan=0, seed=4, blur=3.0)[0])
    takes, _ = _still_witnesses(clean, 0.006, 3, pixels)
    ys, xs = np.mgrid[:72, :128]
    square = (abs(ys - 36) <= 10) & (abs(xs - 64) <= 10)
    for k in patch_in:
        takes[k] = np.where(square, takes[k] + 0.1, takes[k]).astype(np.float32)
    speck = (ys - 36) ** 2 + (xs - 64) ** 2 <= radius * radius
    frame = np.where(speck, np.float32(0.05), takes[2]).astype(np.float32)
    grain = pixels.upload(np.full(clean.shape, 0.006, np.float32))
    return dust.detect(pixels.upload(frame), _witnesses_of(takes, pixels), grain, 0.5, 0.02, pixels), speck


@ALL_BACKENDS
def test_a_spot_whose_surroundings_one_witness_alone_explains_is_not_dust(pixels: Pixels) -> None:
    # The square around the spot is in the frame and in one neighbour only (picture that moved
    # there, which the motion did not follow): the ring matching one witness is chance.
    found, speck = _speck_among((1, 2), pixels)
    assert not found[speck].any()


@ALL_BACKENDS
def test_a_large_blotch_is_held_to_a_looser_second_witness(pixels: Pixels) -> None:
    # A blotch's motion is bridged from farther off than a speck's: the larger the defect, the
    # more its ring may differ from the second-best witness (the square as above, the blotch of
    # 49 pixels: about 11,000 at 1080 lines).
    found, blotch = _speck_among((1, 2), pixels, radius=4)
    assert found[blotch].mean() > 0.9


@ALL_BACKENDS
def test_a_speck_is_found_where_one_witness_shows_something_else_around_it(pixels: Pixels) -> None:
    # The square is in one neighbour alone (its own blotch, say): the frame's surroundings match
    # the other three, and the speck is dust.
    found, speck = _speck_among((1,), pixels)
    assert found[speck].mean() > 0.9
    assert not found[~cv2.dilate(speck.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)].any()


@ALL_BACKENDS
def test_a_defects_soft_edge_is_taken_in_where_the_witnesses_agree_it_stands_out(pixels: Pixels) -> None:
    # A defect 0.2 darker than its four witnesses' mean (0.5). Beside it: a pixel 0.15 darker
    # (its soft edge); one 0.15 darker where the witnesses disagree by more (a mover's); one only
    # 0.05 darker (a quarter of the defect's difference); and, a pixel off, one 0.15 darker.
    found = np.zeros((9, 12), bool)
    found[4, 4:6] = True
    frame = np.full(found.shape, 0.5, np.float32)
    frame[found] = 0.3
    soft, mover, faint, apart = (4, 6), (3, 4), (5, 5), (4, 8)
    for y, x in (soft, mover, apart):
        frame[y, x] = 0.35
    frame[faint] = 0.45
    witnesses = [np.full(found.shape, 0.5, np.float32) for _ in range(4)]
    witnesses[0][mover], witnesses[1][mover] = 0.3, 0.7
    explained = np.full(found.shape, 0.06, np.float32)  # half of it, 0.03, is the least difference
    grown = dust.taken_whole(
        found, pixels.upload(frame), [pixels.upload(w) for w in witnesses], pixels.upload(explained), pixels
    )
    expected = found.copy()
    expected[soft] = True
    np.testing.assert_array_equal(grown, expected)
    # Brighter defects alike; and nothing grows where nothing was found.
    bright = dust.taken_whole(
        found, pixels.upload(1.0 - frame), [pixels.upload(1.0 - w) for w in witnesses], pixels.upload(explained), pixels
    )
    np.testing.assert_array_equal(bright, expected)
    none = np.zeros_like(found)
    assert not dust.taken_whole(
        none, pixels.upload(frame), [pixels.upload(w) for w in witnesses], pixels.upload(explained), pixels
    ).any()


@ALL_BACKENDS
def test_a_defects_gaps_of_a_pixel_are_closed_and_its_outline_kept(pixels: Pixels) -> None:
    # A blotch 0.2 darker than its four witnesses (0.5) where, at a pinhole and along a slit a pixel
    # wide, the picture shows through: it is taken whole. A notch in its outline stays out, and so
    # do the three pixels between it and a speck beside it.
    found = np.zeros((11, 18), bool)
    found[2:9, 2:11] = True
    pinhole, notch = (5, 3), (2, 4)
    slit = (slice(3, 8), 6)
    for gap in (pinhole, notch, slit):
        found[gap] = False
    found[4:7, 14] = True
    frame = np.where(found, np.float32(0.3), np.float32(0.5))
    witnesses = [pixels.upload(np.full(found.shape, 0.5, np.float32)) for _ in range(4)]
    explained = pixels.upload(np.full(found.shape, 0.06, np.float32))
    whole = dust.taken_whole(found, pixels.upload(frame), witnesses, explained, pixels)
    expected = found.copy()
    expected[pinhole] = expected[slit] = True
    np.testing.assert_array_equal(whole, expected)


@ALL_BACKENDS
def test_a_large_mover_the_flow_lost_is_looked_for_farther_off_than_a_speck(pixels: Pixels) -> None:
    # A still grainy frame with a bright ball 13 pixels across, thrown 16 pixels a frame (the
    # motion, zero, lost it): farther than a speck is looked for in a frame of 72 lines (8 pixels),
    # within twice the ball's size. The witnesses show it there, with its surroundings: picture.
    clean = np.full((72, 128), 0.5, np.float32)
    takes, _ = _still_witnesses(clean, 0.006, 5, pixels)
    ys, xs = np.mgrid[:72, :128]
    for take, distance in zip(takes, range(-2, 3)):
        take[(ys - 36) ** 2 + (xs - 48 - 16 * distance) ** 2 <= 36] += 0.3
    grain = pixels.upload(np.full(clean.shape, 0.006, np.float32))
    found = dust.detect(pixels.upload(takes[2]), _witnesses_of(takes, pixels), grain, 0.5, 0.02, pixels)
    assert not found.any()
    # A speck of its own, that no witness shows, is still dust.
    takes[2][30:33, 100:103] -= 0.3
    found = dust.detect(pixels.upload(takes[2]), _witnesses_of(takes, pixels), grain, 0.5, 0.02, pixels)
    assert found[30:33, 100:103].all()
    assert not found[:, :90].any()


@ALL_BACKENDS
def test_at_a_shots_end_a_speck_is_found_on_flat_picture_where_the_flow_wandered(pixels: Pixels) -> None:
    # A still shot's last frame, its two witnesses before it. Over a flat part of the picture
    # running to the frame's edge (a white table) the flow wandered with the grain and failed its
    # check, and nothing moving covers picture there: a speck on it is dust. Where a mover covers
    # picture around it in the witnesses, the failed motion may be an occlusion: not trusted.
    clean = np.full((72, 128), 0.8, np.float32)
    rng = np.random.default_rng(6)
    takes = [clean + rng.normal(0.0, 0.006, clean.shape).astype(np.float32) for _ in range(3)]
    ys, xs = np.mgrid[:72, :128]
    speck = (ys - 36) ** 2 + (xs - 96) ** 2 <= 4
    frame = pixels.upload(np.where(speck, np.float32(0.5), takes[2]).astype(np.float32))
    valid = pixels.upload((xs < 64).astype(np.float32))
    grain = pixels.upload(np.full(clean.shape, 0.006, np.float32))

    def found(covered: np.ndarray) -> np.ndarray:
        before = [_still_seen(takes[k], pixels, valid, covered=pixels.upload(covered)) for k in (1, 0)]
        return dust.detect(frame, [before, []], grain, 0.5, 0.02, pixels)

    nothing = np.zeros(clean.shape, bool)
    assert found(nothing)[speck].all()
    assert not found(nothing)[~cv2.dilate(speck.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)].any()
    beside = nothing.copy()
    beside[33:40, 92:101] = True
    assert not found(beside).any()


def _dark_shape_partly_unseen(shape: np.ndarray, unseen: np.ndarray, pixels: Pixels) -> np.ndarray:
    """The dust test's (H, W) mask on a still grainy frame with a dark ``shape`` (128 x 72 bool)
    the witnesses lack, their motion carrying the ``unseen`` pixels out of their frames (what
    their warps sample there is not this frame's picture)."""
    clean = np.sqrt(scene(1, 128, 72, pan=0, seed=4, blur=3.0)[0])
    takes, sides = _still_witnesses(clean, 0.006, 3, pixels, unseen)
    frame = np.where(shape, np.float32(0.05), takes[2]).astype(np.float32)
    grain = pixels.upload(np.full(clean.shape, 0.006, np.float32))
    return dust.detect(pixels.upload(frame), sides, grain, 0.5, 0.02, pixels)


@ALL_BACKENDS
def test_a_blotch_running_off_the_frame_where_no_witness_sees_is_still_found(pixels: Pixels) -> None:
    # In a fast tilt the witnesses' motion carries the frame's last rows out of their frames. A
    # blotch that runs off the bottom edge is found above those rows and grows a few rows into
    # them; the rest of it, which no test could find, is no mismatch of its surroundings.
    ys, xs = np.mgrid[:72, :128]
    blotch = (ys - 66) ** 2 + (xs - 64) ** 2 <= 144
    unseen = ys >= 62
    found = _dark_shape_partly_unseen(blotch, unseen, pixels)
    assert found[blotch & ~unseen].mean() > 0.9
    assert not found[~cv2.dilate(blotch.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)].any()


@ALL_BACKENDS
def test_a_shape_at_the_frames_edge_running_on_where_no_witness_sees_is_not_taken_for_dust(pixels: Pixels) -> None:
    # The same unseen rows, but the dark shape is flagged up to the frame's left edge: it may be
    # content coming in there, so its surroundings are all asked, and where it runs on into the
    # unseen rows the witnesses do not show it: not dust.
    ys, xs = np.mgrid[:72, :128]
    shape = (xs <= 8) & (ys >= 50)
    assert not _dark_shape_partly_unseen(shape, ys >= 64, pixels)[shape].any()


@ALL_BACKENDS
def test_no_faint_speck_is_seen_where_a_scratch_was_taken_out(pixels: Pixels) -> None:
    # What a scratch's removal leaves along its column would be repaired from neighbours that
    # hold the scratch too: the faint test stays off the line (the spike test still runs there).
    frame, sides, grain, speck = _faint_speck(pixels)
    line = np.zeros(speck.shape, bool)
    line[:, 61:68] = True
    assert dust.detect(frame, sides, grain, 0.5, 0.02, pixels, pixels.upload(line))[speck].mean() < 0.3
