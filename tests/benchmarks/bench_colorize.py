"""KeyframeColorize benchmark: quality against baselines, speed at 1920x1080, memory vs shot length.

    .venv/bin/python -m tests.benchmarks.bench_colorize [--quick] [--out bench-out/colorize]

Quality: the public benchmark set (tests/benchmarks/shots.py: synthetic camera and object motion
over ../shared/data photos, plus Big Buck Bunny; ACEScg EXR, grey = luminance), two protocols
(a keyframe every 24 frames; the first frame only). Frames that are not keyframes are scored with
PSNR and SSIM on the sRGB-encoded image clamped to [0, 1]; CDC over the whole output sequence.
Tinct runs end to end through EXR files, exactly as `tinct colorize` does (half-float output).
Speed: frames/s of the whole job at 1920x1080 (read, track, write) on this machine.
Memory: peak RSS of `tinct colorize` for a 50- and a 500-frame shot (keyframes on the first and
last frames: the backward pass parks its tracks on disk), in separate processes.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from tests.benchmarks.baselines import FlowChain, Grey, HoldNearestKey
from tests.benchmarks.metrics import CDC, psnr, ssim, to_display
from tests.benchmarks.shots import BenchShot, build_benchmark
from tinct.core.colour import ColourManager
from tinct.core.imageio import read_image, write_exr
from tinct.core.keyframe_colorize import ColorizeRequest, KeyframeColorizeJob, OutputOptions
from tinct.core.sequence import parse_sequence
from tinct.core.synthetic import ShotSpec, SyntheticShot, load_photo
from tinct.nodes.keyframe_colorize import KEYFRAME_COLORIZE, propagation_settings

REPO = Path(__file__).resolve().parents[2]
PROTOCOLS = {"every-24": 24, "first-only": None}


def keyframe_indices(frames: range, every: int | None) -> list[int]:
    return [frames[0]] if every is None else list(frames[::every])


def run_tinct(shot: BenchShot, keys: list[int], work: Path) -> Iterator[tuple[int, np.ndarray]]:
    key_dir, out_dir = work / "keys", work / "tinct"
    for frame in keys:
        target = key_dir / f"shot.{frame:04d}.exr"
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(shot.truth_path(frame), target)
    values = KEYFRAME_COLORIZE.resolve({})
    KeyframeColorizeJob(ColorizeRequest(
        source=parse_sequence(shot.grey), keyframes=parse_sequence(str(key_dir / "shot.####.exr")),
        output=parse_sequence(str(out_dir / "shot.####.exr")), settings=propagation_settings(values),
        # Always render anew: a resumed run would score frames an earlier version of the code wrote.
        output_options=OutputOptions(overwrite=True), params=dict(values),
    )).run()
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


def quality(shots: list[BenchShot], work: Path, cm: ColourManager, protocols: list[str]) -> dict:
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
            row["tinct"] = score(shot, run_tinct(shot, keys, work / protocol / shot.name), keys, cm)
            row["tinct"]["seconds"] = time.perf_counter() - start
            results.setdefault(protocol, {})[shot.name] = row
            print(f"  {protocol:10} {shot.name:16} " + "  ".join(
                f"{m}: {r['psnr']:.2f} dB/{r['ssim']:.4f}/{r['cdc']:.5f}" for m, r in row.items()), flush=True)
    return results


def print_table(results: dict) -> None:
    for protocol, shots in results.items():
        print(f"\nProtocol {protocol}: mean over {len(shots)} shots of non-keyframe frames")
        print(f"{'method':20} {'PSNR dB':>8} {'SSIM':>7} {'CDC':>9}")
        methods = next(iter(shots.values())).keys()
        for method in methods:
            rows = [shot[method] for shot in shots.values()]
            print(f"{method:20} {np.mean([r['psnr'] for r in rows]):8.2f} {np.mean([r['ssim'] for r in rows]):7.4f}"
                  f" {np.mean([r['cdc'] for r in rows]):9.6f}")
        gain = np.mean([s["tinct"]["psnr"] - s["flow-chain (DIS)"]["psnr"] for s in shots.values()])
        print(f"Tinct - flow-chain: {gain:+.2f} dB PSNR")


def make_plate(root: Path, frames: int, width: int, height: int, keys: list[int], cm: ColourManager) -> None:
    """A grey plate of ``frames`` frames over the bundled sample, keyframes from the truth."""
    photo = load_photo(REPO / "core" / "samples" / "fruits.jpg")
    shot = SyntheticShot(cm.convert(photo, "Linear Rec.709 (sRGB)", cm.working_space),
                         ShotSpec(width=width, height=height, frames=frames, seed=11, objects=2))
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
    return [sys.executable, "-m", "tinct.plugin.cli.main", "colorize", str(root / "grey" / "shot.####.exr"),
            "--keyframes", str(root / "keys" / "shot.####.exr"), "-o", str(root / "out" / "shot.####.exr"), "--overwrite"]


def speed(work: Path, cm: ColourManager, frames: int) -> dict:
    root = work / "speed-1080p"
    make_plate(root, frames, 1920, 1080, [0, frames - 1], cm)
    start = time.perf_counter()
    subprocess.run(colorize_cli(root), check=True, stderr=subprocess.DEVNULL)
    seconds = time.perf_counter() - start
    return {"frames": frames, "seconds": seconds, "fps": frames / seconds, "threads": os.cpu_count()}


def peak_memory(work: Path, cm: ColourManager, lengths: tuple[int, ...]) -> dict:
    out = {}
    for length in lengths:
        root = work / f"memory-{length}"
        make_plate(root, length, 640, 360, [0, length - 1], cm)
        probe = ("import resource, sys; from tinct.plugin.cli.main import main; code = main(sys.argv[1:]); "
                 "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss); sys.exit(code)")
        result = subprocess.run([sys.executable, "-c", probe, *colorize_cli(root)[3:]],
                                check=True, capture_output=True, text=True)
        out[length] = int(result.stdout.strip().splitlines()[-1]) / 1024  # MiB
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=REPO / "bench-out" / "colorize")
    parser.add_argument("--quick", action="store_true", help="two small shots, 24 frames at 1080p, 20/60-frame memory")
    parser.add_argument("--skip", nargs="*", default=[], choices=["quality", "speed", "memory"])
    parser.add_argument("--protocols", nargs="+", default=list(PROTOCOLS), choices=list(PROTOCOLS))
    args = parser.parse_args()
    cm = ColourManager()
    report: dict = {"machine": {"cpus": os.cpu_count()}}
    if "quality" not in args.skip:
        shots = build_benchmark(args.out / "shots", quick=args.quick)
        print(f"Quality: {len(shots)} shots, PSNR/SSIM/CDC per method")
        report["quality"] = quality(shots, args.out / "runs", cm, args.protocols)
        print_table(report["quality"])
    if "speed" not in args.skip:
        report["speed_1080p"] = speed(args.out / "runs", cm, 12 if args.quick else 24)
        s = report["speed_1080p"]
        print(f"\nSpeed at 1920x1080: {s['fps']:.2f} frames/s ({s['frames']} frames in {s['seconds']:.1f} s, {s['threads']} CPU threads)")
    if "memory" not in args.skip:
        lengths = (20, 60) if args.quick else (50, 500)
        mem = report["peak_memory_mib"] = peak_memory(args.out / "runs", cm, lengths)
        a, b = (mem[n] for n in lengths)
        print(f"\nPeak memory (640x360): {lengths[0]} frames {a:.0f} MiB, {lengths[1]} frames {b:.0f} MiB ({(b / a - 1) * 100:+.1f}%)")
    (args.out / "results.json").write_text(json.dumps(report, indent=2))
    print(f"\nresults: {args.out / 'results.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
