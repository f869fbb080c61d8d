"""Gate weave removal: the weave measurement itself, the similarity fit, weave removed and pans kept,
cuts restart the path, stabilise off changes nothing, chunked equals whole, and the CLI switch."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import ALL_BACKENDS
from tests.core.restore.scenes import WEIGHTS, grey_rgb, scene, source, write_sequence
from tests.weave import Weave, apply_weave, estimate_weave, measure_residual, residual_of, weave
from tinct.core.imageio import read_image
from tinct.core.keyframe_colorize import OutputOptions
from tinct.core.pixels import Pixels
from tinct.core.restore import Restored, RestoreJob, Restorer, RestoreRequest, RestoreSettings, stabilise
from tinct.core.sequence import parse_sequence

ONLY_STABILISE = RestoreSettings(dust=False, scratches=False, deflicker=False, grain=0.0, stabilise=True)
SIZE = {"width": 128, "height": 72, "blur": 2.0}


def restore(frames: list[np.ndarray], settings: RestoreSettings) -> dict[int, Restored]:
    height, width = frames[0].shape[:2]
    restorer = Restorer(settings, height, width, WEIGHTS)
    plates = (restorer.prepare(i, source(f if f.ndim == 3 else grey_rgb(f))) for i, f in enumerate(frames))
    return {r.frame: r for r in restorer.run(plates, set(range(len(frames))))}


def weaved(clean: list[np.ndarray], seed: int = 5, amplitude: float = 4.0) -> list[np.ndarray]:
    return [apply_weave(f, weave(seed, i, amplitude)) for i, f in enumerate(clean)]


def test_the_measurement_finds_a_known_weave() -> None:
    clean = scene(1, **SIZE)[0]
    for known in (Weave(1.3, -0.7, 0.2), Weave(-3.6, 2.1, -0.3), Weave(0.25, 0.0, 0.0)):
        found = estimate_weave(apply_weave(clean, known), clean)
        assert abs(found.dx - known.dx) < 0.01 and abs(found.dy - known.dy) < 0.01, found
        assert abs(found.angle - known.angle) < 0.01, found
    # A constant shift is no residual; an alternating one is all jitter.
    steady = residual_of([Weave(2.0, 1.0)] * 6, 72, 128)
    assert steady.rms < 1e-9 and steady.jitter < 1e-9
    shaking = residual_of([Weave(0.5 * (-1) ** k, 0.0) for k in range(6)], 72, 128)
    assert shaking.rms == pytest.approx(0.5) and shaking.jitter == pytest.approx(1.0 / math.sqrt(2))
    frames = scene(4, **SIZE)
    measured = measure_residual([apply_weave(f, Weave(0.3 * (-1) ** k)) for k, f in enumerate(frames)], frames)
    assert measured.rms == pytest.approx(0.3, abs=0.01)


def test_the_weave_is_a_pure_function_of_seed_and_frame_within_its_amplitudes() -> None:
    assert weave(3, 17) == weave(3, 17) != weave(4, 17)
    for correlation in (0.0, 0.6):
        shakes = [weave(1, f, 4.0, 0.3, correlation) for f in range(200)]
        assert max(math.hypot(w.dx, w.dy) for w in shakes) <= 4.0 + 1e-9
        assert max(abs(w.angle) for w in shakes) <= 0.3 + 1e-9
        assert np.std([w.dx for w in shakes]) > 1.0
    # A gate's weave leans on the frames before: its frame-to-frame steps are smaller.
    correlated = np.diff([weave(1, f, correlation=0.6).dx for f in range(200)])
    independent = np.diff([weave(1, f).dx for f in range(200)])
    assert np.std(correlated) < 0.8 * np.std(independent)


def test_the_similarity_is_fitted_robustly_to_the_flow() -> None:
    h, w = 72, 128
    truth = np.array([1.5, -0.75, math.radians(0.25), 0.0])
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float64)
    x, y = xs - (w - 1) / 2, ys - (h - 1) / 2
    m = stabilise.matrix(truth)
    flow = np.dstack([m[0, 0] * x + m[0, 1] * y + m[0, 2] - x, m[1, 0] * x + m[1, 1] * y + m[1, 2] - y])
    flow[10:40, 20:60] += (6.0, -3.0)  # a mover over a fifth of the frame
    flow = flow.astype(np.float32)
    valid = np.ones((h, w), np.float32)
    found = stabilise.fit_step(flow, valid, h, w)
    np.testing.assert_allclose(found, truth, atol=1e-4)
    assert stabilise.fit_step(flow, np.zeros((h, w), np.float32), h, w) is None
    zoom = stabilise.fit_step(flow * 0 + np.dstack([0.01 * x, 0.01 * y]).astype(np.float32), valid, h, w, scale=True)
    assert zoom[3] == pytest.approx(math.log(1.01), abs=1e-5)


def test_a_mover_over_much_of_the_frame_does_not_pull_the_fit_between_the_two_motions() -> None:
    # Hands over a table: 40 % of the frame moves its own way. Reweighting from a plain least-squares
    # start stayed between the motions (1 px off); the fit must find the frame's.
    h, w = 72, 128
    truth = np.array([-1.0, 0.5, math.radians(-0.2), 0.0])
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float64)
    x, y = xs - (w - 1) / 2, ys - (h - 1) / 2
    m = stabilise.matrix(truth)
    flow = np.dstack([m[0, 0] * x + m[0, 1] * y + m[0, 2] - x, m[1, 0] * x + m[1, 1] * y + m[1, 2] - y])
    flow[:, : int(0.4 * w)] += (2.5, -2.0)
    flow += np.random.default_rng(1).normal(0.0, 0.1, flow.shape)  # the flow's own noise
    found = stabilise.fit_step(flow.astype(np.float32), np.ones((h, w), np.float32), h, w)
    np.testing.assert_allclose(found, truth, atol=0.01)


def test_weave_is_removed_from_a_steady_shot() -> None:
    clean = scene(40, pan=0, **SIZE)
    shaky = weaved(clean)
    before = measure_residual(shaky, clean)
    out = restore(shaky, RestoreSettings(stabilise=True))
    after = measure_residual([out[t].rgb[..., 0] for t in range(40)], clean)
    assert before.jitter > 2.0
    assert after.jitter < 0.3, after  # the target (0.14-0.24 px away from the shot's ends)
    assert after.rms < 1.5, after  # what drifts slowly is the weave's share no stabiliser can tell from a camera move


def test_a_pan_is_kept_and_its_weave_removed() -> None:
    clean = scene(40, pan=2, **SIZE)
    out = restore(weaved(clean, seed=8), ONLY_STABILISE)
    after = measure_residual([out[t].rgb[..., 0] for t in range(40)], clean)
    # A stabiliser that took the pan for weave would leave up to 2 px per frame, 40 px over the shot.
    assert after.jitter < 0.3 and after.rms < 1.5, after
    assert abs(np.mean([w.dx for w in after.weaves])) < 1.0


def _path_followed(camera: np.ndarray, window: int, fixed: bool) -> np.ndarray:
    """The intended path :func:`stabilise.smooth_at` draws through ``camera`` ((n, 2) shifts) under
    a 4 px weave at each frame with a whole window each side; ``fixed``: the whole window's fit alone."""
    rng = np.random.default_rng(3)
    n = len(camera)
    radius, direction = 4.0 * np.sqrt(rng.random(n)), 2 * np.pi * rng.random(n)
    raw = np.zeros((n, 4))
    raw[:, :2] = camera + np.stack([radius * np.cos(direction), radius * np.sin(direction)], axis=1)
    spans = () if fixed else stabilise.SHORTER_SPANS
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(stabilise, "SHORTER_SPANS", spans)
        return np.array(
            [
                stabilise.smooth_at(raw[c - window : c + window + 1], window, window)[:2]
                for c in range(window, n - window)
            ]
        )


def test_a_pan_that_starts_at_once_is_followed_from_its_first_frames() -> None:
    # A camera that holds still, then swings into a fast pan (a car turning): a fit over the whole
    # window rounds the corner off for frames each side of it and takes that part of the camera's
    # move out as if it were weave; shorter fits near the corner keep it.
    window, t = 12, np.arange(96.0)
    camera = np.stack([np.where(t < 48, 0.0, 15.0 * (t - 48)), 0.0 * t], axis=1)
    error = {fixed: _path_followed(camera, window, fixed) - camera[window:-window] for fixed in (True, False)}
    near = slice(40 - window, 57 - window)
    rms = {fixed: float(np.sqrt(np.mean(np.sum(e[near] ** 2, axis=1)))) for fixed, e in error.items()}
    assert rms[False] < 0.8 * rms[True], rms
    # Away from the corner, where the camera is still, the whole window still averages the weave.
    np.testing.assert_allclose(error[False][:20], error[True][:20], atol=1e-6)


def test_a_steady_pan_is_smoothed_over_the_whole_window() -> None:
    window, t = 12, np.arange(64.0)
    camera = np.stack([1.5 * t + 0.01 * t * t, -0.5 * t], axis=1)
    np.testing.assert_allclose(_path_followed(camera, window, False), _path_followed(camera, window, True), atol=0.05)


def test_a_cut_restarts_the_camera_path() -> None:
    first = weaved(scene(16, pan=1, seed=1, **SIZE), seed=1)
    cut_to = [weaved(scene(16, pan=0, seed=s, **SIZE), seed=s) for s in (2, 3)]
    a = restore(first + cut_to[0], ONLY_STABILISE)
    b = restore(first + cut_to[1], ONLY_STABILISE)
    for t in range(16):  # nothing after the cut moves the frames before it
        np.testing.assert_array_equal(a[t].rgb, b[t].rgb)
    alone = restore(cut_to[0], ONLY_STABILISE)
    for t in range(16):  # nor the other way round
        np.testing.assert_array_equal(a[16 + t].rgb, alone[t].rgb)
    after = measure_residual([a[16 + t].rgb[..., 0] for t in range(16)], scene(16, pan=0, seed=2, **SIZE))
    assert after.jitter < 0.4, after


def test_stabilise_off_changes_nothing() -> None:
    assert (RestoreSettings().behind, RestoreSettings().ahead) == (50, 12)
    assert RestoreSettings(stabilise_window=40) == RestoreSettings(stabilise_window=40, stabilise=False)
    assert (RestoreSettings(stabilise_window=40).behind, RestoreSettings(stabilise_window=40).ahead) == (50, 12)
    frames = weaved(scene(8, **SIZE))
    plain = restore(frames, RestoreSettings())
    window = restore(frames, RestoreSettings(stabilise_window=4))
    for t in range(8):
        np.testing.assert_array_equal(plain[t].rgb, window[t].rgb)
    off = RestoreSettings(dust=False, scratches=False, deflicker=False, grain=0.0)
    for t, r in restore(frames, off).items():
        np.testing.assert_array_equal(r.rgb, grey_rgb(frames[t]))


def test_handles_include_the_stabilise_window() -> None:
    on = RestoreSettings(stabilise=True, stabilise_window=30, scratches=False)
    assert (on.behind, on.ahead) == (30, 30)
    assert (ONLY_STABILISE.behind, ONLY_STABILISE.ahead) == (12, 12)


@ALL_BACKENDS
def test_values_above_one_negatives_and_extra_channels_move_with_the_picture(pixels: Pixels) -> None:
    clean = scene(12, **SIZE)
    for frame in clean:
        frame[30:42, 50:62] = 6.0
        frame[10:22, 90:102] = -0.02
    frames = [np.dstack([grey_rgb(f), f]) for f in weaved(clean, amplitude=2.0)]
    height, width = frames[0].shape[:2]
    restorer = Restorer(ONLY_STABILISE, height, width, WEIGHTS, pixels=pixels)
    plates = (restorer.prepare(i, source(f, ("R", "G", "B", "A"))) for i, f in enumerate(frames))
    out = {r.frame: r for r in restorer.run(plates, {6})}[6]
    alpha = out.extras["A"]
    np.testing.assert_allclose(alpha, out.rgb[..., 0], atol=1e-6)
    assert out.rgb.max() > 5.9 and out.rgb.min() < -0.019
    assert 0.0 <= out.defect.min() and out.defect.max() <= 1.0


@ALL_BACKENDS
def test_a_chunked_render_equals_a_whole_one_with_stabilise(tmp_path: Path, pixels: Pixels) -> None:
    frames = weaved(scene(14, width=64, height=48))
    frames[5][20:24, 30:34] = 0.0
    source_pattern = write_sequence(tmp_path / "src", frames)
    settings = RestoreSettings(stabilise=True, stabilise_window=4)

    def run(out: str, chunk: list[int] | None) -> None:
        RestoreJob(
            RestoreRequest(
                source=parse_sequence(source_pattern),
                output=parse_sequence(str(tmp_path / out / "shot.####.exr")),
                frames=chunk,
                settings=settings,
                output_options=OutputOptions(pixel_type="float"),
                pixels=pixels,
            )
        ).run()

    run("whole", None)
    for chunk in ([1001, 1002, 1003, 1004], [1005, 1006, 1007, 1008, 1009], [1010, 1011, 1012, 1013, 1014]):
        run("chunked", chunk)
    for frame in range(1001, 1015):
        whole = read_image(tmp_path / "whole" / f"shot.{frame}.exr").pixels
        np.testing.assert_array_equal(whole, read_image(tmp_path / "chunked" / f"shot.{frame}.exr").pixels)
    assert not np.array_equal(
        read_image(tmp_path / "whole" / "shot.1007.exr").pixels[..., 0], frames[6]
    )  # it did move the picture


def test_the_cli_switch_reaches_the_engine(tmp_path: Path) -> None:
    from tinct.nodes.restore import RESTORE, restore_settings
    from tinct.plugin.cli.arguments import node_request
    from tinct.plugin.cli.main import build_parser

    pattern = write_sequence(tmp_path / "src", scene(3, width=64, height=48))
    args = build_parser().parse_args(["restore", pattern, "-o", str(tmp_path / "o.####.exr"), "--stabilise"])
    settings = restore_settings(node_request(args, RESTORE).parameters)
    assert settings.stabilise and settings.stabilise_window == 12
    args = build_parser().parse_args(["restore", pattern, "-o", "o.####.exr", "--stabilise", "false"])
    assert not restore_settings(node_request(args, RESTORE).parameters).stabilise
    assert RESTORE.command_line({"source": "a.####.exr"}, "b.####.exr", {"stabilise": True})[-2:] == [
        "--stabilise",
        "true",
    ]


def test_an_identity_correction_returns_the_frame_itself() -> None:
    image = np.arange(24, dtype=np.float32).reshape(4, 6)
    assert stabilise.apply(image, np.eye(3)) is image
    assert np.array_equal(stabilise.correction([], 0), np.eye(3))
    wide = np.ones((8, 8, 6), np.float32)
    shifted = stabilise.apply(wide, stabilise.matrix(np.array([0.5, 0.0, 0.0, 0.0])))
    assert shifted.shape == wide.shape
    np.testing.assert_allclose(shifted, 1.0, atol=1e-5)
