"""AutoColorize benchmark: the automatic colouriser on photos it never saw, against baselines.

    .venv/bin/python -m tests.benchmarks.bench_autocolorize [--photos {evaluation,validation}]
        [--cache DIR] [--model NAME | --weights FILE] [--temperature T ...] [--mix M ...] [--vibrance V ...] [--working-size N]
        [--per-photo] [--out results.json]

Photos (``--photos``):

- ``evaluation`` (the default; the REPORTED figures): the colour photographs of registry packages
  that no training source shares, never trained on nor tuned on
  (tests/benchmarks/eval_photos.py: scikit-image, matplotlib, libjxl-testdata, palapeli-data;
  15 photos), fetched with tinct.models.training.packages.fetch into ``--cache`` (sha256-checked);
- ``validation``: the held-out split of ../shared/data/photos (tinct.models.training.split.held_out():
  the 18 photos of the video benchmark and 5 more), never trained on but used to tune decoding
  (temperature, vibrance), so its figures are optimistic and are not the ones to report.

Each photo is decoded with the exact sRGB EOTF, area-reduced in linear light to at most 1 megapixel,
converted to ACEScg: that is the truth. Every method gets only its luminance Y and returns a chroma
ratio applied with apply_chroma (so every output has the truth's luminance exactly).

Methods: grey (ratio 1); global mean chroma (one ratio everywhere: the mean linear-Rec.709 chroma
ratio of the training photos' pixels, tinct.models.training.data.mean_chroma_ratio); the model
(tinct.models.autocolor.AutoColorizer), at each combination of ``--temperature``, ``--mix`` and ``--vibrance`` asked for (default: the model's own).

Scores (tests/benchmarks/metrics.py; display = sRGB-encoded Rec.709 clamped to [0, 1]):
PSNR and SSIM against the truth; Hasler-Suesstrunk colourfulness (HS) of the output, and the mean
|HS(output) - HS(truth)|; share judged plausible, where an image is plausible when
  (1) its HS lies in [15, 120] -- the non-monochrome training photos span 14 to 95 and the most
      colourful validation photos reach 118-132 -- so neither nearly grey nor lurid, and
  (2) it has more than one colour: the standard deviation of its CIELab (a*, b*) vector over the
      pixels is at least 5 (a single tint over the picture, sepia or any hue cast, gives 1-3;
      natural training photos 5 to 29, apart from the monochrome ones).
The truth's own plausible share is printed as the reference. Per photo: the PSNR of grey, of
global mean chroma and of the model, and the HS of the truth and of the model. For each model: on
how many photos its PSNR beats grey's, and mean chroma's, and its colourfulness ratio, mean model
HS / mean truth HS (below 1: duller than the photos, above 1: more colourful). Speed: wall-clock
and process CPU seconds of AutoColorizer.chroma per megapixel on this machine (torch threads as set
by torch).
"""

from __future__ import annotations

import argparse
import itertools
import json
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import torch
from safetensors import safe_open

from tests.benchmarks.eval_photos import EVALUATION_PACKAGES
from tests.benchmarks.metrics import psnr, ssim, to_display
from tests.benchmarks.shots import DATA_DIR, PHOTO_SPACE, WORKING_SPACE
from tinct.core.chroma import apply_chroma, luminance
from tinct.core.colour import ColourManager
from tinct.core.synthetic import load_photo
from tinct.models.architectures.colornet import linear_to_lab
from tinct.models.autocolor import DEFAULT_MODEL, DEFAULT_VIBRANCE, AutoColorizer
from tinct.models.registry import SRGB_ENCODING, ModelDescriptor, Registry
from tinct.models.training import split
from tinct.models.training.data import colourfulness, load_photos, mean_chroma_ratio
from tinct.models.training.packages import DEFAULT_CACHE, fetch
from tinct.models.weights import sha256_file

MAX_PIXELS = 1_000_000
HS_BAND = (15.0, 120.0)
MIN_AB_SPREAD = 5.0


@dataclass
class Scores:
    psnr: list[float]
    ssim: list[float]
    hs: list[float]
    hs_error: list[float]
    plausible: list[bool]

    @classmethod
    def empty(cls) -> Scores:
        return cls([], [], [], [], [])

    def add(self, shown: np.ndarray, truth: np.ndarray, truth_hs: float) -> dict:
        row = {
            "psnr": psnr(shown, truth),
            "ssim": ssim(shown, truth),
            "hs": colourfulness(shown),
            "plausible": plausible(shown),
        }
        self.psnr.append(row["psnr"])
        self.ssim.append(row["ssim"])
        self.hs.append(row["hs"])
        self.hs_error.append(abs(row["hs"] - truth_hs))
        self.plausible.append(row["plausible"])
        return row

    def summary(self) -> dict:
        return {
            "psnr": float(np.mean(self.psnr)),
            "ssim": float(np.mean(self.ssim)),
            "hs": float(np.mean(self.hs)),
            "hs_error": float(np.mean(self.hs_error)),
            "plausible": float(np.mean(self.plausible)),
        }


def plausible(display: np.ndarray) -> bool:
    """The plausibility check of the module docstring, on an (H, W, 3) display image in [0, 1]."""
    decoded = np.where(display <= 0.04045, display / 12.92, ((display + 0.055) / 1.055) ** 2.4)
    ab = linear_to_lab(decoded.reshape(-1, 3))[:, 1:].astype(np.float64)
    spread = float(np.sqrt(ab.var(axis=0).sum()))
    return bool(HS_BAND[0] <= colourfulness(display) <= HS_BAND[1] and spread >= MIN_AB_SPREAD)


def load_truth(path: Path, cm: ColourManager) -> np.ndarray:
    """A photo as (H, W, 3) float32 ACEScg, area-reduced in linear light to at most 1 megapixel."""
    linear = load_photo(path)
    height, width = linear.shape[:2]
    factor = min(1.0, (MAX_PIXELS / (height * width)) ** 0.5)
    if factor < 1.0:
        linear = cv2.resize(linear, (round(width * factor), round(height * factor)), interpolation=cv2.INTER_AREA)
    return cm.convert(linear, PHOTO_SPACE, WORKING_SPACE)


def registry_for_file(path: Path) -> tuple[Registry, str]:
    """A one-model registry for a weights file written by the training script (its metadata)."""
    with safe_open(str(path), framework="pt") as stream:  # type: ignore[no-untyped-call]
        meta = stream.metadata()
    descriptor = ModelDescriptor(
        name=path.stem,
        architecture=meta["architecture"],
        arch_params=json.loads(meta["arch_params"]),
        task=meta["task"],
        scale=1,
        in_channels=1,
        out_channels=2,
        size_multiple=16,
        dtypes=("float32",),
        colour_encoding=SRGB_ENCODING,
        value_range=(0.0, 1.0),
        licence=meta["licence"],
        weights=path.name,
        sha256=sha256_file(path),
        source=f"train it: {path}",
    )
    return Registry([descriptor]), path.stem


def compare(per_photo: dict, models: list[str]) -> dict:
    """For each model: on how many photos its PSNR beats grey's and mean chroma's; HS ratio to the truth."""
    rows = per_photo.values()
    truth_hs = float(np.mean([r["truth (reference)"]["hs"] for r in rows]))
    return {
        m: {
            "beats_grey": sum(r[m]["psnr"] > r["grey"]["psnr"] for r in rows),
            "beats_mean_chroma": sum(r[m]["psnr"] > r["global mean chroma"]["psnr"] for r in rows),
            "colourfulness_ratio": float(np.mean([r[m]["hs"] for r in rows])) / truth_hs,
        }
        for m in models
    }


def print_per_photo(per_photo: dict, models: list[str]) -> None:
    """The per-photo table: PSNR of grey, mean chroma and each model; HS of the truth and each model."""
    print(
        "\n| photo | grey PSNR | mean-chroma PSNR | "
        + " | ".join(f"{m} PSNR" for m in models)
        + " | truth HS | "
        + " | ".join(f"{m} HS" for m in models)
        + " |"
    )
    print("| --- " * (4 + 2 * len(models)) + "|")
    for photo, r in per_photo.items():
        cells = [
            photo,
            f"{r['grey']['psnr']:.2f}",
            f"{r['global mean chroma']['psnr']:.2f}",
            *(f"{r[m]['psnr']:.2f}" for m in models),
            f"{r['truth (reference)']['hs']:.1f}",
            *(f"{r[m]['hs']:.1f}" for m in models),
        ]
        print("| " + " | ".join(cells) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--model", default=DEFAULT_MODEL, help=f"registered model (default {DEFAULT_MODEL})")
    group.add_argument("--weights", type=Path, help="a weights file from the training script instead")
    parser.add_argument("--temperature", type=float, nargs="*", default=[None], help="annealed-mean temperatures")
    parser.add_argument("--mix", type=float, nargs="*", default=[None], help="shares of the regression head")
    parser.add_argument("--vibrance", type=float, nargs="*", default=[DEFAULT_VIBRANCE], help="vibrance values")
    parser.add_argument("--working-size", type=int, default=None, help="the network's long side in pixels")
    parser.add_argument(
        "--photos",
        choices=("evaluation", "validation"),
        default="evaluation",
        help="evaluation: registry photos never trained or tuned on (reported); validation: the held-out split",
    )
    parser.add_argument(
        "--cache", type=Path, default=DEFAULT_CACHE, help=f"evaluation photos (default {DEFAULT_CACHE})"
    )
    parser.add_argument(
        "--data", type=Path, default=DATA_DIR / "photos", help="the shared photos (training, validation)"
    )
    parser.add_argument("--per-photo", action="store_true", help="print every photo's scores")
    parser.add_argument("--out", type=Path, help="write all numbers as JSON")
    args = parser.parse_args()

    if args.photos == "evaluation":
        folder, photos = args.cache, fetch(EVALUATION_PACKAGES, args.cache)
    else:
        folder, photos = args.data, list(split.held_out())

    cm = ColourManager()
    weights = cm.luminance_weights()
    train = load_photos(args.data, split.TRAIN, 384)
    mean_ratio = cm.convert(mean_chroma_ratio(train), PHOTO_SPACE, WORKING_SPACE)

    options: dict = {} if args.working_size is None else {"working_size": args.working_size}
    if args.weights is not None:
        registry, name = registry_for_file(args.weights)
        options.update(registry=registry, weights_folder=args.weights.parent)
    else:
        name = args.model
    colorizers = {}
    for t, mix, vibrance in itertools.product(args.temperature, args.mix, args.vibrance):
        colorizer = AutoColorizer(name, "cpu", temperature=t, mix=mix, vibrance=vibrance, **options)
        label = f"{name} T={colorizer.temperature:g} mix={colorizer.mix:g} vibrance={colorizer.vibrance:g}"
        colorizers[label] = colorizer

    methods = ["truth (reference)", "grey", "global mean chroma", *colorizers]
    scores = {m: Scores.empty() for m in methods}
    per_photo: dict = {}
    megapixels, wall, cpu = 0.0, dict.fromkeys(colorizers, 0.0), dict.fromkeys(colorizers, 0.0)
    for photo in photos:
        truth = load_truth(folder / photo, cm)
        y = luminance(truth, weights)
        shown_truth = to_display(truth, cm)
        truth_hs = colourfulness(shown_truth)
        megapixels += y.size / 1e6
        outputs = {
            "truth (reference)": truth,
            "grey": apply_chroma(y, np.ones(y.shape + (3,), np.float32), weights),
            "global mean chroma": apply_chroma(y, np.broadcast_to(mean_ratio, y.shape + (3,)), weights),
        }
        for label, colorizer in colorizers.items():
            start_wall, start_cpu = time.perf_counter(), time.process_time()
            ratio = colorizer.chroma(y, cm)
            wall[label] += time.perf_counter() - start_wall
            cpu[label] += time.process_time() - start_cpu
            outputs[label] = apply_chroma(y, ratio, weights)
        per_photo[photo] = {m: scores[m].add(to_display(outputs[m], cm), shown_truth, truth_hs) for m in methods}
        if args.per_photo:
            print(
                f"{photo} ({y.shape[1]}x{y.shape[0]}, HS {truth_hs:.0f}): "
                + "; ".join(
                    f"{m} {r['psnr']:.2f} dB {r['ssim']:.3f} HS {r['hs']:.0f}{' ok' if r['plausible'] else ''}"
                    for m, r in per_photo[photo].items()
                    if m != "truth (reference)"
                ),
                flush=True,
            )

    summary = {m: scores[m].summary() for m in methods}
    speed = {
        label: {"wall_s_per_mp": wall[label] / megapixels, "cpu_s_per_mp": cpu[label] / megapixels}
        for label in colorizers
    }
    comparison = compare(per_photo, list(colorizers))
    print_per_photo(per_photo, list(colorizers))
    print(
        f"\n{len(photos)} {args.photos} photos ({megapixels:.1f} MP in all), torch threads {torch.get_num_threads()}\n"
    )
    print(
        "| method | PSNR dB | SSIM | HS (truth {:.1f}) | mean abs HS error | plausible |".format(
            summary["truth (reference)"]["hs"]
        )
    )
    print("| --- | --- | --- | --- | --- | --- |")
    for m in methods:
        s = summary[m]
        print(
            f"| {m} | {s['psnr']:.2f} | {s['ssim']:.4f} | {s['hs']:.1f} | {s['hs_error']:.1f} | {s['plausible']:.0%} |"
        )
    for label, pace in speed.items():
        c = comparison[label]
        print(
            f"\n{label}: beats grey on {c['beats_grey']} of {len(photos)} photos, global mean chroma on "
            f"{c['beats_mean_chroma']} of {len(photos)}; colourfulness ratio {c['colourfulness_ratio']:.2f} "
            f"(mean model HS / mean truth HS)"
        )
        print(f"{label}: {pace['wall_s_per_mp']:.2f} s wall, {pace['cpu_s_per_mp']:.2f} s CPU per megapixel")
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        result = {
            "photos": args.photos,
            "summary": summary,
            "comparison": comparison,
            "speed": speed,
            "per_photo": per_photo,
        }
        args.out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
