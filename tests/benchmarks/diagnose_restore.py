"""Where Restore's remaining error lies, on the real clips of bench_restore (a diagnostic, not the benchmark of record).

    .venv/bin/python -m tests.benchmarks.diagnose_restore [--clips NAME ...] [--frames 30]
        [--real-shots DIR] [--out bench-out/restore-diagnosis] [--maps]

Each clip's first ``--frames`` frames are damaged exactly as bench_restore's real section damages
them (``REAL_DAMAGE`` seeded 2000 + the clip's place in ``REAL_CLIPS``) and restored in this process
by the engine (:class:`tinct.core.restore.Restorer`, the Restore node's defaults), three times: the
same frames, with different pictures to measure motion on (the uint8 flow guides of
:func:`tinct.core.restore.frames.motion_guide`):

- ``as is``: the damaged frames' own guides (what Tinct does);
- ``no dust``: guides of the frames with their grain and flicker but without dust, blotches and
  scratches (how much damage spoils the motion it is repaired with);
- ``clean``: guides of the clean frames (motion as good as these guides make it: an oracle).

Per run: mean PSNR (sRGB display, as bench_restore) and dust recall and precision (bench_restore's
definitions). For ``as is`` also: the share of the squared error on defect pixels (dust and
scratches of opacity over 0.05, grown by 2 pixels) and, elsewhere, on flat, middling and textured
pixels (the clean frame's gradient: its lower half, up to its 85th percentile, above); the PSNR
with every scratch pixel (opacity over 0.02) made perfect: what better scratch detection and removal
could gain at most; and the dust recall by how much a speck changes the picture (all clips
together): faint specks within the grain, or strong ones that the tests let go. ``--maps`` writes a strip per clip (its middle frame: clean, damaged, restored,
error x 6 about mid grey) to OUT/CLIP.png, to look at.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Iterator
from dataclasses import replace
from itertools import pairwise
from pathlib import Path

import cv2
import numpy as np

from tests.benchmarks.bench_restore import REAL_DAMAGE, grey, near_a_defect, prepare, shown
from tests.benchmarks.metrics import psnr
from tests.benchmarks.shots import REAL_CLIPS, BenchShot, build_real_footage
from tests.damage import Damaged, FilmDamage
from tinct.core.colour import ColourManager
from tinct.core.restore import Restorer
from tinct.core.restore.frames import RestoreFrame, motion_guide, signal
from tinct.core.sequence import parse_sequence
from tinct.core.source import SourcePlate
from tinct.nodes.restore import RESTORE, restore_settings

REPO = Path(__file__).resolve().parents[2]
GUIDES = ("as is", "no dust", "clean")
# Damage kinds left out of the ``no dust`` guides (each kind draws from its own random stream, so
# the grain and flicker stay those of the damaged frames).
UNDAMAGED = dict(dust=0.0, blotches=0.0, hairs=0.0, soft_blotches=0.0, scratches=0.0, static_scratches=0)
# Pixels of a defect (its opacity) and how far around it counts as the defect's.
DEFECT_OPACITY = 0.05
DEFECT_MARGIN = 2
# The clean frame's gradient quantiles that part flat, middling and textured pixels.
FLAT, TEXTURED = 50.0, 85.0
# Scratch pixels made perfect for the headroom (its faint flanks too).
SCRATCH_HEADROOM_OPACITY = 0.02
# How much a speck changes the picture (sRGB-encoded), the edges of the bins its recall is told in:
# the generator's grain is 0.035 at mid grey, so under about 0.075 a speck is within two of its deviations.
CHANGE_BINS = (0.0, 0.05, 0.1, 0.2, 1.01)


def error_shares(error: np.ndarray, defect: np.ndarray, clean: np.ndarray) -> dict[str, float]:
    """The squared ``error`` (H, W) summed on the ``defect`` pixels and on the others split by the
    ``clean`` frame's gradient (flat, mid, texture), each as a share of the whole."""
    smooth = cv2.GaussianBlur(clean.astype(np.float32), (0, 0), 1.0)
    gradient = np.hypot(cv2.Sobel(smooth, cv2.CV_32F, 1, 0), cv2.Sobel(smooth, cv2.CV_32F, 0, 1))
    rest = ~defect
    low, high = np.percentile(gradient[rest], [FLAT, TEXTURED]) if rest.any() else (0.0, 0.0)
    parts = {
        "defects": defect,
        "flat": rest & (gradient <= low),
        "mid": rest & (gradient > low) & (gradient <= high),
        "texture": rest & (gradient > high),
    }
    total = float(error.sum()) or 1.0
    return {name: float(error[mask].sum()) / total for name, mask in parts.items()}


def restore_with_guides(
    folder: Path, guide_luminance: Callable[[int], np.ndarray] | None, cm: ColourManager
) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Restore the EXR sequence in ``folder`` with the node's defaults, the flow guide of each frame
    made from ``guide_luminance(index)`` (None: its own): {index: (luminance, defect matte)}."""
    plate = SourcePlate(parse_sequence(str(folder / "shot.####.exr")), None, cm)
    restorer = Restorer(restore_settings(RESTORE.resolve({})), plate.height, plate.width, plate.weights)

    def plates() -> Iterator[RestoreFrame]:
        for index, frame in enumerate(plate.frames):
            made = restorer.prepare(frame, plate.read(frame))
            if guide_luminance is not None:
                made = replace(made, guide=motion_guide(restorer.geometry.shrink(signal(guide_luminance(index)))))
            yield made

    first = plate.frames[0]
    return {
        r.frame - first: (np.asarray(r.rgb) @ plate.weights, np.asarray(r.defect))
        for r in restorer.run(plates(), set(plate.frames))
    }


def dust_counts(defect: np.ndarray, truth: Damaged) -> np.ndarray:
    """(core dust pixels, of them flagged, flagged pixels, of them near a true defect), as bench_restore counts."""
    flagged = defect > 0.5
    core = truth.dust > 0.5
    right = flagged & near_a_defect(truth)
    return np.array([core.sum(), (core & flagged).sum(), flagged.sum(), right.sum()], np.int64)


def dust_by_change(defect: np.ndarray, truth: Damaged) -> np.ndarray:
    """(2, bins) core dust pixels and those of them flagged, by how much the speck changed the
    picture (:data:`CHANGE_BINS`)."""
    core = truth.dust > 0.5
    change = np.abs(truth.dust_change[core])
    return np.stack(
        [np.histogram(change, CHANGE_BINS)[0], np.histogram(change[defect[core] > 0.5], CHANGE_BINS)[0]]
    ).astype(np.int64)


def diagnose(shot: BenchShot, work: Path, cm: ColourManager, maps: Path | None) -> dict:
    """The three runs of one (shortened) clip and the error analysis of the first."""
    spec = replace(REAL_DAMAGE, seed=2000 + REAL_CLIPS.index(shot.name))
    clean, truth, damaged_dir, _ = prepare(shot, spec, False, work)
    undamaged = FilmDamage(replace(spec, **UNDAMAGED), shot.width, shot.height)
    sources: dict[str, Callable[[int], np.ndarray] | None] = {
        "as is": None,
        "no dust": lambda i: undamaged.damage(clean[i], i).frame,
        "clean": lambda i: clean[i],
    }
    shown_clean = [shown(y, cm) for y in clean]
    result: dict = {}
    for name, source in sources.items():
        restored = restore_with_guides(damaged_dir, source, cm)
        counts = np.zeros(4, np.int64)
        scores = []
        for i, (y, defect) in restored.items():
            scores.append(psnr(shown(y, cm), shown_clean[i]))
            counts += dust_counts(defect, truth[i])
        result[name] = {
            "psnr": float(np.mean(scores)),
            "dust_recall": float(counts[1] / max(counts[0], 1)),
            "dust_precision": float(counts[3] / max(counts[2], 1)),
        }
        if name == "as is":
            strip = maps / f"{shot.name}.png" if maps is not None else None
            result.update(_analyse(restored, truth, clean, shown_clean, damaged_dir, cm, strip))
    return result


def _analyse(
    restored: dict[int, tuple[np.ndarray, np.ndarray]],
    truth: list[Damaged],
    clean: list[np.ndarray],
    shown_clean: list[np.ndarray],
    damaged_dir: Path,
    cm: ColourManager,
    strip: Path | None,
) -> dict:
    """Error shares by kind of pixel, the perfect-scratch PSNR and (``strip``) the picture of the middle frame."""
    shares, perfect = [], []
    by_change = np.zeros((2, len(CHANGE_BINS) - 1), np.int64)
    grow = np.ones((2 * DEFECT_MARGIN + 1, 2 * DEFECT_MARGIN + 1), np.uint8)
    for i, (y, flagged) in restored.items():
        by_change += dust_by_change(flagged, truth[i])
        out, reference = shown(y, cm)[..., 1], shown_clean[i][..., 1]
        error = (out - reference) ** 2
        defect = cv2.dilate(
            ((truth[i].dust > DEFECT_OPACITY) | (truth[i].scratches > DEFECT_OPACITY)).astype(np.uint8), grow
        ).astype(bool)
        shares.append(error_shares(error, defect, clean[i]))
        scratch = truth[i].scratches > SCRATCH_HEADROOM_OPACITY
        perfect.append(float(10.0 * np.log10(1.0 / max(float(np.where(scratch, 0.0, error).mean()), 1e-12))))
    if strip is not None:
        middle = len(restored) // 2
        files = sorted(damaged_dir.glob("shot.*.exr"))
        tiles = [
            shown_clean[middle][..., 1],
            shown(grey(files[middle]), cm)[..., 1],
            shown(restored[middle][0], cm)[..., 1],
            np.clip(0.5 + 6.0 * (shown(restored[middle][0], cm) - shown_clean[middle])[..., 1], 0.0, 1.0),
        ]
        picture = np.concatenate([np.pad(t, 2, constant_values=1.0) for t in tiles], axis=1)
        strip.parent.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(strip), np.clip(picture * 255.0 + 0.5, 0, 255).astype(np.uint8))
    return {
        "error_share": {k: float(np.mean([s[k] for s in shares])) for k in shares[0]},
        "psnr_perfect_scratches": float(np.mean(perfect)),
        "dust_by_change": by_change.tolist(),
    }


def print_table(results: dict) -> None:
    print("\n| clip | " + " | ".join(f"{g} PSNR / dust R / P" for g in GUIDES) + " | perfect scratches | "
          "error share: defects / flat / mid / texture |")  # fmt: skip
    print("| --- " * (len(GUIDES) + 3) + "|")
    rows = list(results.items())
    for name, r in rows:
        runs = " | ".join(
            f"{r[g]['psnr']:.2f} / {r[g]['dust_recall']:.3f} / {r[g]['dust_precision']:.3f}" for g in GUIDES
        )
        s = r["error_share"]
        print(
            f"| {name} | {runs} | {r['psnr_perfect_scratches']:.2f} | "
            f"{s['defects']:.2f} / {s['flat']:.2f} / {s['mid']:.2f} / {s['texture']:.2f} |"
        )
    mean = lambda f: float(np.mean([f(r) for _, r in rows]))  # noqa: E731
    runs = " | ".join(f"{mean(lambda r, g=g: r[g]['psnr']):.2f}" for g in GUIDES)
    print(f"| **mean** | {runs} | {mean(lambda r: r['psnr_perfect_scratches']):.2f} | |")
    counts = np.sum([np.asarray(r["dust_by_change"]) for _, r in rows], axis=0)
    missed = counts[0] - counts[1]
    print("\nDust recall (as is) by how much the speck changes the picture (sRGB-encoded), all clips together:")
    for k, (low, high) in enumerate(pairwise(CHANGE_BINS)):
        print(
            f"  {low:.2f} to {min(high, 1.0):.2f}: {counts[0, k] / counts[0].sum():.1%} of the specks' pixels, "
            f"recall {counts[1, k] / max(counts[0, k], 1):.3f}, {missed[k] / max(missed.sum(), 1):.1%} of the misses"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clips", nargs="+", default=list(REAL_CLIPS), choices=REAL_CLIPS)
    parser.add_argument("--frames", type=int, default=30, help="the first frames of each clip (default 30)")
    parser.add_argument(
        "--real-shots",
        type=Path,
        default=REPO / "bench-out" / "restore" / "real-shots",
        help="the real-footage folder bench_restore builds (built here if missing)",
    )
    parser.add_argument("--out", type=Path, default=REPO / "bench-out" / "restore-diagnosis")
    parser.add_argument("--maps", action="store_true", help="write each clip's middle frame as a PNG strip")
    args = parser.parse_args()
    cm = ColourManager()
    results = {}
    for shot in build_real_footage(args.real_shots, clips=tuple(args.clips)):
        shot = replace(shot, last=min(shot.last, shot.first + args.frames - 1))
        r = results[shot.name] = diagnose(shot, args.out / "runs" / shot.name, cm, args.out if args.maps else None)
        print(
            f"  {shot.name:24} " + "  ".join(f"{g} {r[g]['psnr']:.2f} dB R {r[g]['dust_recall']:.3f}" for g in GUIDES),
            flush=True,
        )
    print_table(results)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "diagnosis.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
