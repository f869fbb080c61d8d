"""KeyframeColorize benchmark: quality on real footage against baselines, a synthetic diagnostic,
whether --suggest-keyframes earns its place, speed at 1920x1080, memory vs shot length.

    .venv/bin/python -m tests.benchmarks.bench_colorize [--sections real synthetic suggest speed memory]
                                                        [--clips NAME ...] [--fit WxH] [--quick] [--out bench-out/colorize]
                                                        [--pixels opencv|torch:cpu|torch:cuda]

Quality, ``real`` (the product's figures): the nine real live-action clips of
``../shared/data/video/real`` (tests/benchmarks/shots.py ``build_real_footage``: every frame, fitted
into 640x360, ACEScg EXR, grey = luminance; ``--fit 1280x720`` fits them into that instead, where
the propagation works below full size: its flow and tracking at ``flow_resolution``). ``synthetic`` (a diagnostic: exact motion, but planar
camera moves that flatter a homography): six synthetic shots over photos, plus Big Buck Bunny.
Two protocols: a keyframe every 24 frames, and the first frame only. Frames that are not keyframes
are scored with PSNR and SSIM on the sRGB-encoded image clamped to [0, 1]; CDC over the whole
output sequence. Baselines in the same run: grey, the nearest keyframe's chroma held, the previous
frame's chroma chained by DIS flow. Tinct runs end to end through EXR files, exactly as
`tinct colorize` does (half-float output). Per clip, ``vs naive`` is Tinct's margin over the better
of hold and flow chain. Clips marked ``*`` were held out of all tuning (``HELD_OUT``). ``--pixels``
runs the per-pixel work on another backend (:mod:`tinct.core.pixels`): ``torch:cpu`` checks the
torch path's quality on a machine without a GPU.

``suggest``: on each real clip, the first frame is a keyframe; one more keyframe is added, either
the frame ``--suggest-keyframes 1`` proposes or a random frame (mean of ``RANDOM_DRAWS`` seeded
draws); all frames but the first are scored, so both choices are judged on the same frames.

Speed: frames/s of the whole job (read, both passes, write) on 40 frames of the real 1920x1080
driving clip, keyframes on the first and last of them, on this machine.
Memory: peak RSS of `tinct colorize` for a 50- and a 500-frame shot (keyframes on the first and
last frames: the backward pass parks its tracks on disk), in separate processes.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from tests.benchmarks.backends import add_pixels_argument, pixels_named
from tests.benchmarks.baselines import FlowChain, Grey, HoldNearestKey
from tests.benchmarks.metrics import CDC, psnr, ssim, to_display
from tests.benchmarks.shots import REAL_CLIPS, BenchShot, build_benchmark, build_real_footage
from tinct.core.colour import ColourManager
from tinct.core.imageio import read_image, write_exr
from tinct.core.keyframe_colorize import ColorizeRequest, KeyframeColorizeJob, OutputOptions
from tinct.core.keyframe_suggest import suggest_for_plate
from tinct.core.pixels import OPENCV, Pixels
from tinct.core.sequence import parse_sequence
from tinct.core.source import SourcePlate
from tinct.core.synthetic import ShotSpec, SyntheticShot, load_photo
from tinct.nodes.keyframe_colorize import KEYFRAME_COLORIZE, propagation_settings

REPO = Path(__file__).resolve().parents[2]
PROTOCOLS = {"every-24": 24, "first-only": None}
SECTIONS = ("real", "synthetic", "suggest", "speed", "memory")
# Real clips never looked at while tuning the propagation (the others were): their figures are the honest ones.
HELD_OUT = ("sam2_blocks", "sam2_juggle", "cereus_flower_720p", "vid4_foliage")
RANDOM_DRAWS = 3
NAIVE = ("hold-nearest-key", "flow-chain (DIS)")


def frame_size(text: str) -> tuple[int, int]:
    """'WxH' -> (W, H), for ``--fit``."""
    width, _, height = text.partition("x")
    if not (width.isdigit() and height.isdigit() and int(width) >= 64 and int(height) >= 64):
        raise argparse.ArgumentTypeError(f"{text!r}: expected WIDTHxHEIGHT, each 64 or more, e.g. 1280x720")
    return int(width), int(height)


def keyframe_indices(frames: range, every: int | None) -> list[int]:
    return [frames[0]] if every is None else list(frames[::every])


def run_tinct(
    shot: BenchShot, keys: list[int], work: Path, pixels: Pixels = OPENCV
) -> Iterator[tuple[int, np.ndarray]]:
    key_dir, out_dir = work / "keys", work / "tinct"
    for frame in keys:
        target = key_dir / f"shot.{frame:04d}.exr"
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(shot.truth_path(frame), target)
    values = KEYFRAME_COLORIZE.resolve({})
    KeyframeColorizeJob(
        ColorizeRequest(
            source=parse_sequence(shot.grey),
            keyframes=parse_sequence(str(key_dir / "shot.####.exr")),
            output=parse_sequence(str(out_dir / "shot.####.exr")),
            settings=propagation_settings(values),
            # Always render anew: a resumed run would score frames an earlier version of the code wrote.
            output_options=OutputOptions(overwrite=True),
            params=dict(values),
            pixels=pixels,
        )
    ).run()
    for frame in shot.frames:
        yield frame, read_image(out_dir / f"shot.{frame:04d}.exr").rgb()


def score(shot: BenchShot, outputs: Iterator[tuple[int, np.ndarray]], keys: list[int], cm: ColourManager) -> dict:
    cdc, psnrs, ssims = CDC(), [], []
    for frame, rgb in outputs:
        shown = to_display(rgb, cm)
        cdc.update(shown)
        if frame not in keys:
            truth = to_display(read_image(shot.truth_path(frame)).rgb(), cm)
            psnrs.append(psnr(shown, truth))
            ssims.append(ssim(shown, truth))
    return {"psnr": float(np.mean(psnrs)), "ssim": float(np.mean(ssims)), "cdc": float(cdc.value())}


def quality(
    shots: list[BenchShot], work: Path, cm: ColourManager, protocols: list[str], pixels: Pixels = OPENCV
) -> dict:
    weights = cm.luminance_weights()
    methods = {"grey": Grey(), "hold-nearest-key": HoldNearestKey(), "flow-chain (DIS)": FlowChain()}
    results: dict = {}
    for protocol in protocols:
        every = PROTOCOLS[protocol]
        for shot in shots:
            keys = keyframe_indices(shot.frames, every)
            truth_keys = {k: read_image(shot.truth_path(k)).rgb() for k in keys}
            row = {}
            for name, method in methods.items():
                grey = ((f, read_image(shot.grey_path(f)).rgb()[..., 0]) for f in shot.frames)
                row[name] = score(shot, method(grey, truth_keys, weights), keys, cm)
            start = time.perf_counter()
            row["tinct"] = score(shot, run_tinct(shot, keys, work / protocol / shot.name, pixels), keys, cm)
            row["tinct"]["seconds"] = time.perf_counter() - start
            results.setdefault(protocol, {})[shot.name] = row
            print(
                f"  {protocol:10} {shot.name:16} "
                + "  ".join(f"{m}: {r['psnr']:.2f} dB/{r['ssim']:.4f}/{r['cdc']:.5f}" for m, r in row.items()),
                flush=True,
            )
    return results


def print_table(title: str, results: dict) -> None:
    for protocol, shots in results.items():
        methods = list(next(iter(shots.values())).keys())
        print(f"\n{title}, protocol {protocol}: PSNR dB / SSIM / CDC of non-keyframe frames")
        print(f"{'clip':24}" + "".join(f"{m[:22]:>24}" for m in methods) + f"{'vs naive':>10}")
        for name, row in shots.items():
            mark = "*" if name in HELD_OUT else " "
            print(
                f"{mark}{name[:23]:23}"
                + "".join(
                    f"{row[m]['psnr']:8.2f}/{row[m]['ssim']:.3f}/{row[m]['cdc']:.5f}"[:24].rjust(24) for m in methods
                )
                + f"{margin_over_naive(row):+10.2f}"
            )
        means = {
            m: {k: float(np.mean([s[m][k] for s in shots.values()])) for k in ("psnr", "ssim", "cdc")} for m in methods
        }
        print(
            f"{'mean':24}"
            + "".join(
                f"{means[m]['psnr']:8.2f}/{means[m]['ssim']:.3f}/{means[m]['cdc']:.5f}".rjust(24) for m in methods
            )
        )
        gain = means["tinct"]["psnr"] - means["flow-chain (DIS)"]["psnr"]
        losses = [n for n, row in shots.items() if margin_over_naive(row) < 0]
        print(
            f"Tinct - flow chain: {gain:+.2f} dB; CDC {means['tinct']['cdc']:.6f} vs {means['flow-chain (DIS)']['cdc']:.6f}; "
            f"below the better naive method on: {', '.join(losses) or 'none'}"
        )


def margin_over_naive(row: dict) -> float:
    """Tinct's PSNR over the better of holding the keyframe and the flow chain, on one clip."""
    return row["tinct"]["psnr"] - max(row[m]["psnr"] for m in NAIVE)


def suggestion_value(shots: list[BenchShot], work: Path, cm: ColourManager) -> dict:
    """PSNR after adding the suggested keyframe vs a random one, the first frame being a keyframe."""
    values = KEYFRAME_COLORIZE.resolve({})
    results = {}
    for shot in shots:
        first = shot.frames[0]
        plate = SourcePlate(parse_sequence(shot.grey), None, cm)
        suggested = suggest_for_plate(plate, propagation_settings(values), 1, [first])[0][0]
        rng = np.random.default_rng(sum(map(ord, shot.name)))
        randoms = [int(f) for f in rng.choice(list(shot.frames[1:]), RANDOM_DRAWS, replace=False)]
        row = {}
        for label, extra in [("suggested", suggested), *((f"random{i}", f) for i, f in enumerate(randoms))]:
            keys = [first, extra]
            out = run_tinct(shot, keys, work / shot.name / label)
            row[label] = {"frame": extra, **score(shot, out, [first], cm)}
        row["random-mean"] = float(np.mean([row[f"random{i}"]["psnr"] for i in range(RANDOM_DRAWS)]))
        results[shot.name] = row
        print(
            f"  {shot.name:24} suggested {suggested}: {row['suggested']['psnr']:.2f} dB; random "
            + ", ".join(f"{row[f'random{i}']['frame']}: {row[f'random{i}']['psnr']:.2f}" for i in range(RANDOM_DRAWS))
            + f" (mean {row['random-mean']:.2f})",
            flush=True,
        )
    gain = np.mean([r["suggested"]["psnr"] - r["random-mean"] for r in results.values()])
    wins = sum(r["suggested"]["psnr"] > r["random-mean"] for r in results.values())
    print(f"Suggested keyframe vs random: {gain:+.2f} dB on average, better on {wins} of {len(results)} clips")
    return results


def make_plate(root: Path, frames: int, width: int, height: int, keys: list[int], cm: ColourManager) -> None:
    """A grey plate of ``frames`` frames over the bundled sample, keyframes from the truth."""
    photo = load_photo(REPO / "core" / "samples" / "fruits.jpg")
    shot = SyntheticShot(
        cm.convert(photo, "Linear Rec.709 (sRGB)", cm.working_space),
        ShotSpec(width=width, height=height, frames=frames, seed=11, objects=2),
    )
    weights = cm.luminance_weights()
    for index in range(frames):
        path = root / "grey" / f"shot.{1001 + index:04d}.exr"
        if path.exists() and not (index in keys and not (root / "keys" / path.name).exists()):
            continue
        rgb = shot.frame(index)
        y = np.repeat((rgb @ weights).astype(np.float32)[..., None], 3, -1)
        write_exr(path, y, ["R", "G", "B"], attributes={"oiio:ColorSpace": "lin_ap1_scene"})
        if index in keys:
            write_exr(root / "keys" / path.name, rgb, ["R", "G", "B"], attributes={"oiio:ColorSpace": "lin_ap1_scene"})


def colorize_cli(root: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "tinct.plugin.cli.main",
        "colorize",
        str(root / "grey" / "shot.####.exr"),
        "--keyframes",
        str(root / "keys" / "shot.####.exr"),
        "-o",
        str(root / "out" / "shot.####.exr"),
        "--overwrite",
    ]


def speed(work: Path, frames: int) -> dict:
    """Frames/s of `tinct colorize` on the first ``frames`` frames of the real 1920x1080 driving clip,
    keyframes on the first and last of them (both passes), Python's start included."""
    shot = build_real_footage(work / "speed-shots", width=1920, height=1080, clips=("driving_redtrees_1080p",))[0]
    first, last = shot.first, shot.first + frames - 1
    keys = work / "speed-keys"
    keys.mkdir(parents=True, exist_ok=True)
    for frame in (first, last):
        shutil.copyfile(shot.truth_path(frame), keys / f"shot.{frame:04d}.exr")
    command = [sys.executable, "-m", "tinct.plugin.cli.main", "colorize", shot.grey, "--keyframes",
               str(keys / "shot.####.exr"), "-o", str(work / "speed-out" / "shot.####.exr"),
               "--frames", f"{first}-{last}", "--overwrite"]  # fmt: skip
    start = time.perf_counter()
    subprocess.run(command, check=True, stderr=subprocess.DEVNULL)
    seconds = time.perf_counter() - start
    return {"frames": frames, "seconds": seconds, "fps": frames / seconds, "threads": os.cpu_count()}


def peak_memory(work: Path, cm: ColourManager, lengths: tuple[int, ...]) -> dict:
    out = {}
    for length in lengths:
        root = work / f"memory-{length}"
        make_plate(root, length, 640, 360, [0, length - 1], cm)
        probe = (
            "import resource, sys; from tinct.plugin.cli.main import main; code = main(sys.argv[1:]); "
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss); sys.exit(code)"
        )
        result = subprocess.run(
            [sys.executable, "-c", probe, *colorize_cli(root)[3:]], check=True, capture_output=True, text=True
        )
        out[length] = int(result.stdout.strip().splitlines()[-1]) / 1024  # MiB
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=REPO / "bench-out" / "colorize")
    parser.add_argument(
        "--quick", action="store_true", help="small synthetic shots, 12 frames at 1080p, 20/60-frame memory"
    )
    parser.add_argument("--sections", nargs="+", default=list(SECTIONS), choices=SECTIONS)
    parser.add_argument("--clips", nargs="+", default=list(REAL_CLIPS), choices=REAL_CLIPS, help="real clips to use")
    parser.add_argument("--protocols", nargs="+", default=list(PROTOCOLS), choices=list(PROTOCOLS))
    parser.add_argument(
        "--fit", type=frame_size, default=(640, 360), help="real clips fitted into WxH (default 640x360)"
    )
    add_pixels_argument(parser, "the real and synthetic sections")
    args = parser.parse_args()
    cm = ColourManager()
    report: dict = {"machine": {"cpus": os.cpu_count()}, "pixels": args.pixels, "fit": "x".join(map(str, args.fit))}
    pixels = pixels_named(args.pixels)
    # The default size keeps the folder names of earlier runs (their shots are reused).
    sized = "" if args.fit == (640, 360) else "-" + report["fit"]
    if {"real", "suggest"} & set(args.sections):
        width, height = args.fit
        real = build_real_footage(args.out / f"real-shots{sized}", width=width, height=height, clips=tuple(args.clips))
    if "real" in args.sections:
        print(
            f"Real footage fitted into {report['fit']}: {len(real)} clips, PSNR/SSIM/CDC per method (* = held out of tuning)"
        )
        report["real"] = quality(real, args.out / f"runs-real{sized}", cm, args.protocols, pixels)
        print_table("Real footage", report["real"])
    if "synthetic" in args.sections:
        shots = build_benchmark(args.out / "shots", quick=args.quick)
        print(f"\nSynthetic diagnostic: {len(shots)} shots, PSNR/SSIM/CDC per method")
        report["synthetic"] = quality(shots, args.out / "runs", cm, args.protocols, pixels)
        print_table("Synthetic", report["synthetic"])
    if "suggest" in args.sections:
        print("\nDoes the suggested keyframe help more than a random one? (first frame + one more)")
        report["suggest"] = suggestion_value(real, args.out / f"runs-suggest{sized}", cm)
    if "speed" in args.sections:
        report["speed_1080p"] = speed(args.out / "runs", 12 if args.quick else 40)
        s = report["speed_1080p"]
        print(
            f"\nSpeed at 1920x1080: {s['fps']:.2f} frames/s ({s['frames']} frames in {s['seconds']:.1f} s, {s['threads']} CPU threads)"
        )
    if "memory" in args.sections:
        lengths = (20, 60) if args.quick else (50, 500)
        mem = report["peak_memory_mib"] = peak_memory(args.out / "runs", cm, lengths)
        a, b = (mem[n] for n in lengths)
        print(
            f"\nPeak memory (640x360): {lengths[0]} frames {a:.0f} MiB, {lengths[1]} frames {b:.0f} MiB ({(b / a - 1) * 100:+.1f}%)"
        )
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(report, indent=2))
    print(f"\nresults: {args.out / 'results.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
