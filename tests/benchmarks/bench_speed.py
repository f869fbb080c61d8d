"""Speed benchmark (issue #16): Tinct's jobs against the I/O floor, on real footage, in one run.

    .venv/bin/python -m tests.benchmarks.bench_speed [--frames 40] [--sizes 1080p 2k 4k]
        [--jobs colorize restore] [--profile | --no-profile] [--workers N] [--device cpu|cuda]
        [--keyframe-every N] [--repeat N] [--scan grey|colour]
        [--out results.json] [--work bench-out/speed]

A script, not a test (pytest collects ``test_*.py`` only): it takes minutes and is not run in CI.

Footage: the first ``--frames`` frames of ``video/real/driving_redtrees_1080p.mp4`` (1920x1080),
made into ACEScg EXR by tests/benchmarks/shots.py ``build_real_footage`` (half float, zip). The
plates are grey (R = G = B = ACEScg luminance of the half-rounded colour, the benchmarks'
convention); ``damaged`` is the grey plate through tests/damage.py with bench_restore's
``REAL_DAMAGE``; the keyframes are the true colour frames on the first and last frame (and every
``--keyframe-every`` frames: several intervals, which split over workers). 2K
(2048x1080) stretches each colour frame horizontally by 2048/1920 (linear interpolation in ACEScg,
no padding: every pixel carries picture), then makes grey and damage the same way; ``--sizes 4k``
(4096x2160, not in the default run) enlarges each frame the same way. ``--scan colour`` (restore
only) makes the plates a colour film scan instead: the true colour (half-rounded), and its damaged
copy with the same damage on its luminance carried by each pixel's own chroma
(``tests/damage.py`` :func:`damaged_colour`); a colour frame is three planes where a grey one is one, so it is what
restore's memory at 4K is measured on too. Everything is cached under ``--work`` (one folder per
size, length, keyframe spacing and scan) and rebuilt only when missing.

Per size:
1. The I/O floor: a plain OpenImageIO loop in a fresh process, reading each clean EXR as float and
   writing it to another EXR with the same spec (half, zip), one frame after the other.
2. Each job through the real CLI (``python -m tinct.plugin.cli.main colorize|restore``, default
   settings, ``--overwrite``) in a fresh process: frames/s over the whole command as a user waits for
   it (interpreter start and imports included; "startup" says how much), its time over the floor's,
   peak RSS (VmHWM at exit; with --workers also the largest worker's), and CPU used: user + system
   seconds of the process and its workers over its wall time
   (cores), and as a share of the machine's ``os.cpu_count()``.
   Its quality at that size: mean PSNR of the output (sRGB display) against the true colour
   (colorize, frames that are not keyframes) or the clean grey plate (restore); the real-footage
   benchmarks score at 640x360, where the working scale is the full size, so a change to what runs
   at the working scale shows here first (restore of a colour scan: against the clean colour).
   ``--repeat N`` times the floor and each job N times and reports the run of median time (the
   others' times beside it): this shared machine's speed drifts by a few per cent from one run to
   the next.
3. ``--profile`` (default): the job again under cProfile (it slows the job, so the figures above
   come from the run without it), in one process (``--workers 1``: the worker processes of a split
   render would be out of the profiler's sight). Every Python thread gets its own profiler (threading.setprofile);
   each function's own time goes to the stage of the innermost known function that called it
   (core/imageio read -> read, colour.py/chroma.py -> colour conversion, DIS flow -> flow, ...,
   lock waits -> waiting). Stages are thread-seconds: the reader threads (tinct-read) and the writer
   (tinct-write) run in parallel with the main thread, so a column sums to its threads' lifetimes
   and the total can pass 100 % of the wall time. Native threads (OpenEXR, OpenCV) are not seen.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import pstats
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, replace
from functools import partial
from pathlib import Path

import cv2
import numpy as np

import tinct.core
from tests.benchmarks.bench_restore import REAL_DAMAGE, grey, shown, write_grey
from tests.benchmarks.metrics import psnr, to_display
from tests.benchmarks.shots import CHANNELS, EXR_ATTRIBUTES, build_real_footage
from tests.damage import FilmDamage, damaged_colour
from tinct.core.chroma import luminance
from tinct.core.colour import ColourManager
from tinct.core.imageio import read_image, write_exr

REPO = Path(__file__).resolve().parents[2]
CLIP = "driving_redtrees_1080p"
SIZES = {"1080p": (1920, 1080), "2k": (2048, 1080), "4k": (4096, 2160)}
JOBS = ("colorize", "restore")
DAMAGE_SEED = 2000
# Bump when the plates change, so cached ones are rebuilt.
PLATE_VERSION = 1
TINCT_ROOT = Path(tinct.core.__file__).resolve().parents[1]

READ, COLOUR, FLOW, PROPAGATION, REPAIR, FILL, PARK, WRITE = (
    "read",
    "colour conversion",
    "flow",
    "propagation",
    "repair",
    "fill",
    "park (backward-pass cache)",
    "write",
)
OTHER, WAITING = "other", "waiting (idle)"
STAGES = (READ, COLOUR, FLOW, PROPAGATION, REPAIR, FILL, PARK, WRITE, OTHER, WAITING)
# (module under the repo root, its functions (None: all), stage): the first match wins. A function
# matching none takes the stage of its callers (numpy, OpenCV, OIIO calls, helpers such as
# flow.warp that both propagation and repair use), weighted by the time each caller spent in it.
STAGE_RULES: tuple[tuple[str, frozenset[str] | None, str], ...] = (
    ("core/imageio.py", frozenset({"read_image", "read_spec", "read_header", "read_attribute", "_open"}), READ),
    ("core/imageio.py", frozenset({"_check_finite"}), READ),
    ("core/source.py", frozenset({"read", "_check_like_first"}), READ),
    ("core/imageio.py", frozenset({"write_exr", "_output_spec", "_keeps", "_check_compression", "_discard"}), WRITE),
    ("core/provenance.py", frozenset({"provenance"}), WRITE),
    (
        "core/colour.py",
        frozenset({"convert", "to_working", "from_working", "to_model", "from_model", "_processor", "_matrix"}),
        COLOUR,
    ),
    ("core/chroma.py", None, COLOUR),
    ("core/flow.py", frozenset({"__call__", "flow_guide", "srgb_encode", "reversed"}), FLOW),
    ("core/propagation.py", frozenset({"plate", "motion"}), FLOW),
    ("core/restore/frames.py", frozenset({"measure_motion"}), FLOW),
    ("core/propagation.py", None, PROPAGATION),
    ("core/keyframe_colorize.py", frozenset({"_keyframe", "_prepare_keyframe"}), PROPAGATION),
    ("core/interval.py", frozenset({"_park", "_unpark", "park", "take"}), PARK),
    ("core/keyframe_colorize.py", frozenset({"_texture_matcher"}), FILL),
    ("core/guided.py", None, FILL),
    ("core/reference.py", None, FILL),
    ("core/restore/", None, REPAIR),
)
# Built-ins where a thread blocks: a lock (futures, queues, semaphores), an idle pool worker, a sleep.
WAITS = frozenset(
    {
        "<method 'acquire' of '_thread.lock' objects>",
        "<method 'acquire' of '_thread.RLock' objects>",
        "<method 'get' of '_queue.SimpleQueue' objects>",
        "<built-in method time.sleep>",
    }
)

# Runs the CLI in this process and reports its figures; with a profile folder, every Python thread
# is profiled by a cProfile of its own (threading.setprofile starts one as each thread starts).
_CHILD = r"""
import json, os, resource, sys, threading, time
report, profile_dir = sys.argv[1], sys.argv[2]
started = time.perf_counter()
from tinct.plugin.cli.main import main
imported = time.perf_counter()
profilers = []
if profile_dir:
    import cProfile
    def start_profiler(frame, event, arg):
        profiler = cProfile.Profile()
        profilers.append((threading.current_thread().name, profiler))
        profiler.enable()
    threading.setprofile(start_profiler)
    main_profiler = cProfile.Profile()
    profilers.append((threading.current_thread().name, main_profiler))
    main_profiler.enable()
begin = time.perf_counter()
code = main(sys.argv[3:])
seconds = time.perf_counter() - begin
if profile_dir:
    main_profiler.disable()
    threading.setprofile(None)
    for index, (name, profiler) in enumerate(profilers):
        profiler.dump_stats(os.path.join(profile_dir, f"{index:03d}.{name}.prof"))
usage = resource.getrusage(resource.RUSAGE_SELF)
# Worker processes (--workers) have ended by now: their CPU time, and the largest one's peak.
workers = resource.getrusage(resource.RUSAGE_CHILDREN)
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent across fork and exec.
peak = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
with open(report, "w") as stream:
    json.dump({"code": code, "import_seconds": imported - started, "main_seconds": seconds,
               "cpu_seconds": usage.ru_utime + usage.ru_stime + workers.ru_utime + workers.ru_stime,
               "peak_rss_kib": peak, "worker_peak_rss_kib": workers.ru_maxrss}, stream)
sys.exit(code)
"""

# The I/O floor: read each EXR as float, write it with the same spec (pixel type, compression).
_FLOOR = r"""
import json, os, resource, sys, time
import OpenImageIO as oiio
report, out_dir, sources = sys.argv[1], sys.argv[3], sys.argv[4:]  # argv[2]: no profile
os.makedirs(out_dir, exist_ok=True)
begin = time.perf_counter()
for source in sources:
    inp = oiio.ImageInput.open(source)
    if inp is None:
        sys.exit(oiio.geterror())
    spec = oiio.ImageSpec(inp.spec())
    pixels = inp.read_image(0, 0, 0, spec.nchannels, "float")
    inp.close()
    target = os.path.join(out_dir, os.path.basename(source))
    out = oiio.ImageOutput.create(target)
    if not (out.open(target, spec) and out.write_image(pixels) and out.close()):
        sys.exit(out.geterror())
seconds = time.perf_counter() - begin
usage = resource.getrusage(resource.RUSAGE_SELF)
peak = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
with open(report, "w") as stream:
    json.dump({"code": 0, "main_seconds": seconds, "cpu_seconds": usage.ru_utime + usage.ru_stime,
               "peak_rss_kib": peak, "compression": spec.getattribute("compression")}, stream)
"""


# -- plates -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Plates:
    """One size's plates, ``first``..``last``: the clean plate (grey, or the colour of a colour scan), its
    damaged copy and the colour keyframes."""

    folder: Path
    width: int
    height: int
    first: int
    last: int
    scan: str = "grey"

    @property
    def clean(self) -> str:
        """The kind (folder) of the clean plate."""
        return "colour" if self.scan == "colour" else "grey"

    def pattern(self, kind: str) -> str:
        return str(self.folder / kind / "shot.####.exr")

    def paths(self, kind: str) -> list[Path]:
        return [self.folder / kind / f"shot.{f:04d}.exr" for f in range(self.first, self.last + 1)]

    @property
    def count(self) -> int:
        return self.last - self.first + 1


def build_plates(work: Path, size: str, frames: int, keyframe_every: int | None = None, scan: str = "grey") -> Plates:
    """The plates of ``size`` (SIZES) and ``frames`` long, from the cache when complete; keyframes on
    the first and last frame, and every ``keyframe_every`` frames when given; ``scan`` 'grey' or
    'colour' (see the module's notes)."""
    width, height = SIZES[size]
    folder = work / (
        f"{size}-{frames}f"
        + (f"-k{keyframe_every}" if keyframe_every else "")
        + ("-colour" if scan == "colour" else "")
    )
    recipe = {"version": PLATE_VERSION, "clip": CLIP, "width": width, "height": height, "frames": frames,
              "damage": asdict(replace(REAL_DAMAGE, seed=DAMAGE_SEED))}  # fmt: skip
    if keyframe_every:
        recipe["keyframe_every"] = keyframe_every
    if scan == "colour":
        recipe["scan"] = scan
    recipe = json.loads(json.dumps(recipe))  # tuples as lists, as read back
    marker = folder / "plates.json"
    if marker.is_file():
        plates = Plates(folder, width, height, **json.loads(marker.read_text())["span"], scan=scan)
        if json.loads(marker.read_text())["recipe"] == recipe and all(
            p.is_file() for kind in (plates.clean, "damaged") for p in plates.paths(kind)
        ):
            return plates
        marker.unlink()
    shot = build_real_footage(work / "footage", width=1920, height=1080, clips=(CLIP,))[0]
    if len(shot.frames) < frames:
        raise SystemExit(f"--frames {frames}: {CLIP} has {len(shot.frames)} frames")
    print(f"building {size} plates ({width}x{height}, {frames} frames) in {folder}", flush=True)
    for kind in ("grey", "colour", "damaged", "keys"):
        shutil.rmtree(folder / kind, ignore_errors=True)
    weights = ColourManager().luminance_weights()
    damage = FilmDamage(replace(REAL_DAMAGE, seed=DAMAGE_SEED), width, height)
    used = list(shot.frames)[:frames]
    for index, frame in enumerate(used):
        rgb = read_image(shot.truth_path(frame)).rgb()
        if (rgb.shape[1], rgb.shape[0]) != (width, height):
            rgb = cv2.resize(rgb, (width, height), interpolation=cv2.INTER_LINEAR)
        stored = rgb.astype(np.float16).astype(np.float32)
        y = luminance(stored, weights).astype(np.float16).astype(np.float32)
        name = f"shot.{frame:04d}.exr"
        damaged = damage.damage(y, index).frame
        if scan == "colour":
            write_exr(folder / "colour" / name, stored, CHANNELS, attributes=EXR_ATTRIBUTES)
            write_exr(
                folder / "damaged" / name, damaged_colour(stored, y, damaged), CHANNELS, attributes=EXR_ATTRIBUTES
            )
        else:
            write_grey(folder / "grey" / name, y)
            write_grey(folder / "damaged" / name, damaged)
        if index in (0, len(used) - 1) or (keyframe_every and index % keyframe_every == 0):
            write_exr(folder / "keys" / name, stored, CHANNELS, attributes=EXR_ATTRIBUTES)
    span = {"first": used[0], "last": used[-1]}
    marker.write_text(json.dumps({"recipe": recipe, "span": span}, indent=2) + "\n")
    return Plates(folder, width, height, **span, scan=scan)


# -- runs ---------------------------------------------------------------------------------------


def cli_arguments(job: str, plates: Plates, workers: int | None, device: str | None = None) -> list[str]:
    """The ``tinct`` command line of ``job`` on ``plates``, default settings."""
    if job == "colorize":
        args = ["colorize", plates.pattern("grey"), "--keyframes", plates.pattern("keys")]
    else:
        args = ["restore", plates.pattern("damaged")]
    args += ["-o", str(plates.folder / f"out-{job}" / "shot.####.exr"), "--overwrite"]
    args += ["--device", device] if device is not None else []
    return args + (["--workers", str(workers)] if workers is not None else [])


def run_child(code: str, args: list[str], profile_dir: Path | None = None) -> dict:
    """Run ``code`` in a fresh Python with ``args``; its report plus ``wall_seconds`` (spawn to exit),
    or ``error`` (the end of its stderr) when it failed."""
    with tempfile.TemporaryDirectory() as temporary:
        report = Path(temporary) / "report.json"
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-c", code, str(report), str(profile_dir or ""), *args],
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        wall = time.perf_counter() - start
        if done.returncode != 0 or not report.is_file():
            return {"error": done.stderr.strip()[-2000:] or f"exit code {done.returncode}", "code": done.returncode}
        return {**json.loads(report.read_text()), "wall_seconds": wall}


def floor(plates: Plates) -> dict:
    sources = [str(p) for p in plates.paths(plates.clean)]
    result = run_child(_FLOOR, [str(plates.folder / "floor"), *sources])
    if "error" not in result:
        result["fps"] = plates.count / result["main_seconds"]
    return result


def median_run(measure: Callable[[], dict], repeat: int, seconds: str) -> dict:
    """``measure()`` run ``repeat`` times: the run of median ``seconds`` (this machine's speed drifts
    by a few per cent from run to run), with every run's ``seconds`` as ``runs_seconds``; the first
    failure instead, if any."""
    runs = [measure() for _ in range(repeat)]
    failed = [run for run in runs if "error" in run]
    if failed:
        return failed[0]
    ranked = sorted(runs, key=lambda run: run[seconds])
    return {**ranked[len(ranked) // 2], "runs_seconds": [run[seconds] for run in runs]}


def repeats_note(result: Mapping) -> str:
    """' the median of runs taking A, B, C s' for a repeated measurement, else nothing."""
    times = result.get("runs_seconds", [])
    return f" the median of runs taking {', '.join(f'{t:.1f}' for t in times)} s" if len(times) > 1 else ""


def _rss(row: Mapping) -> str:
    main = f"{row['peak_rss_kib'] / 1024**2:.2f}"
    worker = row.get("worker_peak_rss_kib", 0)
    return main if worker < row["peak_rss_kib"] else f"{main} + {worker / 1024**2:.2f}"


def timed(job: str, plates: Plates, workers: int | None, device: str | None, floor_seconds: float) -> dict:
    result = run_child(_CHILD, cli_arguments(job, plates, workers, device))
    if "error" in result:
        return result
    wall = result["wall_seconds"]
    cores = result["cpu_seconds"] / wall
    return {
        **result,
        "fps": plates.count / wall,
        "x_floor": wall / floor_seconds,
        "startup_seconds": wall - result["main_seconds"],
        "cpu_cores": cores,
        "cpu_share": cores / (os.cpu_count() or 1),
    }


def quality(job: str, plates: Plates, work: Path) -> float:
    """Mean PSNR (dB, sRGB display) of a job's output at the size it ran: colorize against the true
    colour on the frames that are not keyframes, restore against the clean plate. A speed-up
    must keep it (the real-footage benchmarks score at 640x360, where the working scale is the full size)."""
    cm = ColourManager()
    out = plates.folder / f"out-{job}"
    scores = []
    if job == "colorize":
        shot = build_real_footage(work / "footage", width=1920, height=1080, clips=(CLIP,))[0]
        for frame, path in zip(range(plates.first, plates.last + 1), plates.paths("grey"), strict=True):
            if (plates.folder / "keys" / path.name).is_file():
                continue
            truth = read_image(shot.truth_path(frame)).rgb()
            if (truth.shape[1], truth.shape[0]) != (plates.width, plates.height):
                truth = cv2.resize(truth, (plates.width, plates.height), interpolation=cv2.INTER_LINEAR)
            truth = truth.astype(np.float16).astype(np.float32)
            scores.append(psnr(to_display(read_image(out / path.name).rgb(), cm), to_display(truth, cm)))
    elif plates.scan == "colour":
        for path in plates.paths("colour"):
            scores.append(
                psnr(to_display(read_image(out / path.name).rgb(), cm), to_display(read_image(path).rgb(), cm))
            )
    else:
        for path in plates.paths("grey"):
            scores.append(psnr(shown(read_image(out / path.name).rgb()[..., 0], cm), shown(grey(path), cm)))
    return float(np.mean(scores))


def profiled(job: str, plates: Plates, device: str | None) -> dict:
    """The job's stages, profiled in one process (``--workers 1``): the processes of a split render
    are out of the profiler's sight, and each runs the same code a frame."""
    folder = plates.folder / f"profile-{job}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    result = run_child(_CHILD, cli_arguments(job, plates, 1, device), profile_dir=folder)
    if "error" in result:
        return result
    stages: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    threads: dict[str, int] = defaultdict(int)
    for path in sorted(folder.glob("*.prof")):
        name = path.name.split(".", 1)[1].rsplit(".", 1)[0]
        threads[name] += 1
        for stage, seconds in attribute(pstats.Stats(str(path)).stats).items():  # type: ignore[attr-defined]
            stages[stage][thread_group(name)] += seconds
    return {
        "wall_seconds": result["main_seconds"],
        "threads": dict(threads),
        "stages": {stage: dict(by_group) for stage, by_group in stages.items()},
    }


def rejected_workers(result: dict) -> bool:
    """True when the CLI refused the ``--workers`` flag (argparse: exit code 2, flag named)."""
    error = result.get("error", "")
    return result.get("code") == 2 and "--workers" in error and ("unrecognized" in error or "invalid" in error)


# -- stages -------------------------------------------------------------------------------------

Func = tuple[str, int, str]


def stage_of(func: Func, root: Path = TINCT_ROOT) -> str | None:
    """The stage a profiled function belongs to by itself (STAGE_RULES, WAITS), or None."""
    filename, _, name = func
    if filename == "~":
        return WAITING if name in WAITS else None
    try:
        module = Path(filename).resolve().relative_to(root).as_posix()
    except ValueError:
        return None
    for where, names, stage in STAGE_RULES:
        inside = module.startswith(where) if where.endswith("/") else module == where
        if inside and (names is None or name in names):
            return stage
    return None


def attribute(stats: Mapping[Func, tuple], classify: Callable[[Func], str | None] = stage_of) -> dict[str, float]:
    """Seconds per stage of one thread's pstats ``stats`` ({func: (cc, nc, tottime, cumtime, callers)},
    callers {func: (cc, nc, tottime, cumtime)}): each function's own time goes to its stage, or, for
    a function of no stage, to its callers' stages in proportion to the time each spent in it; a
    function nobody known called is OTHER. The stages sum to the thread's profiled time."""
    shares: dict[Func, dict[str, float]] = {}

    def share(func: Func, path: frozenset[Func]) -> dict[str, float]:
        stage = classify(func)
        if stage is not None:
            return {stage: 1.0}
        if func in shares:
            return shares[func]
        callers = stats[func][4] if func in stats else {}
        weights = {c: edge[3] for c, edge in callers.items() if c not in path and c != func and edge[3] > 0}
        total = sum(weights.values())
        result: dict[str, float] = defaultdict(float)
        if total <= 0:
            result[OTHER] = 1.0
        for caller, weight in weights.items():
            for stage, part in share(caller, path | {func}).items():
                result[stage] += part * weight / total
        shares[func] = dict(result)
        return shares[func]

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 20 * len(stats) + 1000))
    try:
        seconds: dict[str, float] = defaultdict(float)
        for func, entry in stats.items():
            if entry[2] > 0:
                for stage, part in share(func, frozenset()).items():
                    seconds[stage] += entry[2] * part
    finally:
        sys.setrecursionlimit(limit)
    return dict(seconds)


def thread_group(name: str) -> str:
    """A thread's group: "main", a tinct pool ("tinct-read", "tinct-write": the engine's read-ahead
    and write-behind), or "other threads" (short helpers, e.g. the one building a FLANN index)."""
    if name == "MainThread":
        return "main"
    return re.sub(r"_\d+$", "", name) if name.startswith("tinct-") else "other threads"


# -- report -------------------------------------------------------------------------------------


def speed_table(rows: list[dict]) -> str:
    lines = [
        "| job | size | frames/s | x floor | wall s | startup s | peak RSS GiB (main + largest worker) | CPU cores used "
        "| PSNR dB |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['job']} | {r['size']} | failed | | | | | | |")
            continue
        startup = f"{r['startup_seconds']:.1f}" if "startup_seconds" in r else "-"
        score = f"{r['psnr']:.2f}" if "psnr" in r else "-"
        lines.append(
            f"| {r['job']} | {r['size']} | {r['fps']:.2f} | {r['x_floor']:.1f} | {r['wall_seconds']:.1f} | {startup} "
            f"| {_rss(r)} | {r['cpu_cores']:.2f} ({100 * r['cpu_share']:.0f} % of {os.cpu_count()}) | {score} |"
        )
    return "\n".join(lines)


def stage_table(profile: dict) -> str:
    stages, wall = profile["stages"], profile["wall_seconds"]
    order = {"main": 0, "other threads": 2}
    groups = sorted({g for by_group in stages.values() for g in by_group}, key=lambda g: (order.get(g, 1), g))
    lines = [
        "| stage | " + " | ".join(f"{g} s" for g in groups) + " | all threads s | % of wall |",
        "| --- |" + " ---: |" * (len(groups) + 2),
    ]
    for stage in [s for s in STAGES if s in stages]:
        by_group = stages[stage]
        total = sum(by_group.values())
        cells = " | ".join(f"{by_group.get(g, 0.0):.2f}" for g in groups)
        lines.append(f"| {stage} | {cells} | {total:.2f} | {100 * total / wall:.0f} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, default=40, help="frames of the clip to use (2 to 54; default 40)")
    parser.add_argument("--sizes", nargs="+", default=["1080p", "2k"], choices=list(SIZES))
    parser.add_argument("--jobs", nargs="+", default=list(JOBS), choices=JOBS)
    parser.add_argument(
        "--profile", action=argparse.BooleanOptionalAction, default=True, help="a profiled run per job for its stages"
    )
    parser.add_argument("--workers", type=int, help="passed to the jobs as --workers N (default: not passed)")
    parser.add_argument(
        "--device", choices=("auto", "cpu", "cuda"), help="passed to the jobs as --device (default: not passed: auto)"
    )
    parser.add_argument(
        "--keyframe-every",
        type=int,
        metavar="N",
        help="colorize with a keyframe every N frames too (several intervals: a render that splits over "
        "workers); default: the first and last frame only (one interval)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        metavar="N",
        help="time the floor and each job N times and report the run of median time (default 1)",
    )
    parser.add_argument(
        "--scan",
        choices=("grey", "colour"),
        default="grey",
        help="restore a black-and-white scan (default) or a colour film scan (--jobs restore only)",
    )
    parser.add_argument("--work", type=Path, default=REPO / "bench-out" / "speed", help="plates, outputs, profiles")
    parser.add_argument("--out", type=Path, help="results JSON (default: WORK/results.json)")
    args = parser.parse_args()
    if args.frames < 2:
        parser.error("--frames must be at least 2 (keyframes on the first and last frame)")
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    if args.scan == "colour" and "colorize" in args.jobs:
        parser.error("--scan colour is a colour film scan for restore: add --jobs restore")
    out = args.out or args.work / "results.json"
    cpus = os.cpu_count()
    report: dict = {
        "machine": {"cpus": cpus, "python": platform.python_version(), "load_average_start": os.getloadavg()[0]},
        "frames": args.frames,
        "repeat": args.repeat,
        "workers": args.workers,
        "device": args.device,
        "scan": args.scan,
        "floor": {},
        "jobs": [],
    }
    print(f"{CLIP}, {args.frames} frames; {cpus} CPUs, load average {os.getloadavg()[0]:.1f}", flush=True)
    rows: list[dict] = []
    profiles: list[tuple[str, str, dict]] = []
    for size in args.sizes:
        plates = build_plates(args.work, size, args.frames, args.keyframe_every, args.scan)
        base = median_run(partial(floor, plates), args.repeat, "main_seconds")
        report["floor"][size] = base
        if "error" in base:
            print(f"I/O floor failed at {size}:\n{base['error']}")
            return 1
        rows.append({"job": "I/O floor", "size": size, **base, "x_floor": 1.0, "cpu_cores": 0.0, "cpu_share": 0.0})
        rows[-1]["cpu_cores"] = base["cpu_seconds"] / base["wall_seconds"]
        rows[-1]["cpu_share"] = rows[-1]["cpu_cores"] / (cpus or 1)
        rows[-1]["wall_seconds"] = base["main_seconds"]
        print(
            f"{size} I/O floor: {base['fps']:.2f} frames/s ({base['main_seconds']:.1f} s{repeats_note(base)})",
            flush=True,
        )
        for job in args.jobs:
            load = os.getloadavg()[0]
            result = {
                "job": job,
                "size": size,
                "load_average": load,
                **median_run(
                    partial(timed, job, plates, args.workers, args.device, base["main_seconds"]),
                    args.repeat,
                    "wall_seconds",
                ),
            }
            if "error" in result:
                if rejected_workers(result):
                    print(
                        f"{size} {job}: the CLI rejected --workers {args.workers} (not supported by this tinct {job}?):"
                    )
                else:
                    print(f"{size} {job} failed:")
                print(result["error"], flush=True)
            else:
                result["psnr"] = quality(job, plates, args.work)
                print(
                    f"{size} {job}: {result['fps']:.2f} frames/s ({result['wall_seconds']:.1f} s{repeats_note(result)}, load average "
                    f"{load:.1f}), {result['psnr']:.2f} dB",
                    flush=True,
                )
                if args.profile:
                    result["profile"] = profiled(job, plates, args.device)
                    if "error" in result["profile"]:
                        print(f"{size} {job} profiled run failed:\n{result['profile']['error']}", flush=True)
                    else:
                        profiles.append((job, size, result["profile"]))
            rows.append(result)
            report["jobs"].append(result)
    report["machine"]["load_average_end"] = os.getloadavg()[0]

    options = "".join(
        f", --{name} {value}"
        for name, value in (
            ("workers", args.workers),
            ("device", args.device),
            ("scan", args.scan != "grey" and args.scan),
        )
        if value
    )
    print(f"\n## Speed ({args.frames} frames of {CLIP}{options})\n")
    print(speed_table(rows))
    print(
        "\nframes/s and x floor: the whole command (interpreter start included) over the floor's read + write loop;"
        " peak RSS: VmHWM of the command's process, plus the largest worker process's peak when --workers split"
        " the render (each worker holds about that much at once); CPU: user + system seconds of the process"
        " and its workers over wall seconds; PSNR: the output against the true colour (colorize, frames that"
        " are not keyframes) or the clean plate (restore), sRGB display."
    )
    for job, size, profile in profiles:
        threads = ", ".join(f"{name} x{n}" if n > 1 else name for name, n in sorted(profile["threads"].items()))
        print(f"\n### {job} {size}: stages (profiled run in one process, {profile['wall_seconds']:.1f} s wall)\n")
        print(stage_table(profile))
        print(
            f"\nThreads profiled: {threads}. The tinct-read threads (read + colour conversion ahead) and the "
            "tinct-write thread (conversion + write behind) run in parallel with main: stage seconds overlap."
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nresults: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
