"""Reference colourisation benchmark: colour a grey photo from another colour photo.

    .venv/bin/python -m tests.benchmarks.bench_reference [--quick] [--json OUT.json]

Pairs (target, reference), all from ../shared/data/photos, decoded with the exact sRGB EOTF and
converted to ACEScg; the target is given as its luminance only and scored against its true colour:

- ``crop-shifted``: target = a crop of a photo (left 62 %, rows 5-85 %), reference = a crop of the
  same photo shifted right and down (right 62 %, rows 15-95 %: about 40 % of the target's columns
  overlap), shown at 0.7 x the target's scale and printed darker and harder (luminance
  ``Y -> 0.18 * 0.6 * (Y / 0.18) ** 1.25``, chroma kept);
- ``crop-flipped``: the same reference crop mirrored left-right, shown at 1.3 x the scale and
  printed brighter and softer (exposure 1.5, gamma 0.8);
- ``same-scene``: another photograph of the same scene (stereo pair, other viewpoint, later frame);
- ``similar``: a different photograph of similar content (mountains, meadow, flower, forest, ...).

Metrics on the sRGB-encoded image clamped to [0, 1] (tests/benchmarks/metrics.py): PSNR, SSIM, and
Hasler-Suesstrunk colourfulness (the truth's is printed alongside). Methods: ``grey``; ``mean-chroma``
(the reference's mean chroma ratio everywhere); ``reinhard`` (Reinhard et al. 2001 statistics
transfer in l-alpha-beta: with a grey target, the reference's mean alpha and beta everywhere);
``welsh-2002`` (Welsh et al.: luminance remapped by mean/std, best match of luminance and 5 x 5
standard deviation among 200 jittered reference samples); ``tinct`` (tinct.core.reference). Every
method's output is ``apply_chroma(target luminance, its chroma ratio)``, so luminance is kept.
The confidence AOV is checked by the PSNR of tinct's more and less confident halves of each frame.
Speed: seconds per 1920 x 1080 frame of ``ReferenceColorizer.chroma`` (median of 3), and the
one-off build time of the reference.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from tests.benchmarks.metrics import psnr, ssim, to_display
from tests.benchmarks.shots import DATA_DIR, PHOTO_SPACE, WORKING_SPACE
from tinct.core.chroma import apply_chroma, chroma_ratio, luminance
from tinct.core.colour import ColourManager
from tinct.core.reference import ReferenceColorizer, colourfulness
from tinct.core.synthetic import load_photo

PHOTOS = DATA_DIR / "photos"
# Photos are reduced to this long side before cropping; targets are scored at up to TARGET_SIDE.
PHOTO_SIDE = 1280
TARGET_SIDE = 768
CROP_PHOTOS = (
    "plasma-workspace-wallpapers/ColorfulCups.jpg",
    "plasma-workspace-wallpapers/FallenLeaf.jpg",
    "plasma-workspace-wallpapers/EveningGlow.jpg",
    "mate-backgrounds/Dune.jpg",
    "mate-backgrounds/LadyBird.jpg",
    "lomiri-wallpapers-16.04/Picture_1A_by_freespace.jpg",
    "lomiri-wallpapers-16.04/Wine_by_Jakkub_Mede.jpg",
    "lomiri-wallpapers-20.04/Kleiber_by_Lukas_Baubkus.jpg",
    "opencv-doc/baboon.jpg",
    "opencv-doc/fruits.jpg",
    "opencv-doc/butterfly.jpg",
    "opencv-doc/smarties.png",
)
SAME_SCENE = (
    ("aloe", "opencv-doc/aloeL.jpg", "opencv-doc/aloeR.jpg"),
    ("leuven", "opencv-doc/leuvenA.jpg", "opencv-doc/leuvenB.jpg"),
    ("graffiti", "opencv-doc/graf1.png", "opencv-doc/graf3.png"),
    ("rubberwhale", "opencv-doc/rubberwhale1.png", "opencv-doc/rubberwhale2.png"),
)
SIMILAR = (
    (
        "mountains",
        "lomiri-wallpapers-16.04/picosdeeuropa_by_Aitzol_Berasategi.jpg",
        "lomiri-wallpapers-16.04/aitzgorri_by_Aitzol_Berasategi.jpg",
    ),
    ("meadow", "mate-backgrounds/GreenMeadow.jpg", "mate-backgrounds/RainDrops.jpg"),
    ("flower", "mate-backgrounds/Garden.jpg", "mate-backgrounds/FreshFlower.jpg"),
    ("forest", "plasma-workspace-wallpapers/Path.jpg", "lomiri-wallpapers-16.04/life_by_Aitzol_Berasategi.jpg"),
    ("sky", "plasma-workspace-wallpapers/Kite.jpg", "lomiri-wallpapers-16.04/Bridge_by_Sander_Klootwijk.jpg"),
    ("citrus", "opencv-doc/orange.jpg", "opencv-doc/fruits.jpg"),
)
CATEGORIES = ("crop-shifted", "crop-flipped", "same-scene", "similar")


@dataclass(frozen=True)
class Pair:
    name: str
    category: str
    target: np.ndarray  # (H, W, 3) float32 ACEScg, the true colour
    reference: np.ndarray  # (h, w, 3) float32 ACEScg
    reference_file: str


def load(cm: ColourManager, relative: str, side: int = PHOTO_SIDE) -> np.ndarray:
    """A photo as (H, W, 3) float32 ACEScg, reduced (area filter, linear light) to ``side``."""
    linear = load_photo(PHOTOS / relative)
    return cm.convert(resize(linear, side), PHOTO_SPACE, WORKING_SPACE)


def resize(rgb: np.ndarray, side: int) -> np.ndarray:
    scale = min(1.0, side / max(rgb.shape[:2]))
    size = (max(1, round(rgb.shape[1] * scale)), max(1, round(rgb.shape[0] * scale)))
    return cv2.resize(rgb, size, interpolation=cv2.INTER_AREA) if scale < 1.0 else rgb


def scaled(rgb: np.ndarray, factor: float) -> np.ndarray:
    size = (round(rgb.shape[1] * factor), round(rgb.shape[0] * factor))
    return cv2.resize(rgb, size, interpolation=cv2.INTER_AREA if factor < 1 else cv2.INTER_CUBIC)


def retone(rgb: np.ndarray, cm: ColourManager, exposure: float, gamma: float) -> np.ndarray:
    """Another print of the same negative: luminance ``Y -> 0.18 exposure (Y / 0.18) ** gamma``
    about mid grey, chroma ratios untouched."""
    y = luminance(rgb, cm.luminance_weights())[..., None]
    toned = 0.18 * exposure * (np.maximum(y, 0.0) / 0.18) ** gamma
    return (rgb * toned / np.maximum(y, 1e-6)).astype(np.float32)


def pairs(cm: ColourManager, quick: bool) -> Iterator[Pair]:
    for relative in CROP_PHOTOS[:4] if quick else CROP_PHOTOS:
        photo = load(cm, relative)
        h, w = photo.shape[:2]
        target = resize(photo[round(0.05 * h) : round(0.85 * h), : round(0.62 * w)], TARGET_SIDE)
        view = photo[round(0.15 * h) : round(0.95 * h), round(0.38 * w) :]
        view = cv2.resize(
            view,
            (target.shape[1], round(target.shape[1] * view.shape[0] / view.shape[1])),
            interpolation=cv2.INTER_AREA,
        )
        name = Path(relative).stem
        view = np.maximum(view, 0.0)
        yield Pair(name, "crop-shifted", target, retone(scaled(view, 0.7), cm, 0.6, 1.25), relative)
        yield Pair(name, "crop-flipped", target, retone(scaled(view[:, ::-1], 1.3), cm, 1.5, 0.8), relative)
    for category, table in (("same-scene", SAME_SCENE), ("similar", SIMILAR)):
        for name, target_file, reference_file in table[:2] if quick else table:
            yield Pair(name, category, load(cm, target_file, TARGET_SIDE), load(cm, reference_file), reference_file)


# Methods: built once per reference, called with the target luminance, return a chroma ratio.

Method = Callable[[np.ndarray], np.ndarray]


def grey(reference: np.ndarray, cm: ColourManager) -> Method:
    return lambda y: np.ones(y.shape + (3,), np.float32)


def mean_chroma(reference: np.ndarray, cm: ColourManager) -> Method:
    ratio = chroma_ratio(reference, cm.luminance_weights()).reshape(-1, 3).mean(axis=0)
    return lambda y: np.broadcast_to(ratio, y.shape + (3,)).astype(np.float32)


# Reinhard et al. 2001: linear Rec.709 RGB -> LMS, log10, then the decorrelated l-alpha-beta axes.
_RGB_TO_LMS = np.array([[0.3811, 0.5783, 0.0402], [0.1967, 0.7244, 0.0782], [0.0241, 0.1288, 0.8444]])
_LOG_LMS_TO_LAB = np.diag([1 / np.sqrt(3), 1 / np.sqrt(6), 1 / np.sqrt(2)]) @ np.array(
    [[1, 1, 1], [1, 1, -2], [1, -1, 0]], dtype=np.float64
)


def reinhard(reference: np.ndarray, cm: ColourManager) -> Method:
    """Per-channel mean/std transfer in l-alpha-beta. A grey target has alpha = beta = 0 everywhere
    (no spread to scale), so it receives the reference's mean alpha and beta: one chroma for all."""
    rec709 = np.maximum(cm.convert(reference, WORKING_SPACE, PHOTO_SPACE).reshape(-1, 3), 1e-4)
    lab = np.log10(rec709 @ _RGB_TO_LMS.T) @ _LOG_LMS_TO_LAB.T
    mean_alpha_beta = lab[:, 1:].mean(axis=0)
    lms = 10.0 ** (np.linalg.solve(_LOG_LMS_TO_LAB, np.array([0.0, *mean_alpha_beta])))
    rgb = np.linalg.solve(_RGB_TO_LMS, lms).astype(np.float32)
    ratio = chroma_ratio(cm.convert(rgb, PHOTO_SPACE, WORKING_SPACE), cm.luminance_weights())
    return lambda y: np.broadcast_to(ratio, y.shape + (3,)).astype(np.float32)


def welsh(reference: np.ndarray, cm: ColourManager, work_side: int = 320, samples: int = 200) -> Method:
    """Welsh, Ashikhmin and Mueller 2002, global matching: each target pixel takes the chroma of
    the jittered reference sample closest in 0.5 luminance + 0.5 local (5 x 5) deviation."""
    weights = cm.luminance_weights()
    small = resize(reference, work_side)
    ref_l = perceptual(luminance(small, weights))
    ref_chroma = chroma_ratio(small, weights)
    rng = np.random.default_rng(0)
    side = int(np.ceil(np.sqrt(ref_l.size / samples)))
    ys, xs = np.mgrid[0 : ref_l.shape[0] - side + 1 : side, 0 : ref_l.shape[1] - side + 1 : side]
    ys = (ys + rng.integers(0, side, ys.shape)).ravel()
    xs = (xs + rng.integers(0, side, xs.shape)).ravel()
    sample_l, sample_sd = ref_l[ys, xs], local_sd(ref_l)[ys, xs]
    sample_chroma = ref_chroma[ys, xs]

    def colour(y: np.ndarray) -> np.ndarray:
        small_y = perceptual(resize(y[..., None].repeat(3, axis=2), work_side)[..., 0])
        # Remap the reference's luminance to the target's mean and spread (Welsh section 2).
        remapped = (sample_l - ref_l.mean()) * (small_y.std() / max(ref_l.std(), 1e-6)) + small_y.mean()
        sd_scale = small_y.std() / max(ref_l.std(), 1e-6)
        cost = 0.5 * (small_y.reshape(-1, 1) - remapped) ** 2
        cost += 0.5 * (local_sd(small_y).reshape(-1, 1) - sample_sd * sd_scale) ** 2
        ratio = sample_chroma[np.argmin(cost, axis=1)].reshape(*small_y.shape, 3)
        return cv2.resize(ratio, (y.shape[1], y.shape[0]), interpolation=cv2.INTER_LINEAR)

    return colour


class Tinct:
    """tinct.core.reference; keeps the confidence of its last frame for the confidence check."""

    def __init__(self, reference: np.ndarray, cm: ColourManager):
        self.colorizer = ReferenceColorizer(reference, cm)
        self.confidence = np.zeros((0, 0), np.float32)

    def __call__(self, y: np.ndarray) -> np.ndarray:
        ratio, self.confidence = self.colorizer.chroma(y)
        return ratio


def perceptual(y: np.ndarray) -> np.ndarray:
    return np.clip(np.where(y <= 0.0031308, 12.92 * y, 1.055 * np.maximum(y, 0) ** (1 / 2.4) - 0.055), 0, 1).astype(
        np.float32
    )


def local_sd(image: np.ndarray, size: int = 5) -> np.ndarray:
    mean = cv2.blur(image, (size, size))
    return np.sqrt(np.maximum(cv2.blur(image * image, (size, size)) - mean * mean, 0.0))


METHODS: dict[str, Callable[[np.ndarray, ColourManager], Method]] = {
    "grey": grey,
    "mean-chroma": mean_chroma,
    "reinhard": reinhard,
    "welsh-2002": welsh,
    "tinct": Tinct,
}


def quality(cm: ColourManager, quick: bool) -> list[dict]:
    weights = cm.luminance_weights()
    rows = []
    for pair in pairs(cm, quick):
        y = luminance(pair.target, weights).astype(np.float32)
        truth = to_display(pair.target, cm)
        row = {
            "name": pair.name,
            "category": pair.category,
            "reference": pair.reference_file,
            "truth_colourfulness": colourfulness(truth),
        }
        for method, build in METHODS.items():
            colorize = build(pair.reference, cm)
            rgb = apply_chroma(y, colorize(y), weights)
            kept = float(np.abs(luminance(rgb, weights) - y).max())
            shown = to_display(rgb, cm)
            row[method] = {
                "psnr": psnr(shown, truth),
                "ssim": ssim(shown, truth),
                "colourfulness": colourfulness(shown),
                "luminance_error": kept,
            }
            if isinstance(colorize, Tinct):
                # Does the confidence AOV point at the right pixels? PSNR of the more and the
                # less confident half of the frame.
                sure = colorize.confidence >= np.median(colorize.confidence)
                row[method]["psnr_sure_half"] = psnr(shown[sure], truth[sure])
                row[method]["psnr_unsure_half"] = psnr(shown[~sure], truth[~sure])
        rows.append(row)
        print(
            f"  {pair.category:13s} {pair.name:28s} " + "  ".join(f"{m} {row[m]['psnr']:5.2f}" for m in METHODS),
            flush=True,
        )
    return rows


def speed(cm: ColourManager) -> dict:
    reference = load(cm, CROP_PHOTOS[0])
    target = cv2.resize(load(cm, SIMILAR[0][1], 1920), (1920, 1080), interpolation=cv2.INTER_AREA)
    y = luminance(target, cm.luminance_weights()).astype(np.float32)
    start = time.perf_counter()
    colorizer = ReferenceColorizer(reference, cm)
    build = time.perf_counter() - start
    times = []
    for _ in range(3):
        start = time.perf_counter()
        colorizer.chroma(y)
        times.append(time.perf_counter() - start)
    return {"build_s": build, "frame_1080p_s": float(np.median(times))}


def table(rows: list[dict], timing: dict) -> str:
    lines = [
        "| pairs | n | truth colourfulness | method | PSNR dB | SSIM | colourfulness |",
        "| --- | ---: | ---: | --- | ---: | ---: | ---: |",
    ]
    for category in CATEGORIES:
        chosen = [r for r in rows if r["category"] == category]
        if not chosen:
            continue
        truth = np.mean([r["truth_colourfulness"] for r in chosen])
        for method in METHODS:
            values = [np.mean([r[method][k] for r in chosen]) for k in ("psnr", "ssim", "colourfulness")]
            lines.append(
                f"| {category} | {len(chosen)} | {truth:.1f} | {method} | {values[0]:.2f} | "
                f"{values[1]:.4f} | {values[2]:.1f} |"
            )
    worst = max(r[m]["luminance_error"] for r in rows for m in METHODS)
    lines.append("")
    for category in CATEGORIES:
        chosen = [r["tinct"] for r in rows if r["category"] == category]
        if chosen:
            lines.append(
                f"tinct {category}: PSNR {np.mean([c['psnr_sure_half'] for c in chosen]):.2f} dB on the "
                f"more confident half of the pixels, {np.mean([c['psnr_unsure_half'] for c in chosen]):.2f} "
                "dB on the less confident half"
            )
    lines.append(f"largest |output luminance - target luminance|: {worst:.2e}")
    lines.append(
        f"tinct: {timing['frame_1080p_s']:.2f} s per 1920x1080 frame, reference build "
        f"{timing['build_s']:.2f} s (once per shot)"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a few pairs per category")
    parser.add_argument("--json", type=Path, help="write the per-pair results here")
    args = parser.parse_args(argv)
    cv2.setNumThreads(2)
    cm = ColourManager()
    rows = quality(cm, args.quick)
    timing = speed(cm)
    print(table(rows, timing))
    if args.json:
        args.json.write_text(json.dumps({"pairs": rows, "speed": timing}, indent=2) + "\n")


if __name__ == "__main__":
    main()
