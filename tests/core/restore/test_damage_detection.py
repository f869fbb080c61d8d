"""The restore engine against the harder damage of the generator (issue #14, parts 3 and 5): thin
curved hairs, soft semi-transparent blotches, and scratches that stay in one column for the whole
shot (with and without a slight wobble), over tiny moving scenes; and nothing flagged on clean ones.

The real engine runs (:class:`Restorer`, default settings but deflicker); the truth is the
generator's. "Visible" pixels are those whose sRGB-encoded value the defect changed by more than a
few percent. Scratch shots are 100 frames, 96x216: the scratch detector averages each frame down
horizontal bands, and bands of a 72-line frame are too short to average any picture texture away.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.benchmarks.metrics import GrainEnergy
from tests.core.restore.scenes import WEIGHTS, grey_rgb, scene, source
from tests.damage import Damaged, DamageSpec, FilmDamage
from tinct.core.flow import srgb_encode
from tinct.core.restore import Restored, Restorer, RestoreSettings

# Only grain besides the damage under test (the clean reference gets the same grain).
QUIET = dict(softness=0.0, flicker=0.0, regional_flicker=0.0, grain=0.02, dust=0.0, blotches=0.0, scratches=0.0)
SETTINGS = RestoreSettings(deflicker=False)


def restore(frames: list[np.ndarray]) -> dict[int, Restored]:
    height, width = frames[0].shape
    restorer = Restorer(SETTINGS, height, width, WEIGHTS)
    plates = (restorer.prepare(i, source(grey_rgb(f))) for i, f in enumerate(frames))
    return {r.frame: r for r in restorer.run(plates, set(range(len(frames))))}


def shot(
    count: int, spec: DamageSpec, width: int, height: int, pan: int, seed: int, blur: float = 1.5
) -> tuple[list[np.ndarray], list[Damaged]]:
    """The grainy clean frames (the reference) and the damaged ones, of one panning scene."""
    clean = scene(count, width, height, pan=pan, seed=seed, blur=blur)
    grain_only = FilmDamage(DamageSpec(**{**QUIET, "seed": spec.seed}), width, height)
    damage = FilmDamage(spec, width, height)
    return [grain_only.damage(c, i).frame for i, c in enumerate(clean)], [
        damage.damage(c, i) for i, c in enumerate(clean)
    ]


def encoded(y: np.ndarray) -> np.ndarray:
    return np.clip(srgb_encode(np.maximum(y, 0.0)), 0.0, 1.0)


def scores(reference: list[np.ndarray], hurt: list[Damaged], out: dict[int, Restored], truth: str, frames: range):
    """Over ``frames``: the share of visible defect pixels flagged, and the mean sRGB error on them
    before and after the repair."""
    flagged, before, after = [], [], []
    for i in frames:
        opacity = getattr(hurt[i], truth)
        change = np.abs(encoded(hurt[i].frame) - encoded(reference[i]))
        visible = (opacity > 0.1) & (change > 0.05)
        flagged.append(out[i].defect[visible] > 0.5)
        before.append(change[visible])
        after.append(np.abs(encoded(out[i].rgb @ WEIGHTS) - encoded(reference[i]))[visible])
    flagged, before, after = (np.concatenate(x) for x in (flagged, before, after))
    assert flagged.size > 100, "expected visible damage"
    return flagged.mean(), before.mean(), after.mean()


@pytest.mark.parametrize(("pan", "seed"), [(1, 1), (2, 3)])
def test_thin_curved_hairs_are_found_and_repaired(pan: int, seed: int) -> None:
    # About three hairs a frame, 1-2 px wide and 40-100 px long at 72 lines.
    spec = DamageSpec(
        **{**QUIET, "seed": seed, "hairs": 600.0, "hair_width": (15.0, 30.0), "hair_length": (600.0, 1500.0)}
    )
    reference, hurt = shot(10, spec, 128, 72, pan, seed)
    out = restore([h.frame for h in hurt])
    recall, before, after = scores(reference, hurt, out, "hairs", range(2, 8))
    assert recall > 0.8
    assert after < 0.25 * before


@pytest.mark.parametrize(("pan", "seed"), [(1, 1), (0, 5)])
def test_soft_semi_transparent_blotches_are_found_and_repaired(pan: int, seed: int) -> None:
    # Two or three a frame, 7-13 px radius at 72 lines, feathered, 20-60 % opaque.
    spec = DamageSpec(**{**QUIET, "seed": seed, "soft_blotches": 500.0, "soft_blotch_radius": (100.0, 200.0)})
    reference, hurt = shot(10, spec, 128, 72, pan, seed)
    out = restore([h.frame for h in hurt])
    recall, before, after = scores(reference, hurt, out, "soft_blotches", range(2, 8))
    assert recall > 0.6  # the feathered rims fade into the grain
    assert after < 0.35 * before


def _static_scratch_shot(pan: int, wobble: float, seed: int) -> tuple[float, float, float, float]:
    """A 100-frame shot with one static scratch: (recall, error before, after, share of frames in
    which the scratch's column is flagged)."""
    # Wobble is in pixels at 1080 lines: 2.0 is 0.4 px std here (clipped at 1.2 px).
    spec = DamageSpec(
        **{
            **QUIET,
            "seed": seed,
            "static_scratches": 1,
            "static_scratch_wobble": wobble,
            "scratch_contrast": (0.25, 0.35),
        }
    )
    count = 100
    reference, hurt = shot(count, spec, 96, 216, pan, seed, blur=4.0)
    out = restore([h.frame for h in hurt])
    frames = range(2, count - 2)
    recall, before, after = scores(reference, hurt, out, "scratches", frames)
    column = round(FilmDamage(spec, 96, 216).static_scratches()[0].x0 * 96)
    seen = np.mean([(out[i].defect[:, column - 2 : column + 3] > 0.5).mean(axis=0).max() > 0.3 for i in frames])
    return recall, before, after, float(seen)


@pytest.mark.parametrize(("pan", "wobble", "seed"), [(2, 0.0, 1), (2, 2.0, 2), (3, 2.0, 4)])
def test_a_static_scratch_under_a_pan_is_found_and_removed_all_shot_long(pan: int, wobble: float, seed: int) -> None:
    recall, before, after, seen = _static_scratch_shot(pan, wobble, seed)
    assert seen > 0.8  # (the first frames of a pan have no moved picture yet)
    assert recall > 0.6
    assert after < 0.4 * before


@pytest.mark.xfail(
    strict=True,
    reason="a static camera gives no motion to tell a static scratch of ordinary contrast from a "
    "vertical line of the picture (found down the whole frame, it would be, but so would the grid of a "
    "cutting mat), and one there from the shot's first frame to its last shows no change from earlier "
    "frames or later ones either (issue #14 part 3)",
)
@pytest.mark.parametrize(("wobble", "seed"), [(0.0, 1), (2.0, 2)])
def test_a_static_scratch_on_a_static_camera_is_found_and_removed(wobble: float, seed: int) -> None:
    recall, before, after, seen = _static_scratch_shot(0, wobble, seed)
    assert seen > 0.85 and recall > 0.6 and after < 0.4 * before


@pytest.mark.parametrize(("width", "height", "pan", "blur"), [(128, 72, 1, 1.5), (128, 72, 0, 1.5), (96, 216, 2, 4.0)])
def test_nothing_is_flagged_on_clean_footage(width: int, height: int, pan: int, blur: float) -> None:
    reference, _ = shot(12, DamageSpec(**QUIET), width, height, pan, seed=7, blur=blur)
    for r in restore(reference).values():
        assert (r.defect > 0.5).sum() == 0, r.frame


@pytest.mark.parametrize(("pan", "seed"), [(1, 3), (0, 6)])
def test_repaired_dust_is_as_grainy_as_its_surroundings(pan: int, seed: int) -> None:
    # Grainy footage with specks a few pixels wide: a repair that is a flat patch (frozen grain),
    # or that keeps more grain than the denoised picture around it (a plain median of the
    # neighbours: a ratio near 2), shows in the high-pass energy ratio.
    spec = DamageSpec(**{**QUIET, "seed": seed, "grain": 0.05, "dust": 400.0, "dust_radius": (25.0, 45.0)})
    _, hurt = shot(10, spec, 192, 108, pan, seed, blur=2.0)
    out = restore([h.frame for h in hurt])
    energy = GrainEnergy()
    for i in range(2, 8):
        repaired = (out[i].defect > 0.5) & (hurt[i].dust > 0.5)
        energy.update(encoded(out[i].rgb @ WEIGHTS), repaired, (hurt[i].dust > 0.05) & ~repaired)
    assert 0.7 < energy.ratio() < 1.3
