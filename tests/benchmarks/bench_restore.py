"""Restore benchmark: synthetic film damage over real live-action clips and synthetic shots.

    .venv/bin/python -m tests.benchmarks.bench_restore [--sections real synthetic speed memory]
        [--quick] [--out bench-out/restore] [--shots DIR] [--real-shots DIR] [--clips NAME ...]
        [--pixels opencv|torch:cpu|torch:cuda]

Sections:
- ``real`` (the product's figures): the nine real clips of ../shared/data/video/real (people,
  hands, driving, surfing, a zoom, foliage; tests/benchmarks/shots.py ``build_real_footage``), every
  frame fitted into 640x360, grey (luminance) ACEScg EXR, damaged with :data:`REAL_DAMAGE`.
- ``synthetic`` (a diagnostic): the grey shots of the public benchmark set (camera and object
  motion over ../shared/data photos, and Big Buck Bunny). The last 24 frames of its first shot fade
  to black (clean and damaged alike): the fade must survive. Damage: the default spec.
- ``weave``: the clean real clips shaken by synthetic gate weave (``tests/weave.py``: up to 4 px and
  0.3 degrees, independent per frame), restored with ``stabilise``; the residual weave of the output
  against the clean frames (frame-to-frame jitter, and RMS after the shot's constant offset, which
  also counts slow drift a smoother cannot tell from a camera move).
- ``speed`` and ``memory``: see below.

Damage: :class:`tests.damage.FilmDamage` (softness, global and regional flicker, signal-dependent
grain, dust and blotches, drifting line scratches), seeded per shot, written as half-float EXR like
a scan. Tinct runs end to end through files (``RestoreJob``, default settings).

Reported per shot and as a mean over shots (sRGB-encoded image clamped to [0, 1], as the field does):
- PSNR / SSIM against the clean frames of the damaged input, a 3-frame temporal median (no motion
  compensation: the classic baseline) and Tinct. The clean frames are sharp: the damage's softness
  is not undone by Restore (that is Clarity's job), so "softness ceiling" says what a perfect
  repair of everything else would score.
- Dust detection against the generator's masks: a pixel is detected where ``restore.defect`` > 0.5.
  Recall over the dust pixels of opacity > 0.5 that changed the picture visibly (by >= 0.05 in
  sRGB), and over all of them; precision: detected pixels within 1 pixel of any generated defect
  (dust, blotch or scratch of opacity > 0.05) over all detected pixels. Recall over all of them
  also on the shots' first and last frames alone (witnesses on one side only) and on the frames
  between.
- Scratches: recall over the scratch pixels of opacity > 0.1 away from dust (flagged as for dust),
  and the RMS error left on them, damaged and Tinct.
- Flicker: std over frames of the frame-mean differences; "residual" subtracts the clean frames'
  own differences (camera motion changes the mean too).
- Grain in repairs (:class:`tests.benchmarks.metrics.GrainEnergy`): the high-pass energy of Tinct's
  output inside the dust and scratches it repaired (opacity over 0.05, flagged), over that of the ring around them (1: as grainy
  as the surroundings; under 1: a smooth, "frozen" patch). The clean frames' ratio over the same
  regions says how much of it is the picture's own texture.
- Fade: RMS error of the frame means over the fade, Tinct and damaged, against clean.
- Do no harm: Tinct on the clean frames, PSNR against them.
- Speed: frames per second at 1920x1080 of the whole job (read, restore, write) and its peak memory;
  peak memory of a short and a 4 times longer 640x360 shot (bounded memory).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np

from tests.benchmarks.backends import add_pixels_argument, pixels_named
from tests.benchmarks.metrics import GrainEnergy, psnr, ssim, to_display
from tests.benchmarks.shots import REAL_CLIPS, BenchShot, build_benchmark, build_real_footage
from tests.damage import Damaged, DamageSpec, FilmDamage
from tests.weave import apply_weave, measure_residual, weave
from tinct.core.colour import ColourManager
from tinct.core.imageio import read_image, write_exr
from tinct.core.keyframe_colorize import OutputOptions
from tinct.core.pixels import OPENCV, Pixels
from tinct.core.restore import DEFECT_CHANNEL, RestoreJob, RestoreRequest
from tinct.core.sequence import parse_sequence
from tinct.core.synthetic import ShotSpec, SyntheticShot, load_photo
from tinct.nodes.restore import RESTORE, restore_settings

REPO = Path(__file__).resolve().parents[2]
ATTRIBUTES = {"oiio:ColorSpace": "lin_ap1_scene"}
FADE = 24
VISIBLE = 0.05
# Scratch pixels counted for the scratch recall and error (opacity).
SCRATCH_OPACITY = 0.1
# The real clips' damage: the default spec (seeded per clip) without its softness, which Restore
# does not undo (that is Clarity's job) and which would cap every repair figure.
REAL_DAMAGE = DamageSpec(softness=0.0)
SECTIONS = ("real", "weave", "synthetic", "speed", "memory")
# Synthetic gate weave over the real clips: the most a frame is displaced (pixels) and turned (degrees).
WEAVE_AMPLITUDE = 4.0
WEAVE_ROTATION = 0.3


def grey(path: Path) -> np.ndarray:
    return read_image(path).rgb()[..., 0]


def write_grey(path: Path, y: np.ndarray, pixel_type: str = "half") -> None:
    write_exr(path, np.repeat(y[..., None], 3, axis=-1), ["R", "G", "B"], pixel_type=pixel_type, attributes=ATTRIBUTES)


def fade(index: int, count: int) -> float:
    """Gain of frame ``index`` of a shot of ``count`` frames whose last FADE frames fade to black."""
    start = count - FADE
    return 1.0 if index < start else max(0.0, 1.0 - (index - start + 1) / FADE)


def prepare(shot: BenchShot, spec: DamageSpec, fade_out: bool, work: Path) -> tuple[list[np.ndarray], list, Path, Path]:
    """Clean frames (faded out if asked), their damage, and the damaged and clean EXR folders."""
    frames = list(shot.frames)
    damage = FilmDamage(spec, shot.width, shot.height)
    clean, truth = [], []
    for index, frame in enumerate(frames):
        y = grey(shot.grey_path(frame)) * (fade(index, len(frames)) if fade_out else 1.0)
        hurt = damage.damage(y, index)
        write_grey(work / "damaged" / f"shot.{frame:04d}.exr", hurt.frame)
        write_grey(work / "clean" / f"shot.{frame:04d}.exr", y)
        clean.append(grey(work / "clean" / f"shot.{frame:04d}.exr"))
        truth.append(hurt)
    return clean, truth, work / "damaged", work / "clean"


def restore(source: Path, out: Path, given: dict | None = None, pixels: Pixels = OPENCV) -> None:
    values = RESTORE.resolve(given or {})
    RestoreJob(
        RestoreRequest(
            source=parse_sequence(str(source / "shot.####.exr")),
            output=parse_sequence(str(out / "shot.####.exr")),
            settings=restore_settings(values),
            output_options=OutputOptions(overwrite=True),
            params=dict(values),
            pixels=pixels,
        )
    ).run()


def shown(y: np.ndarray, cm: ColourManager) -> np.ndarray:
    return to_display(np.repeat(y[..., None], 3, axis=-1), cm)


def near_a_defect(truth: Damaged) -> np.ndarray:
    """(H, W) bool: within a pixel of any dust or scratch (opacity over 0.05), where a flagged pixel
    counts as right (dust precision)."""
    defects = (truth.dust > 0.05) | (truth.scratches > 0.05)
    return cv2.dilate(defects.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)


def score_shot(
    shot: BenchShot,
    spec: DamageSpec,
    fade_out: bool,
    work: Path,
    cm: ColourManager,
    given: dict,
    pixels: Pixels = OPENCV,
) -> dict:
    clean, truth, damaged_dir, clean_dir = prepare(shot, spec, fade_out, work)
    restore(damaged_dir, work / "tinct", given, pixels)
    restore(clean_dir, work / "noharm", given, pixels)
    frames = list(shot.frames)
    damaged = [grey(damaged_dir / f"shot.{f:04d}.exr") for f in frames]
    softness = spec.softness * shot.height / 1080.0
    rows: dict[str, list] = {k: [] for k in ("damaged", "median3", "tinct", "ceiling", "noharm")}
    means: dict[str, list] = {k: [] for k in ("clean", "damaged", "median3", "tinct")}
    counts = dict(
        core=0,
        core_hit=0,
        ends=0,
        ends_hit=0,
        visible=0,
        visible_hit=0,
        detected=0,
        detected_true=0,
        scratch=0,
        scratch_hit=0,
    )
    scratch_error = {"damaged": 0.0, "tinct": 0.0}
    grain = {k: GrainEnergy() for k in ("dust", "scratches", "dust_clean", "scratches_clean")}
    for i, frame in enumerate(frames):
        restored = read_image(work / "tinct" / f"shot.{frame:04d}.exr")
        median = np.median(np.stack([damaged[max(i - 1, 0)], damaged[i], damaged[min(i + 1, len(frames) - 1)]]), axis=0)
        truth_shown = shown(clean[i], cm)
        images = {
            "damaged": damaged[i],
            "median3": median,
            "tinct": restored.rgb()[..., 0],
            "ceiling": cv2.GaussianBlur(clean[i], (0, 0), softness) if softness > 0 else clean[i],
            "noharm": grey(work / "noharm" / f"shot.{frame:04d}.exr"),
        }
        displays = {}
        for name, y in images.items():
            display = displays[name] = shown(y, cm)
            rows[name].append((psnr(display, truth_shown), ssim(display, truth_shown) if name != "noharm" else 0.0))
            if name in means:
                means[name].append(float(display.mean()))
        means["clean"].append(float(truth_shown.mean()))
        detected = restored.pixels[..., restored.index(DEFECT_CHANNEL)] > 0.5
        core = truth[i].dust > 0.5
        visible = core & (np.abs(truth[i].dust_change) >= VISIBLE)
        anywhere = near_a_defect(truth[i])
        counts["core"] += int(core.sum())
        counts["core_hit"] += int((core & detected).sum())
        if i in (0, len(frames) - 1):  # witnesses on one side only
            counts["ends"] += int(core.sum())
            counts["ends_hit"] += int((core & detected).sum())
        counts["visible"] += int(visible.sum())
        counts["visible_hit"] += int((visible & detected).sum())
        counts["detected"] += int(detected.sum())
        counts["detected_true"] += int((detected & anywhere).sum())
        # Scratch pixels (away from dust): flagged, and the error left on them.
        lines = (truth[i].scratches > SCRATCH_OPACITY) & ~cv2.dilate(
            (truth[i].dust > 0.05).astype(np.uint8), np.ones((5, 5), np.uint8)
        ).astype(bool)
        counts["scratch"] += int(lines.sum())
        counts["scratch_hit"] += int((lines & detected).sum())
        for name in scratch_error:
            scratch_error[name] += float((((displays[name] - truth_shown)[..., 1])[lines] ** 2).sum())
        defects = (truth[i].dust > 0.05) | (truth[i].scratches > 0.05)
        output, reference = displays["tinct"][..., 1], truth_shown[..., 1]
        for kind, opacity in (("dust", truth[i].dust), ("scratches", truth[i].scratches)):
            repaired = detected & (opacity > 0.05)
            grain[kind].update(output, repaired, defects & ~repaired)
            grain[f"{kind}_clean"].update(reference, repaired, defects & ~repaired)
    result: dict = {
        name: {"psnr": float(np.mean([p for p, _ in r])), "ssim": float(np.mean([s for _, s in r]))}
        for name, r in rows.items()
    }
    clean_steps = np.diff(means["clean"])
    result["flicker"] = {
        name: {"std": float(np.std(np.diff(m))), "residual": float(np.std(np.diff(m) - clean_steps))}
        for name, m in means.items()
    }
    result["counts"] = counts
    result["scratch_rmse"] = {name: float(np.sqrt(e / max(counts["scratch"], 1))) for name, e in scratch_error.items()}
    result["grain"] = {kind: metric.ratio() for kind, metric in grain.items()}
    if fade_out:
        tail = slice(len(frames) - FADE, len(frames))
        result["fade_rms"] = {
            name: float(np.sqrt(np.mean((np.asarray(means[name][tail]) - np.asarray(means["clean"][tail])) ** 2)))
            for name in ("damaged", "tinct")
        }
        result["fade_means"] = {name: [round(x, 4) for x in means[name][tail]] for name in ("clean", "tinct")}
    return result


def quality(
    shots: list[BenchShot],
    work: Path,
    cm: ColourManager,
    seed: int,
    spec: DamageSpec,
    fade_first: bool,
    given: dict,
    pixels: Pixels = OPENCV,
) -> dict:
    """Score every shot, damaged by ``spec`` seeded ``seed + number`` (the first faded out if asked),
    restored with the Restore node's ``given`` values over its defaults on the ``pixels`` backend. A
    real clip's number is its place in REAL_CLIPS, so that a run of some of them (``--clips``)
    damages each as the run of all does."""
    results = {}
    for number, shot in enumerate(shots):
        start = time.perf_counter()
        place = REAL_CLIPS.index(shot.name) if shot.name in REAL_CLIPS else number
        damage = replace(spec, seed=seed + place)
        faded = fade_first and number == 0
        r = results[shot.name] = score_shot(shot, damage, faded, work / shot.name, cm, given, pixels)
        r["seconds"] = time.perf_counter() - start
        c = r["counts"]
        print(
            f"  {shot.name:14} PSNR damaged {r['damaged']['psnr']:.2f}  median3 {r['median3']['psnr']:.2f}  "
            f"tinct {r['tinct']['psnr']:.2f}  (ceiling {r['ceiling']['psnr']:.2f})  "
            f"dust R {c['visible_hit'] / max(c['visible'], 1):.3f} P {c['detected_true'] / max(c['detected'], 1):.3f}  "
            f"grain dust {r['grain']['dust']:.2f} scratches {r['grain']['scratches']:.2f}  "
            f"no-harm {r['noharm']['psnr']:.2f}  ({r['seconds']:.0f} s)",
            flush=True,
        )
    return results


def summary(results: dict) -> dict:
    shots = list(results.values())
    mean = lambda key, metric: float(np.mean([s[key][metric] for s in shots]))  # noqa: E731
    total = {k: sum(s["counts"][k] for s in shots) for k in shots[0]["counts"]}
    out: dict = {
        name: {"psnr": mean(name, "psnr"), "ssim": mean(name, "ssim")}
        for name in ("damaged", "median3", "tinct", "ceiling")
    }
    out["gain_over_damaged_db"] = out["tinct"]["psnr"] - out["damaged"]["psnr"]
    out["gain_over_median3_db"] = out["tinct"]["psnr"] - out["median3"]["psnr"]
    out["dust"] = {
        "recall_visible": total["visible_hit"] / max(total["visible"], 1),
        "recall_all": total["core_hit"] / max(total["core"], 1),
        "recall_ends": total["ends_hit"] / max(total["ends"], 1),
        "recall_between": (total["core_hit"] - total["ends_hit"]) / max(total["core"] - total["ends"], 1),
        "precision": total["detected_true"] / max(total["detected"], 1),
    }
    out["scratches"] = {
        "recall": total["scratch_hit"] / max(total["scratch"], 1),
        "rmse": {name: float(np.mean([s["scratch_rmse"][name] for s in shots])) for name in ("damaged", "tinct")},
    }
    out["flicker"] = {
        name: {k: float(np.mean([s["flicker"][name][k] for s in shots])) for k in ("std", "residual")}
        for name in ("clean", "damaged", "median3", "tinct")
    }
    out["noharm_psnr"] = float(np.mean([s["noharm"]["psnr"] for s in shots]))
    out["noharm_psnr_worst"] = float(np.min([s["noharm"]["psnr"] for s in shots]))
    out["grain"] = {kind: float(np.nanmean([s["grain"][kind] for s in shots])) for kind in shots[0]["grain"]}
    out["grain_worst"] = {
        kind: [float(np.nanmin([s["grain"][kind] for s in shots])), float(np.nanmax([s["grain"][kind] for s in shots]))]
        for kind in ("dust", "scratches")
    }
    fades = [s["fade_rms"] for s in shots if "fade_rms" in s]
    if fades:
        out["fade_rms"] = fades[0]
    return out


def print_summary(s: dict) -> None:
    print("\nMean over shots (sRGB, clamped):       PSNR dB   SSIM")
    for name in ("damaged", "median3", "tinct", "ceiling"):
        label = {"median3": "3-frame temporal median", "ceiling": "softness ceiling"}.get(name, name)
        print(f"  {label:34} {s[name]['psnr']:7.2f}  {s[name]['ssim']:.4f}")
    print(
        f"  Tinct - damaged: {s['gain_over_damaged_db']:+.2f} dB; Tinct - median3: {s['gain_over_median3_db']:+.2f} dB"
    )
    d = s["dust"]
    print(
        f"Dust: recall {d['recall_visible']:.3f} (visible), {d['recall_all']:.3f} (all); precision {d['precision']:.3f}; "
        f"recall on the shots' first and last frames {d['recall_ends']:.3f}, on the frames between {d['recall_between']:.3f}"
    )
    sc = s["scratches"]
    print(
        f"Scratches: recall {sc['recall']:.3f} (pixels of opacity > {SCRATCH_OPACITY}); RMS error on them "
        f"damaged {sc['rmse']['damaged']:.4f}, tinct {sc['rmse']['tinct']:.4f}"
    )
    print("Flicker (std of frame-mean differences / residual against clean):")
    for name, f in s["flicker"].items():
        print(f"  {name:10} {f['std']:.5f} / {f['residual']:.5f}")
    if "fade_rms" in s:
        print(
            f"Fade to black: frame-mean RMS error damaged {s['fade_rms']['damaged']:.4f}, tinct {s['fade_rms']['tinct']:.4f}"
        )
    g = s["grain"]
    print(
        f"Grain in repairs (high-pass energy, repaired region / ring; clean frames over the same regions): "
        f"dust {g['dust']:.2f} (clean {g['dust_clean']:.2f}), scratches {g['scratches']:.2f} "
        f"(clean {g['scratches_clean']:.2f}); range over shots dust {s['grain_worst']['dust']}, "
        f"scratches {s['grain_worst']['scratches']}"
    )
    print(f"Do no harm: PSNR {s['noharm_psnr']:.2f} dB mean, {s['noharm_psnr_worst']:.2f} dB worst shot")


def print_table(results: dict) -> None:
    """Per shot: PSNR of the damaged input, the median and Tinct; dust; flicker; grain; do no harm."""
    print(
        f"  {'shot':24} {'damaged':>8} {'median3':>8} {'tinct':>8} {'dust R':>7} {'dust P':>7} "
        f"{'scr R':>6} {'flicker':>8} {'grain':>6} {'no-harm':>8}"
    )
    for name, r in results.items():
        c = r["counts"]
        print(
            f"  {name:24} {r['damaged']['psnr']:8.2f} {r['median3']['psnr']:8.2f} {r['tinct']['psnr']:8.2f} "
            f"{c['core_hit'] / max(c['core'], 1):7.3f} {c['detected_true'] / max(c['detected'], 1):7.3f} "
            f"{c['scratch_hit'] / max(c['scratch'], 1):6.3f} {r['flicker']['tinct']['residual']:8.5f} {r['grain']['dust']:6.2f} {r['noharm']['psnr']:8.2f}"
        )


def weave_shot(shot: BenchShot, seed: int, work: Path, pixels: Pixels = OPENCV) -> dict:
    """Weave a clean clip (up to WEAVE_AMPLITUDE px, WEAVE_ROTATION degrees, independent per frame),
    restore it with ``stabilise`` and the other settings at their defaults, and measure the residual
    weave of the woven input and of Tinct's output against the clean frames."""
    frames = list(shot.frames)
    clean = [grey(shot.grey_path(f)) for f in frames]
    for index, frame in enumerate(frames):
        woven = apply_weave(clean[index], weave(seed, index, WEAVE_AMPLITUDE, WEAVE_ROTATION))
        write_grey(work / "woven" / f"shot.{frame:04d}.exr", woven)
    restore(work / "woven", work / "tinct", {"stabilise": True}, pixels)
    out = {}
    for name in ("woven", "tinct"):
        images = [np.sqrt(np.maximum(grey(work / name / f"shot.{f:04d}.exr"), 0.0)) for f in frames]
        r = measure_residual(images, [np.sqrt(np.maximum(c, 0.0)) for c in clean])
        out[name] = {"jitter": r.jitter, "rms": r.rms, "peak": r.peak}
    return out


def weave_section(shots: list[BenchShot], work: Path, pixels: Pixels = OPENCV) -> dict:
    results = {}
    for number, shot in enumerate(shots):
        r = results[shot.name] = weave_shot(shot, 3000 + number, work / shot.name, pixels)
        print(
            f"  {shot.name:24} jitter woven {r['woven']['jitter']:.3f} px -> tinct {r['tinct']['jitter']:.3f} px; "
            f"RMS after constant offset {r['woven']['rms']:.3f} -> {r['tinct']['rms']:.3f} px",
            flush=True,
        )
    mean = {
        n: {k: float(np.mean([r[n][k] for r in results.values()])) for k in ("jitter", "rms")}
        for n in ("woven", "tinct")
    }
    print(
        f"Mean residual jitter: woven {mean['woven']['jitter']:.3f} px, stabilised {mean['tinct']['jitter']:.3f} px "
        f"(RMS after constant offset {mean['woven']['rms']:.3f} -> {mean['tinct']['rms']:.3f} px)"
    )
    return {"clips": results, "mean": mean}


def make_plate(root: Path, frames: int, width: int, height: int, cm: ColourManager) -> Path:
    """A damaged grey plate over the bundled sample photo; returns its folder."""
    folder = root / "damaged"
    if all((folder / f"shot.{1001 + i:04d}.exr").exists() for i in range(frames)):
        return folder
    photo = load_photo(REPO / "core" / "samples" / "fruits.jpg")
    shot = SyntheticShot(
        cm.convert(photo, "Linear Rec.709 (sRGB)", cm.working_space),
        ShotSpec(width=width, height=height, frames=frames, seed=11, objects=2),
    )
    damage = FilmDamage(DamageSpec(seed=11), width, height)
    weights = cm.luminance_weights().astype(np.float32)
    for index in range(frames):
        write_grey(folder / f"shot.{1001 + index:04d}.exr", damage.damage(shot.frame(index) @ weights, index).frame)
    return folder


_PROBE = """
import resource, sys, time
from tinct.core.keyframe_colorize import OutputOptions
from tinct.core.restore import RestoreJob, RestoreRequest
from tinct.core.sequence import parse_sequence
from tinct.nodes.restore import RESTORE, restore_settings
values = RESTORE.resolve({})
request = RestoreRequest(source=parse_sequence(sys.argv[1]), output=parse_sequence(sys.argv[2]),
                         settings=restore_settings(values), output_options=OutputOptions(overwrite=True), params=values)
start = time.perf_counter()
report = RestoreJob(request).run()
usage = resource.getrusage(resource.RUSAGE_SELF)
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent across fork and exec.
peak = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(len(report.written), time.perf_counter() - start, usage.ru_utime + usage.ru_stime, peak)
"""


def run_probe(folder: Path, out: Path) -> tuple[int, float, float, float]:
    """(frames written, wall seconds, CPU seconds of the whole process, peak resident memory in MiB) of a
    default restore, in a process of its own."""
    result = subprocess.run(
        [sys.executable, "-c", _PROBE, str(folder / "shot.####.exr"), str(out / "shot.####.exr")],
        check=True,
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    frames, seconds, cpu, rss = result.stdout.split()[-4:]
    return int(frames), float(seconds), float(cpu), float(rss) / 1024


def speed(work: Path, cm: ColourManager, frames: int) -> dict:
    folder = make_plate(work / "speed-1080p", frames, 1920, 1080, cm)
    count, seconds, cpu, rss = run_probe(folder, work / "speed-1080p" / "out")
    # The machine is shared: the load average says how many other processes competed for its CPUs.
    return {
        "frames": count,
        "seconds": seconds,
        "fps": count / seconds,
        "cpu_seconds_per_frame": cpu / count,
        "peak_rss_mib": rss,
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg()[0],
    }


def memory(work: Path, cm: ColourManager, lengths: tuple[int, int]) -> dict:
    out = {}
    for length in lengths:
        folder = make_plate(work / f"memory-{length}", length, 640, 360, cm)
        out[length] = run_probe(folder, work / f"memory-{length}" / "out")[3]
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=REPO / "bench-out" / "restore")
    parser.add_argument(
        "--sections", nargs="+", default=list(SECTIONS), choices=SECTIONS, help="what to measure (default: all)"
    )
    parser.add_argument(
        "--shots", type=Path, help="an existing benchmark set folder (default: OUT/shots, built if needed)"
    )
    parser.add_argument(
        "--real-shots", type=Path, help="an existing real-footage folder (default: OUT/real-shots, built if needed)"
    )
    parser.add_argument("--clips", nargs="+", default=list(REAL_CLIPS), choices=REAL_CLIPS, help="real clips to use")
    parser.add_argument("--quick", action="store_true", help="two small 24-frame shots, 12 frames at 1080p")
    parser.add_argument(
        "--set",
        nargs="+",
        default=[],
        metavar="NAME=VALUE",
        help="Restore node values other than the defaults for the quality sections (e.g. grain=0.9)",
    )
    add_pixels_argument(parser, "the quality and weave sections")
    args = parser.parse_args()
    pixels = pixels_named(args.pixels)
    given = RESTORE.resolve(dict(item.split("=", 1) for item in args.set)) if args.set else {}
    cm = ColourManager()
    report: dict = {"machine": {"cpus": os.cpu_count()}, "pixels": args.pixels}
    if "real" in args.sections:
        shots = build_real_footage(args.real_shots or args.out / "real-shots", clips=tuple(args.clips))
        print(f"Real footage: {len(shots)} clips with synthetic damage")
        report["real"] = quality(shots, args.out / "runs-real", cm, 2000, REAL_DAMAGE, False, given, pixels)
        report["real_summary"] = summary(report["real"])
        print_table(report["real"])
        print_summary(report["real_summary"])
    if "weave" in args.sections:
        shots = build_real_footage(args.real_shots or args.out / "real-shots", clips=tuple(args.clips))
        print(
            f"\nGate weave on the clean real clips (up to {WEAVE_AMPLITUDE} px, {WEAVE_ROTATION} degrees), --stabilise"
        )
        report["weave"] = weave_section(shots, args.out / "runs-weave", pixels)
    if "synthetic" in args.sections:
        shots = build_benchmark(args.shots or args.out / "shots", quick=args.quick)
        print(f"\nSynthetic diagnostic: {len(shots)} shots")
        report["shots"] = quality(shots, args.out / "runs", cm, 1000, DamageSpec(), True, given, pixels)
        report["summary"] = summary(report["shots"])
        print_summary(report["summary"])
    if "speed" in args.sections:
        s = report["speed_1080p"] = speed(args.out / "runs", cm, 12 if args.quick else 24)
        print(
            f"\nSpeed at 1920x1080: {s['fps']:.2f} frames/s ({s['frames']} frames in {s['seconds']:.1f} s on {s['cpus']} "
            f"CPUs at load average {s['load_average']:.1f}); {s['cpu_seconds_per_frame']:.2f} CPU s per frame; "
            f"peak memory {s['peak_rss_mib']:.0f} MiB"
        )
    if "memory" in args.sections:
        lengths = (24, 96) if args.quick else (48, 192)
        m = report["peak_memory_mib"] = memory(args.out / "runs", cm, lengths)
        print(
            f"Peak memory (640x360): {lengths[0]} frames {m[lengths[0]]:.0f} MiB, {lengths[1]} frames {m[lengths[1]]:.0f} MiB"
        )
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(report, indent=2))
    print(f"\nresults: {args.out / 'results.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
