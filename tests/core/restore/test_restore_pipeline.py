"""The temporal window in memory: dust found and repaired, real motion and clean footage left alone,
flicker removed and fades kept, scratches removed, colour and out-of-range values carried through.

What restoration does is tested on both backends of its per-pixel work: OpenCV, and torch (on the CPU).
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from dataclasses import replace

import numpy as np
import OpenImageIO as oiio
import pytest

from tests.conftest import ALL_BACKENDS
from tests.core.restore.scenes import WEIGHTS, grainy, grey_rgb, scene, source
from tinct.core.flow import Motion, compose
from tinct.core.pixels import OPENCV, Pixels
from tinct.core.restore import Restored, Restorer, RestoreSettings, denoise, dust, pipeline
from tinct.core.restore.pipeline import _Slot
from tinct.core.source import SourceFrame


def restore(
    frames: list[np.ndarray],
    settings: RestoreSettings | None = None,
    rgb: bool = False,
    pixels: Pixels = OPENCV,
    wanted: set[int] | None = None,
) -> dict[int, Restored]:
    """The ``wanted`` frames (default: all) restored, the others read as context."""
    height, width = frames[0].shape[:2]
    restorer = Restorer(settings or RestoreSettings(), height, width, WEIGHTS, pixels=pixels)
    plates = (restorer.prepare(i, source(f if rgb else grey_rgb(f))) for i, f in enumerate(frames))
    return {r.frame: r for r in restorer.run(plates, set(range(len(frames))) if wanted is None else wanted)}


def luminance(r: Restored) -> np.ndarray:
    return r.rgb @ WEIGHTS


@ALL_BACKENDS
def test_a_one_frame_speck_is_found_and_repaired_from_the_neighbours(pixels: Pixels) -> None:
    clean = scene(8)
    frames = grainy(clean, 0.01)
    frames[3][20:24, 30:34] = 0.0
    out = restore(frames, pixels=pixels)[3]
    assert (out.defect[20:24, 30:34] > 0.5).all()
    np.testing.assert_allclose(out.rgb[20:24, 30:34, 0], clean[3][20:24, 30:34], atol=0.03)
    assert (out.defect > 0.5).sum() < 60  # the speck and its rim, nothing else
    assert np.abs(luminance(out) - clean[3]).mean() < 0.5 * np.abs(frames[3] - clean[3]).mean()


@pytest.mark.parametrize("colour", [False, True])
def test_a_frame_holds_its_exact_signal_only_within_the_repairs_reach(
    monkeypatch: pytest.MonkeyPatch, colour: bool
) -> None:
    # The window reads frames as far ahead as the exposure track looks (12); a frame's exact
    # signal is held only from when the repairs of a frame within their full reach (3) read it
    # until it is behind that reach. Beyond it, the signal is held as half floats; a frame of
    # large colour waiting ahead holds none (its colour makes it). Here the threshold lies between
    # a black-and-white half-float scan's colour (one plane) and a colour one's (three), as at 1080p.
    frames = grainy(scene(20), 0.01)
    height, width = frames[0].shape
    monkeypatch.setattr(pipeline, "SPARE_BYTES", 2 * height * width * 2)
    settings = RestoreSettings()
    reach = pipeline.FULL_REACH
    restorer = Restorer(settings, height, width, WEIGHTS)
    tint = np.array([1.1, 0.95, 0.8], np.float32) if colour else np.ones(3, np.float32)
    plates = [restorer.prepare(i, half_float_scan(grey_rgb(f) * tint)) for i, f in enumerate(frames)]
    seen_waiting = 0
    for restored in restorer.run(iter(plates), set(range(20))):
        t = restored.frame
        waiting = plates[t + reach + 1 : t + settings.ahead + 1]  # read, beyond reach
        assert all(p.v is None if colour else p.v.dtype == np.float16 for p in waiting), t
        assert all(p.v.dtype == np.float32 for p in plates[max(t - reach, 0) : t + reach + 1]), t
        assert all(p.v.dtype == np.float16 for p in plates[max(t - settings.radius, 0) : max(t - reach, 0)]), t
        seen_waiting += len(waiting)
    assert seen_waiting > 100


def test_the_motion_checks_of_a_frame_are_let_go_once_it_is_restored() -> None:
    # Each motion's forward/backward check (a working-size plane) is read for the repairs of the
    # frame it starts from, and for the exposure step of the frame after its reference; the window
    # holds motions 12 frames back and ahead for the far neighbours and the exposure track.
    frames = grainy(scene(30), 0.01)
    height, width = frames[0].shape
    restorer = Restorer(RestoreSettings(), height, width, WEIGHTS)
    plates = (restorer.prepare(i, source(grey_rgb(f))) for i, f in enumerate(frames))
    held = []
    for restored in restorer.run(plates, set(range(30))):
        held.append(sum(len(o._consistency) for o in gc.get_objects() if type(o) is Motion))
        assert restored.frame == len(held) - 1
    # The frame's own (to each of its six nearest) and one a frame ahead (its exposure step's).
    assert max(held) <= 2 * pipeline.FULL_REACH + RestoreSettings().ahead
    np.testing.assert_array_equal(held[-5:], sorted(held[-5:], reverse=True))  # the shot's end lets go too


@pytest.mark.parametrize(("large", "colour"), [(False, False), (False, True), (True, False), (True, True)])
def test_a_context_frame_holds_its_signal_alone(monkeypatch: pytest.MonkeyPatch, large: bool, colour: bool) -> None:
    # A chunk reads frames before its first and after its last for their signals alone: their
    # colour is never written. Within the full reach of a frame it restores, a large frame gives
    # up its signal meanwhile where its colour is the smaller (black-and-white: one half-float
    # plane), and lets the colour go once it makes it; beyond every such reach, a frame holds its
    # signal as half floats (all the grain filter's still picture reads of it).
    if large:
        monkeypatch.setattr(pipeline, "SPARE_BYTES", 0)
    frames = grainy(scene(30), 0.01)
    height, width = frames[0].shape
    restorer = Restorer(RestoreSettings(), height, width, WEIGHTS)
    tint = np.array([1.1, 0.95, 0.8], np.float32) if colour else np.ones(3, np.float32)
    plates = [restorer.prepare(i, half_float_scan(grey_rgb(f) * tint)) for i, f in enumerate(frames)]
    wanted = set(range(12, 18))
    reach = pipeline.FULL_REACH
    read = 0
    for restored in restorer.run(iter(plates), wanted):
        read = min(restored.frame + RestoreSettings().ahead + 1, len(plates))
        context = [p for p in plates[:read] if p.frame not in wanted]
        assert all((p.source is None) != (p.v is None) for p in context), restored.frame
        assert all(p.source is not None for p in plates[restored.frame + 1 : read] if p.frame in wanted)
        if restored.frame == max(wanted) - reach - 1:  # the last frame before those after the chunk come within reach
            near = plates[max(wanted) + 1 : max(wanted) + reach + 1]
            assert all((p.v is None) == (large and not colour) for p in near)
    assert read == len(plates)
    waiting = [p for p in plates if p.frame > max(wanted) + pipeline.FULL_REACH]
    assert all(p.source is None and p.v.dtype == np.float16 for p in waiting)


def half_float_scan(rgb: np.ndarray) -> SourceFrame:
    """A source frame as read from a half-float EXR (held as half floats while it waits)."""
    frame = source(rgb.astype(np.float16).astype(np.float32))
    frame.image.spec.set_format(oiio.HALF)
    return frame


def test_the_witnesses_are_let_go_before_the_way_back_to_scene_linear(monkeypatch: pytest.MonkeyPatch) -> None:
    # Four planes a witness: at 4K, a colour frame's conversion held 0.7 GB more while they lived.
    assert seen_alive_at(monkeypatch, pipeline, "to_linear", lambda seen: True) == [0] * 8


def test_the_bridged_warps_are_let_go_after_the_dust_test(monkeypatch: pytest.MonkeyPatch) -> None:
    # They serve the dust test alone; the grain filter after it holds the four witnesses.
    bridged = seen_alive_at(monkeypatch, Restorer, "_temporal_average", lambda seen: seen.bridged is not None)
    assert bridged == [0] * 8


def seen_alive_at(
    monkeypatch: pytest.MonkeyPatch, owner: object, name: str, counted: Callable[[dust.Seen], bool]
) -> list[int]:
    """The number of live neighbours (:class:`.dust.Seen`) that are ``counted`` at each call of
    ``owner.name`` while a shot with a speck is restored (the speck found: the witnesses were
    made, bridged and used)."""
    call = getattr(owner, name)
    alive: list[int] = []

    def counting(*args: object, **kwargs: object) -> object:
        # (type(), not isinstance: isinstance reads a deprecated torch object's __class__ and warns)
        alive.append(sum(type(o) is dust.Seen and counted(o) for o in gc.get_objects()))
        return call(*args, **kwargs)

    monkeypatch.setattr(owner, name, counting)
    frames = grainy(scene(8), 0.01)
    frames[3][20:24, 30:34] = 0.0
    out = restore(frames)
    assert (out[3].defect[20:24, 30:34] > 0.5).all()
    return alive


@ALL_BACKENDS
def test_a_fast_moving_object_is_not_taken_for_dust(pixels: Pixels) -> None:
    clean = scene(8)
    for t, frame in enumerate(clean):
        frame[16:28, 4 + 5 * t : 16 + 5 * t] = 0.9
    out = restore(grainy(clean, 0.01), pixels=pixels)
    for t in range(8):
        region = (slice(16, 28), slice(4 + 5 * t, 16 + 5 * t))
        assert (out[t].defect[region] < 0.5).all(), t
        assert np.abs(out[t].rgb[region][..., 0] - 0.9).mean() < 0.03, t


@ALL_BACKENDS
def test_a_small_ball_thrown_across_the_frame_is_not_taken_for_dust(pixels: Pixels) -> None:
    # A ball a few pixels wide, thrown past a softly textured wall: the flow loses it, and against
    # where the wall's motion puts it, in every frame it looks like a one-frame speck. The
    # neighbouring frames show it a little way off. A speck just like it, far from its path, is
    # still dust.
    height, width, radius = 64, 96, 3
    clean = scene(8, width, height, pan=0, blur=6.0)
    yy, xx = np.mgrid[0:height, 0:width]

    def disc(x: float, y: float) -> np.ndarray:
        return np.clip(radius + 0.5 - np.hypot(xx - x, yy - y), 0.0, 1.0)

    balls = [disc(10 + 6 * t, 30 + t) for t in range(8)]
    for frame, ball in zip(clean, balls):
        frame[:] = frame * (1.0 - ball) + 0.9 * ball
    frames = grainy(clean, 0.025)
    speck = disc(80, 12)
    frames[4] = frames[4] * (1.0 - speck) + 0.9 * speck
    out = restore(frames, pixels=pixels)
    for t, ball in enumerate(balls):
        assert not (out[t].defect[ball > 0] > 0.5).any(), t
        assert np.abs(luminance(out[t])[ball > 0.5] - 0.9).mean() < 0.1, t
    assert (out[4].defect[speck > 0.5] > 0.5).all()


@ALL_BACKENDS
def test_a_blotch_that_spoils_its_own_motion_is_found_on_the_first_and_last_frame(pixels: Pixels) -> None:
    # At a shot's ends the witnesses are on one side only, and the dust test trusts only their
    # reliable motion. This blotch makes the motion over itself fail the forward/backward check (on
    # about 85 % of it); the reliable motion all around it carries the witnesses across.
    clean = scene(6, 320, 240, pan=1, blur=3.0)
    frames = grainy(clean, 0.01)
    blotch = (slice(114, 126), slice(154, 166))
    near = np.zeros(clean[0].shape, bool)
    near[110:130, 150:170] = True
    for t in (0, 5):
        frames[t][blotch] = 0.0
    out = restore(frames, pixels=pixels)
    for t in (0, 5):
        assert (out[t].defect[blotch] > 0.5).all(), t
        assert not (out[t].defect[~near] > 0.5).any(), t
        assert np.abs(luminance(out[t])[blotch] - clean[t][blotch]).mean() < 0.03, t


@ALL_BACKENDS
def test_picture_a_mover_covers_after_the_first_frame_is_not_taken_for_dust(pixels: Pixels) -> None:
    # A dark bar slides over a still, textured wall. On the first frame the wall just ahead of it is
    # in neither witness (the bar covers it there), its motion fails the check as a speck's does,
    # and reliable motion encloses it: but the bar's own motion lands on it in the witnesses.
    clean = scene(6, 320, 240, pan=0, blur=3.0)
    for t, frame in enumerate(clean):
        frame[100:130, 120 + 6 * t : 132 + 6 * t] = 0.02
    out = restore(grainy(clean, 0.01), pixels=pixels)
    assert not (out[0].defect > 0.5).any()
    assert np.abs(luminance(out[0])[100:130, 132:144] - clean[0][100:130, 132:144]).mean() < 0.02


@ALL_BACKENDS
def test_picture_that_leaves_the_frame_after_the_first_frame_is_not_taken_for_dust(pixels: Pixels) -> None:
    # A bright block at the right edge of the first frame is gone from the next ones: it left the
    # frame, and no frame before the shot shows where it came from. A speck just like it inside the
    # frame is still dust.
    clean = scene(6, 128, 96, pan=1, blur=6.0)
    for t, frame in enumerate(clean):
        frame[40:52, 118 + 12 * t : 128] = 0.9
    frames = grainy(clean, 0.01)
    frames[0][45:51, 61:67] = 0.9
    out = restore(frames, pixels=pixels)[0]
    assert not (out.defect[:, 110:] > 0.5).any()
    assert (out.defect[45:51, 61:67] > 0.5).all()


@ALL_BACKENDS
def test_specks_of_a_tall_frame_are_found_through_its_coarser_search(pixels: Pixels) -> None:
    # Frames of over 540 lines look for content that moved in means of pixel blocks: dust on a
    # panning, grainy picture is still found there, whole, and nothing else is taken.
    clean = scene(5, width=64, height=1080, pan=2, blur=4.0)
    frames = grainy(clean, 0.025)
    near = np.zeros(clean[0].shape, bool)
    for y in (200, 520, 900):
        frames[2][y : y + 6, 30:36] = 0.0
        near[y - 2 : y + 8, 28:38] = True
    out = restore(frames, pixels=pixels)[2]
    for y in (200, 520, 900):
        assert (out.defect[y : y + 6, 30:36] > 0.5).all(), y
    assert not (out.defect[~near] > 0.5).any()


@ALL_BACKENDS
def test_a_scratch_the_dust_test_sees_is_not_taken_for_content_that_moved(pixels: Pixels) -> None:
    # Under a pan, a line fixed to the film is in every witness a little way off from where the
    # picture's motion puts it, as content that moved would be; but it is at the very same pixels
    # of their own frames, so it stays a defect (the dust stage alone here: the line stage is off).
    # Fast flow: at this size the balanced field, found at half the frame's size, follows so bright
    # a line for much of its length, and the witnesses then show it where the motion puts it.
    frames = grainy(scene(8, 96, 64, pan=2), 0.02)
    for frame in frames:
        frame[10:50, 40] = np.maximum(frame[10:50, 40], 0.7)
    out = restore(frames, RestoreSettings(scratches=False, flow_quality="fast"), pixels=pixels)
    for t in range(8):
        assert (out[t].defect[12:48, 40] > 0.5).all(), t


@ALL_BACKENDS
def test_clean_footage_passes_nearly_unchanged(pixels: Pixels) -> None:
    clean = scene(8)
    for r in restore(clean, pixels=pixels).values():
        error = np.abs(r.rgb[..., 0] - clean[r.frame])
        assert error.max() < 0.01 and (r.defect > 0.5).sum() == 0


@ALL_BACKENDS
def test_with_every_repair_off_frames_pass_through_bit_exactly(pixels: Pixels) -> None:
    frames = grainy(scene(4), 0.02)
    frames[1][5, 5], frames[1][6, 6] = 7.5, -0.25
    off = RestoreSettings(dust=False, scratches=False, deflicker=False, grain=0.0)
    for r in restore(frames, off, pixels=pixels).values():
        np.testing.assert_array_equal(r.rgb, grey_rgb(frames[r.frame]))


@ALL_BACKENDS
def test_pixels_a_dust_repair_does_not_touch_are_bit_exact(pixels: Pixels) -> None:
    clean = scene(8)
    tint = np.array([1.3, 0.9, 0.7], np.float32)
    frames = [grey_rgb(y) * tint for y in grainy(clean, 0.01)]
    frames[3][20:24, 30:34] = 0.0
    only_dust = RestoreSettings(scratches=False, deflicker=False, grain=0.0)
    out = restore(frames, only_dust, rgb=True, pixels=pixels)[3]
    untouched = out.defect == 0
    assert (out.defect[20:24, 30:34] > 0.5).all() and untouched.mean() > 0.9
    np.testing.assert_array_equal(out.rgb[untouched], frames[3][untouched])


@ALL_BACKENDS
def test_values_above_one_and_negatives_survive(pixels: Pixels) -> None:
    clean = scene(8)
    for frame in clean:
        frame[10:14, 10:14] = 6.0
        frame[30:34, 40:44] = -0.02
    out = restore(clean, pixels=pixels)[4]
    np.testing.assert_allclose(out.rgb[11:13, 11:13], 6.0, rtol=1e-3)
    np.testing.assert_allclose(out.rgb[31:33, 41:43], -0.02, atol=1e-4)


@ALL_BACKENDS
def test_grain_is_reduced(pixels: Pixels) -> None:
    clean = scene(8)
    noisy = grainy(clean, 0.03)
    out = restore(noisy, RestoreSettings(deflicker=False), pixels=pixels)
    before = np.mean([np.abs(noisy[t] - clean[t]).mean() for t in range(2, 6)])
    after = np.mean([np.abs(luminance(out[t]) - clean[t]).mean() for t in range(2, 6)])
    assert after < 0.6 * before
    kept = restore(noisy, RestoreSettings(deflicker=False, grain_keep=0.5), pixels=pixels)
    assert np.abs(luminance(kept[3]) - luminance(out[3])).mean() > 0.2 * before  # some grain put back


@ALL_BACKENDS
def test_neighbours_beyond_the_measured_motion_take_out_more_grain(pixels: Pixels) -> None:
    # Motion is measured up to two frames apart; the third neighbour each side is reached by chaining
    # it, and must land where the picture is (misplaced, the grain filter would leave it out).
    clean = scene(12, pan=2)
    noisy = grainy(clean, 0.03)
    error = {}
    for radius in (2, 3):
        settings = RestoreSettings(deflicker=False, dust=False, scratches=False, radius=radius)
        out = restore(noisy, settings, pixels=pixels)
        error[radius] = np.mean([np.abs(luminance(out[t]) - clean[t]).mean() for t in range(4, 8)])
    assert error[3] < 0.92 * error[2]


@ALL_BACKENDS
def test_neighbours_beyond_the_full_reach_average_only_still_picture(pixels: Pixels) -> None:
    """Beyond three frames a neighbour joins the grain filter where the picture stands still: a
    locked-off background loses more grain with five each side; a mover's pixels, and a moving
    camera's whole frame, are restored as with three."""
    still = scene(14, pan=0)
    for t, frame in enumerate(still):  # a block moving 3 px a frame over the still background
        frame[12:36, 3 * t : 3 * t + 16] = scene(1, 16, 24, pan=0, seed=7)[0] + 0.2
    panning = scene(14, pan=2)
    for clean, frames in ((still, grainy(still, 0.05)), (panning, grainy(panning, 0.05))):
        out = {}
        for radius in (3, 5):
            settings = RestoreSettings(deflicker=False, dust=False, scratches=False, radius=radius)
            out[radius] = restore(frames, settings, pixels=pixels, wanted={6, 7})
        for t in (6, 7):
            five, three = luminance(out[5][t]), luminance(out[3][t])
            if clean is panning:
                np.testing.assert_array_equal(five, three)
                continue
            background = np.ones(clean[t].shape, bool)
            background[4:44, 3 * t - 8 : 3 * t + 24] = False  # the block and the filters' reach around it
            error = {radius: np.abs(y - clean[t])[background].mean() for radius, y in ((5, five), (3, three))}
            assert error[5] < 0.9 * error[3], t
            inside = (slice(20, 28), slice(3 * t + 6, 3 * t + 10))  # farther than the filters read from its edge
            np.testing.assert_allclose(five[inside], three[inside], rtol=0, atol=1e-6)


@ALL_BACKENDS
def test_flicker_is_removed_and_a_fade_kept(pixels: Pixels) -> None:
    clean = scene(24, pan=0)
    fade = np.linspace(1.0, 0.3, 24)
    flicker = np.exp(np.random.default_rng(3).normal(0.0, 0.08, 24))
    flickering = [f * a * b for f, a, b in zip(clean, fade, flicker)]
    only_deflicker = RestoreSettings(dust=False, scratches=False, grain=0.0, deflicker_window=12)
    out = restore(flickering, only_deflicker, pixels=pixels)
    means = np.array([luminance(out[t]).mean() for t in range(24)]) / clean[0].mean()
    truth = fade
    before = np.array([f.mean() for f in flickering]) / clean[0].mean()
    assert np.std(np.diff(means) - np.diff(truth)) < 0.4 * np.std(np.diff(before) - np.diff(truth))
    assert np.polyfit(np.arange(24), means, 1)[0] < -0.02  # still a fade
    assert means[-1] < 0.45 and means[0] > 0.8


def test_a_frames_exposure_is_judged_from_the_frames_after_it_too() -> None:
    """Flicker over a steady exposure: the track is fitted on both sides of a frame, where a line is
    surest. Fitted from 24 frames before and 3 after (the grain filter's radius: what the window
    used to hold after a frame), the middle frames of these shots kept 0.30 of the flicker; from
    12 each side 0.18."""
    kept = []
    for seed in (6, 8, 10):
        clean = scene(64, pan=0)
        flicker = np.random.default_rng(seed).normal(0.0, 0.08, 64)  # log exposure
        settings = RestoreSettings(dust=False, scratches=False, grain=0.0)
        out = restore([f * np.exp(g) for f, g in zip(clean, flicker)], settings)
        exposure = np.log([luminance(out[t]).mean() / clean[t].mean() for t in range(64)])
        middle = exposure[12:52] - exposure.mean()  # (a steady exposure is known up to a constant)
        kept.append(np.sqrt(np.mean(middle**2)) / np.std(flicker))
    assert np.mean(kept) < 0.24, kept


def test_at_a_shots_end_the_exposure_track_reaches_as_many_frames_back() -> None:
    """A frame near the end of a shot has fewer than deflicker_window frames after it: its track
    reaches that many more frames back, so its line is fitted over as many frames as a middle
    frame's (on the nine real clips the last frames' exposure errors were twice the middle's)."""
    clean = scene(40, pan=0)
    flicker = np.random.default_rng(4).normal(0.0, 0.08, 40)
    frames = [f * np.exp(g) for f, g in zip(clean, flicker)]
    settings = RestoreSettings(dust=False, scratches=False, grain=0.0, deflicker_window=8)
    brighter = list(frames)
    brighter[25] = frames[25] * 1.2  # 14 frames before the last one: within 2 x 8, beyond 8
    last, changed = restore(frames, settings, wanted={30, 39}), restore(brighter, settings, wanted={30, 39})
    assert not np.allclose(last[39].rgb, changed[39].rgb, rtol=0, atol=1e-6)
    # A middle frame's track keeps to its 8 frames each side; frame 25 is within them, frame 20 is not.
    earlier = list(frames)
    earlier[20] = frames[20] * 1.2
    np.testing.assert_array_equal(last[30].rgb, restore(earlier, settings, wanted={30})[30].rgb)
    assert settings.behind >= 2 * settings.deflicker_window


@ALL_BACKENDS
def test_a_persistent_scratch_is_removed_and_picture_lines_kept(pixels: Pixels) -> None:
    # A soft, low-contrast picture: at 48 lines the bands are too short to average real texture away.
    clean = [0.2 + 0.3 * (y - 0.2) for y in scene(7, pan=2, blur=4.0)]
    for t, frame in enumerate(clean):
        frame[:, 40 - 2 * t] = 0.05  # a thin dark line of the picture, moving with the pan
    damaged = [f.copy() for f in clean]
    for frame in damaged:
        frame[:, 20] += 0.15  # a bright scratch fixed to the film
    out = restore(damaged, RestoreSettings(dust=False, deflicker=False, grain=0.0), pixels=pixels)[3]
    assert (out.defect[:, 20] > 0.5).mean() > 0.8
    residual = np.abs(out.rgb[:, 20, 0] - clean[3][:, 20]).mean()
    assert residual < 0.25 * 0.15
    np.testing.assert_allclose(out.rgb[:, 40 - 6, 0], clean[3][:, 40 - 6], atol=1e-6)


@ALL_BACKENDS
def test_under_a_still_camera_a_scratch_that_arrived_is_removed_and_stays_removed(pixels: Pixels) -> None:
    # A still camera over a fence of random slats (and the rails across them), whose column
    # structure hides a bright scratch on one flat plank: it arrives in frame 14. It is found by
    # its change from the frames before; the neighbours carry it in the same column, and they
    # are cleaned too: neither the denoiser averages it back nor the dust test takes its absence
    # for dust.
    height, width = 120, 160
    fence = np.random.default_rng(12).uniform(0.1, 0.4, width).astype(np.float32)
    fence[56:69] = 0.25
    rails = np.where(np.arange(height) % 40 < 6, 0.7, 1.0).astype(np.float32)
    clean = fence[None, :] * rails[:, None]
    frames = grainy([clean] * 21, 0.005)
    scratch = 0.18 * np.exp(-0.5 * ((np.arange(width) - 62.0) / 0.6) ** 2).astype(np.float32)
    for frame in frames[14:]:
        frame += scratch
    out = restore(frames, RestoreSettings(deflicker=False), pixels=pixels, wanted={20})[20]
    residual = np.abs(luminance(out) - clean)[:, 60:65].mean()
    assert residual < 0.1 * np.abs(frames[20] - clean)[:, 60:65].mean()
    assert (out.defect[:, 62] > 0.5).all()
    assert np.abs(luminance(out) - clean)[:, :50].mean() < 0.005


@ALL_BACKENDS
def test_under_a_still_camera_a_scratch_that_arrived_is_removed_on_down_over_a_bright_floor(pixels: Pixels) -> None:
    # A still camera over a dark fence above a bright grainy floor. A bright scratch arrives in
    # frame 14 and runs down the whole frame: over the fence its change stands out far, over the
    # floor (which it brightens less) by a few of the change's spreads, under the threshold.
    height, width = 120, 160
    fence = np.random.default_rng(12).uniform(0.1, 0.4, width).astype(np.float32)
    floor = 0.6 + 0.05 * np.random.default_rng(13).uniform(-1.0, 1.0, width).astype(np.float32)  # paving
    clean = np.where(np.arange(height)[:, None] < 60, fence[None, :], floor[None, :]).astype(np.float32)
    frames = grainy([clean] * 21, 0.02)
    opacity = 0.3 * np.exp(-0.5 * ((np.arange(width) - 62.0) / 0.6) ** 2).astype(np.float32)
    for frame in frames[14:]:
        frame += opacity * (1.0 - frame)
    out = restore(frames, RestoreSettings(deflicker=False), pixels=pixels, wanted={20})[20]
    below = (slice(75, 120), 62)
    assert (out.defect[:60, 62] > 0.5).all()
    assert (out.defect[below] > 0.5).mean() > 0.9
    assert np.abs(luminance(out) - clean)[below].mean() < 0.5 * np.abs(frames[20] - clean)[below].mean()


@ALL_BACKENDS
def test_under_a_still_camera_a_scratch_that_lasted_is_removed_from_the_neighbours_too(pixels: Pixels) -> None:
    # A grainy still shot of a soft wall with a scratch in every frame, found in some bands as a
    # line that lasted (there from the start, it has no change from the earlier frames). Once the
    # earlier frames show the camera held still, the neighbours hold it in the same column and
    # are cleaned of it too: left in them, the denoiser averaged a third of it back.
    height, width = 240, 160
    wall = 0.2 + 0.3 * (scene(1, width, height, blur=4.0)[0] - 0.2)
    frames = grainy([wall] * 21, 0.03)
    scratch = 0.08 * np.exp(-0.5 * ((np.arange(width) - 80.0) / 0.6) ** 2).astype(np.float32)
    for frame in frames:
        frame += scratch
    out = restore(frames, RestoreSettings(deflicker=False), pixels=pixels, wanted={20})[20]
    residual = np.abs(luminance(out) - wall)[:, 78:83].mean()
    assert residual < 0.25 * np.abs(frames[20] - wall)[:, 78:83].mean()


@ALL_BACKENDS
def test_colour_keeps_its_chroma(pixels: Pixels) -> None:
    clean = scene(8)
    tint = np.array([1.4, 0.9, 0.6], np.float32) / (np.array([1.4, 0.9, 0.6], np.float32) @ WEIGHTS)
    frames = [grey_rgb(y) * tint for y in grainy(clean, 0.02)]
    frames[3][20:24, 30:34] = 0.0
    out = restore(frames, rgb=True, pixels=pixels)[3]
    chroma = out.rgb / (out.rgb @ WEIGHTS)[..., None]
    np.testing.assert_allclose(np.median(chroma.reshape(-1, 3), axis=0), tint, rtol=0.01)
    np.testing.assert_allclose(chroma[21:23, 31:33].reshape(-1, 3), np.tile(tint, (4, 1)), rtol=0.05)


def test_nothing_is_borrowed_across_a_cut() -> None:
    first, second = scene(5, seed=4), [0.6 - y for y in scene(6, seed=9, blur=3.0)]
    frames = grainy(first + second, 0.01)
    cuts: list[int] = []
    restorer = Restorer(RestoreSettings(), 48, 64, WEIGHTS, on_cut=cuts.append)
    plates = (restorer.prepare(i, source(grey_rgb(f))) for i, f in enumerate(frames))
    together = {r.frame: r for r in restorer.run(plates, set(range(11)))}
    assert cuts == [5]
    alone = restore(frames[5:])
    for t in range(5, 11):
        np.testing.assert_array_equal(together[t].rgb, alone[t - 5].rgb)


@pytest.mark.parametrize("quality", ["fast", "balanced", "refined", "medium"])
def test_a_cut_between_alike_scenes_is_found_whatever_the_motion_quality(quality: str) -> None:
    # Two synthetic scenes of the same kind: a finer field explains more of the other one (the
    # cut scores 0.51 with the fast field, 0.44 and 0.43 with balanced and medium, under the 0.45
    # threshold); cuts are judged on a fast field of their own.
    size = {"width": 128, "height": 72, "blur": 2.0}
    frames = scene(3, pan=1, seed=4, **size) + scene(3, pan=0, seed=9, **size)
    cuts: list[int] = []
    settings = RestoreSettings(dust=False, scratches=False, grain=0.0, flow_quality=quality)
    restorer = Restorer(settings, 72, 128, WEIGHTS, on_cut=cuts.append)
    plates = (restorer.prepare(i, source(grey_rgb(f))) for i, f in enumerate(frames))
    list(restorer.run(plates, set()))
    assert cuts == [3]


@ALL_BACKENDS
def test_an_infrared_channel_marks_defects(pixels: Pixels) -> None:
    clean = scene(6)
    frames = []
    for t, y in enumerate(grainy(clean, 0.01)):
        infrared = np.ones_like(y)
        if t == 2:
            y[8:11, 8:11] = 0.4
            infrared[8:11, 8:11] = 0.2
        frames.append(np.dstack([grey_rgb(y), infrared]))
    height, width = clean[0].shape
    restorer = Restorer(RestoreSettings(dust_strength=0.0), height, width, WEIGHTS, pixels=pixels)
    plates = (restorer.prepare(i, source(f, ("R", "G", "B", "IR"))) for i, f in enumerate(frames))
    out = {r.frame: r for r in restorer.run(plates, {2})}[2]
    assert (out.defect[8:11, 8:11] == 1.0).all()
    np.testing.assert_allclose(out.rgb[8:11, 8:11, 0], clean[2][8:11, 8:11], atol=0.03)


@ALL_BACKENDS
def test_the_still_neighbours_of_a_side_end_where_the_picture_has_moved(pixels: Pixels) -> None:
    """A jolt: the frames four away from the middle one are the picture moved 4 px. The
    neighbours beyond them (their chained motion back to nothing) are left out with them: on each
    side the still-picture neighbours end at the first one under which the picture has moved."""
    clean = scene(11, pan=0)
    for t in (1, 9):
        clean[t] = np.roll(clean[t], 4, axis=1)
    frames = grainy(clean, 0.03)
    settings = RestoreSettings(deflicker=False, dust=False, scratches=False)
    out = {radius: restore(frames, replace(settings, radius=radius), pixels=pixels, wanted={5}) for radius in (3, 5)}
    np.testing.assert_array_equal(luminance(out[5][5]), luminance(out[3][5]))


def test_a_far_neighbours_flow_is_chained_from_the_one_a_link_nearer(monkeypatch: pytest.MonkeyPatch) -> None:
    """The flows into the far neighbours of a frame, asked nearest first, each cost one link on the
    chain kept for the frame, and are what the chain made afresh gives, on both sides."""
    frames = grainy(scene(17, pan=0), 0.03)  # the picture stands still: every far neighbour joins
    made = Restorer._flow_into
    links: list[int] = []
    far: list[int] = []
    checking: list[bool] = []  # (the chain made afresh, to compare)

    def linked(first: np.ndarray, second: np.ndarray) -> np.ndarray:
        links.append(1)
        return compose(first, second)

    def checked(self, slots, centre, position, chained):  # type: ignore[no-untyped-def]
        if checking or abs(position - centre) <= pipeline.FULL_REACH or position in chained:
            return made(self, slots, centre, position, chained)
        before = len(links)
        flow = made(self, slots, centre, position, chained)
        assert len(links) == before + 1, (centre, position)  # one link on the kept chain
        checking.append(True)
        np.testing.assert_array_equal(flow, made(self, slots, centre, position, {}))
        checking.clear()
        far.append(position - centre)
        return flow

    monkeypatch.setattr(pipeline, "compose", linked)
    monkeypatch.setattr(Restorer, "_flow_into", checked)
    restore(frames, RestoreSettings(deflicker=False, dust=False, scratches=False, radius=8), wanted={8})
    assert sorted(far) == [-8, -7, -6, -5, -4, 4, 5, 6, 7, 8]


@ALL_BACKENDS
def test_the_grain_filter_takes_a_near_neighbour_as_it_is_where_the_picture_stands_still(pixels: Pixels) -> None:
    # A warp by the hundredths of a pixel the flow finds in a still picture's grain only softens
    # the neighbour: under SETTLED_MOTION the grain filter takes the neighbour as it is (its
    # exposure matched), from twice that on the warp; a frame too little of which stands still
    # keeps its warp throughout. The dust test's witness keeps its warp everywhere.
    h, w = 48, 64
    rng = np.random.default_rng(5)
    restorer = Restorer(RestoreSettings(), h, w, WEIGHTS, pixels=pixels)
    centre, other = (restorer.prepare(i, source(grey_rgb(0.2 + 0.2 * rng.random((h, w))))) for i in (0, 1))
    flow = np.zeros((h, w, 2), np.float32)
    flow[:, :24, 0] = 0.5 * pipeline.SETTLED_MOTION  # still
    flow[:, 24:40, 0] = 1.5 * pipeline.SETTLED_MOTION  # half way
    flow[:, 40:, 0] = 0.7  # moving
    log_exposure = np.full((1, 1), np.log(1.21), np.float32)  # the neighbour 21 % brighter
    near = restorer._neighbour(centre, _Slot(other, None, False), Motion(flow, -flow), log_exposure)
    warped, own = pixels.download(near.seen.signal), other.v / 1.1
    settled = pixels.download(restorer._settled(near, centre, None, {}).signal)
    np.testing.assert_allclose(settled[:, :24], own[:, :24], rtol=1e-5)
    np.testing.assert_allclose(settled[:, 26:38], 0.5 * (own + warped)[:, 26:38], rtol=1e-5)
    np.testing.assert_array_equal(settled[:, 44:], warped[:, 44:])
    np.testing.assert_array_equal(pixels.download(near.seen.signal), warped)  # the witness as it was
    as_is = pixels.download(restorer._settled(near, centre, None, {}).as_is)  # for the grain filter
    np.testing.assert_allclose(as_is[:, :24], 1.0)
    np.testing.assert_allclose(as_is[:, 26:38], 0.5, rtol=1e-5)
    np.testing.assert_array_equal(as_is[:, 44:], 0.0)
    flow[:] = 0.7
    moving = restorer._neighbour(centre, _Slot(other, None, False), Motion(flow, -flow), log_exposure)
    assert restorer._settled(moving, centre, None, {}) is moving.seen


@ALL_BACKENDS
def test_the_grain_filter_holds_a_warp_of_detailed_picture_to_a_tighter_tolerance(pixels: Pixels) -> None:
    # A warp differs from the frame by more than grain where the picture is detailed, in ways a small
    # patch cannot tell from grain: there a warped neighbour gets a share of the tolerance (falling
    # to WARPED_TOLERANCE), while a neighbour taken as it is keeps it all. The neighbour here is
    # 0.04 off everywhere: a patch distance of four grain variances, two beyond what grain explains.
    h, w = 24, 24
    restorer = Restorer(RestoreSettings(), h, w, WEIGHTS, pixels=pixels)
    sigma = np.full((h, w), 0.02, np.float32)
    flat = np.full((h, w), 0.5, np.float32)
    stripes = np.tile(np.array([0.3, 0.7], np.float32), (h, w // 2))  # any 5 columns: 0.0384 variance
    tolerance = 0.5 + 5.0 * RestoreSettings().grain  # grain variances

    def pulled(signal: np.ndarray, as_is: float) -> float:
        """How far the average moves the centre pixel towards the neighbour, as its weight."""
        off = pixels.upload(signal + 0.04)
        seen = dust.Seen(off, pixels.ones((h, w)), off, pixels.ones((h, w)), as_is=as_is)
        fused, _ = restorer._temporal_average(pixels.upload(signal), [seen], pixels.upload(sigma**2))
        moved = (float(pixels.download(fused)[12, 12]) - signal[12, 12]) / 0.04
        return moved / (1.0 - moved)  # the average is (s + weight * (s + 0.04)) / (1 + weight)

    whole = np.exp(-2.0 / tolerance)
    assert pulled(flat, 0.0) == pytest.approx(whole, rel=5e-3)  # flat: the warp keeps it all
    assert pulled(flat, 1.0) == pytest.approx(whole, rel=5e-3)
    assert pulled(stripes, 1.0) == pytest.approx(whole, rel=5e-3)  # as it is: all of it
    texture = (0.0384 - 0.0004) / 0.0004  # grain variances beyond the grain
    scale = denoise.TEXTURE_SCALE
    share = (scale + denoise.WARPED_TOLERANCE * texture) / (scale + texture)
    assert pulled(stripes, 0.0) == pytest.approx(np.exp(-2.0 / (tolerance * share)), rel=5e-3)
    assert pulled(stripes, 0.0) < 0.8 * whole


@ALL_BACKENDS
def test_a_witness_shows_what_a_mover_uncovered_where_the_camera_leaves_it(pixels: Pixels) -> None:
    # A still camera, and a mover 6 px a frame (columns 20..43) whose motion the flow also smeared
    # over the picture it uncovered (12..19), where the flows both ways disagree. The motion filled
    # in from around that strip mixed the mover's into it: the witness showed other picture there
    # (0.24 off), a spike like dust. Where the camera's motion shows the frame's own picture, the
    # witness takes it.
    h, w = 48, 64
    picture = (0.1 + 0.3 * np.random.default_rng(4).random((h, w))).astype(np.float32)
    restorer = Restorer(RestoreSettings(deflicker=False), h, w, WEIGHTS, pixels=pixels)
    centre, other = (restorer.prepare(i, source(grey_rgb(picture))) for i in (0, 1))
    to_reference, to_target = np.zeros((h, w, 2), np.float32), np.zeros((h, w, 2), np.float32)
    to_reference[12:36, 12:44, 0] = 6.0
    to_target[12:36, 26:50, 0] = -6.0  # only the mover's own pixels agree both ways
    witness = restorer._neighbour(centre, _Slot(other, None, False), Motion(to_reference, to_target), np.zeros((1, 1)))
    assert (witness.consistency[12:36, 12:20] < 0.5).all()
    restorer._bridge(witness, centre)
    uncovered = np.s_[16:32, 12:18]
    np.testing.assert_allclose(pixels.download(witness.seen.bridged)[uncovered], centre.v[uncovered], atol=1e-5)
