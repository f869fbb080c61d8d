"""AutoColorize on sequences: steadiness of the propagated colour against frame-by-frame colouring.

    .venv/bin/python -m tests.benchmarks.bench_autocolorize_video [--footage synthetic|real]
        [--model NAME] [--vibrance V] [--shots garden dune ...] [--out bench-out/autocolorize-video]

``--footage synthetic`` (default): the synthetic shots of the KeyframeColorize benchmark
(tests/benchmarks/shots.py, built if needed; every photo in them is held out of the model's
training). ``--footage real``: the nine real clips of ../shared/data/video/real, as
``bench_colorize --sections real`` builds them (640x360 grey ACEScg; never trained on). Two ways to colour a grey shot with the
same model and vibrance (default ``tinct-autocolor-v2`` at the default vibrance):

- frame by frame: the model on every frame, as DeOldify and DDColor are used on video;
- AutoColorize (``tinct colorize SRC -o OUT`` without keyframes, run end to end through EXR files):
  the model on a few proposed keyframes, propagated.

Reported per shot and on average: CDC (colour distribution consistency over the sequence; lower is
steadier), PSNR and SSIM against the true colour (sRGB-encoded, clamped), and frames per second.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from tests.benchmarks.bench_colorize import score
from tests.benchmarks.shots import BenchShot, build_benchmark, build_real_footage
from tinct.core.chroma import apply_chroma
from tinct.core.colour import ColourManager
from tinct.core.imageio import read_image
from tinct.core.keyframe_colorize import ColorizeRequest, KeyframeColorizeJob, OutputOptions
from tinct.core.sequence import parse_sequence
from tinct.models.autocolor import DEFAULT_MODEL, DEFAULT_VIBRANCE, AutoColorizer
from tinct.nodes.auto_colorize import AUTO_COLORIZE, proposer
from tinct.nodes.keyframe_colorize import propagation_settings

REPO = Path(__file__).resolve().parents[2]


def frame_by_frame(shot: BenchShot, model: AutoColorizer, cm: ColourManager) -> Iterator[tuple[int, np.ndarray]]:
    weights = cm.luminance_weights()
    for frame in shot.frames:
        y = read_image(shot.grey_path(frame)).rgb()[..., 0]
        yield frame, apply_chroma(y, model.chroma(y, cm), weights)


def autocolorize(
    shot: BenchShot, model_name: str, vibrance: float, work: Path, cm: ColourManager
) -> Iterator[tuple[int, np.ndarray]]:
    values = AUTO_COLORIZE.resolve({"model": model_name, "vibrance": vibrance})
    out = work / "shot.####.exr"
    KeyframeColorizeJob(
        ColorizeRequest(
            source=parse_sequence(shot.grey),
            keyframes=None,
            output=parse_sequence(str(out)),
            settings=propagation_settings(values),
            output_options=OutputOptions(overwrite=True),
            node=AUTO_COLORIZE.name,
            params=dict(values),
            proposer=proposer(values, cm, device="cpu"),
        )
    ).run()
    for frame in shot.frames:
        yield frame, read_image(work / f"shot.{frame:04d}.exr").rgb()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--vibrance", type=float, default=DEFAULT_VIBRANCE)
    parser.add_argument("--footage", choices=("synthetic", "real"), default="synthetic")
    parser.add_argument("--shots", nargs="*", help="shot names (default: all)")
    parser.add_argument("--out", type=Path, default=REPO / "bench-out" / "autocolorize-video")
    args = parser.parse_args()
    cm = ColourManager()
    built = (
        build_real_footage(REPO / "bench-out" / "colorize" / "real-shots")
        if args.footage == "real"
        else build_benchmark(REPO / "bench-out" / "colorize" / "shots")
    )
    shots = [s for s in built if not args.shots or s.name in args.shots]
    model = AutoColorizer(args.model, device="cpu", vibrance=args.vibrance)
    results: dict = {}
    for shot in shots:
        row = {}
        for method, run in (
            ("frame by frame", lambda s=shot: frame_by_frame(s, model, cm)),
            ("AutoColorize", lambda s=shot: autocolorize(s, args.model, args.vibrance, args.out / s.name, cm)),
        ):
            start = time.perf_counter()
            row[method] = score(shot, run(), [], cm)
            row[method]["fps"] = len(shot.frames) / (time.perf_counter() - start)
        results[shot.name] = row
        print(
            f"  {shot.name:10} "
            + "  ".join(
                f"{m}: {r['psnr']:.2f} dB/{r['ssim']:.4f}/CDC {r['cdc']:.5f}/{r['fps']:.1f} fps" for m, r in row.items()
            ),
            flush=True,
        )
    print(f"\nmean over {len(results)} shots (model {args.model}, vibrance {args.vibrance:g})")
    print(f"{'method':16} {'PSNR dB':>8} {'SSIM':>7} {'CDC':>9} {'fps':>6}")
    for method in ("frame by frame", "AutoColorize"):
        rows = [r[method] for r in results.values()]
        print(
            f"{method:16} {np.mean([r['psnr'] for r in rows]):8.2f} {np.mean([r['ssim'] for r in rows]):7.4f} "
            f"{np.mean([r['cdc'] for r in rows]):9.6f} {np.mean([r['fps'] for r in rows]):6.1f}"
        )
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
