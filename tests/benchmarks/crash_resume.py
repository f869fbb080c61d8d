"""Crash and resume: SIGKILL `tinct colorize` and `tinct restore` at random moments, rerun, compare.

    .venv/bin/python -m tests.benchmarks.crash_resume [--kills 20] [--seed 1] [--out bench-out/crash_resume]

Builds a small shot (24 frames 320x180: a grey plate made from the built-in photograph with a
virtual camera and moving cut-outs, keyframes on 1001, 1012 and 1024, and a damaged copy of the plate
for restore), renders each command clean once, then, alternating between the two, starts the command
in a fresh output folder, SIGKILLs it at a random moment of its job (between the making of its run
folder and the clean render's end: a kill while Python starts proves nothing), and reruns it to completion.
After each rerun every frame must be complete, finite and bitwise equal to the clean render (pixels and
channel names), and the output folder must hold nothing but the frames (no run folder, no temporary
file). Prints its numbers; exits 1 when any check failed. Outside CI: it takes minutes.
"""

from __future__ import annotations

import argparse
import random
import shutil
import signal
import subprocess
import sys
import time
from importlib.resources import files
from pathlib import Path

import numpy as np

from tests.damage import DamageSpec, FilmDamage
from tinct.core.chroma import luminance
from tinct.core.colour import ColourManager
from tinct.core.debris import PREFIX
from tinct.core.errors import TinctError
from tinct.core.imageio import read_image, write_exr
from tinct.core.synthetic import ShotSpec, SyntheticShot, load_photo

FIRST, FRAMES, WIDTH, HEIGHT = 1001, 24, 320, 180
KEYFRAMES = (1001, 1012, 1024)
TINCT = [sys.executable, "-m", "tinct.plugin.cli.main"]


def build_shot(root: Path) -> dict[str, list[str]]:
    """Write the plate, keyframes and damaged plate; return each command's arguments before ``-o``."""
    colour = ColourManager()
    photo = load_photo(Path(str(files("tinct.core") / "samples" / "fruits.jpg")))
    background = colour.convert(photo, "Linear Rec.709 (sRGB)", colour.working_space)
    shot = SyntheticShot(background, ShotSpec(width=WIDTH, height=HEIGHT, frames=FRAMES, seed=11, objects=2))
    damage = FilmDamage(DamageSpec(), WIDTH, HEIGHT)
    weights = colour.luminance_weights()
    attributes = {"oiio:ColorSpace": colour.interop_id(colour.working_space) or ""}
    for index in range(FRAMES):
        frame = FIRST + index
        rgb = shot.frame(index)
        y = luminance(rgb, weights).astype(np.float32)
        write_exr(
            root / "grey" / f"sh.{frame}.exr", np.repeat(y[..., None], 3, -1), ["R", "G", "B"], attributes=attributes
        )
        scan = damage.damage(y, index).frame
        write_exr(
            root / "scan" / f"sh.{frame}.exr", np.repeat(scan[..., None], 3, -1), ["R", "G", "B"], attributes=attributes
        )
        if frame in KEYFRAMES:
            write_exr(root / "keys" / f"sh.{frame}.exr", rgb, ["R", "G", "B"], attributes=attributes)
    return {
        "colorize": [
            "colorize",
            str(root / "grey" / "sh.####.exr"),
            "--keyframes",
            str(root / "keys" / "sh.####.exr"),
            "--flow-quality",
            "fast",
        ],
        "restore": ["restore", str(root / "scan" / "sh.####.exr")],
    }


def start(argv: list[str], out: Path) -> subprocess.Popen[str]:
    """Start the command; return once its job has begun (its run folder exists) or it has ended."""
    process = subprocess.Popen(
        [*TINCT, *argv, "-o", str(out / "sh.####.exr")], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    while process.poll() is None and not any(out.glob(PREFIX + "*")):
        time.sleep(0.005)
    return process


def render(argv: list[str], out: Path) -> float:
    """Run to completion; return how long its job took (from the making of its run folder)."""
    process = start(argv, out)
    begun = time.monotonic()
    _, err = process.communicate()
    if process.returncode != 0:
        raise SystemExit(f"tinct {argv[0]} failed ({process.returncode}):\n{err[-3000:]}")
    return time.monotonic() - begun


def killed_run(argv: list[str], out: Path, after: float) -> bool:
    """Start the command, SIGKILL it ``after`` seconds into its job; False when it had already finished."""
    process = start(argv, out)
    time.sleep(after)
    alive = process.poll() is None
    if alive:
        process.send_signal(signal.SIGKILL)
    process.communicate()
    return alive


def debris(out: Path) -> list[Path]:
    """Whatever in the output folder is not a frame: run folders, temporary files."""
    return sorted(p for p in out.iterdir() if p.name.startswith(".") or not p.is_file()) if out.is_dir() else []


def frame_pixels(path: Path) -> tuple[list[str], np.ndarray] | str:
    """Channel names and pixels of a complete, finite frame, or what is wrong with it."""
    try:
        image = read_image(path)  # refuses truncated files and NaN or Inf
    except TinctError as error:
        return error.title
    return image.channels, image.pixels


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path("bench-out/crash_resume"))
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    shutil.rmtree(args.out, ignore_errors=True)
    commands = build_shot(args.out / "shot")
    clean, duration = {}, {}
    for name, command in commands.items():
        duration[name] = render(command, args.out / f"clean_{name}")
        clean[name] = {
            f: frame_pixels(args.out / f"clean_{name}" / f"sh.{f}.exr") for f in range(FIRST, FIRST + FRAMES)
        }
        print(f"clean {name}: {FRAMES} frames in {duration[name]:.1f} s (its job, Python's start left out)")
    numbers = dict.fromkeys(
        (
            "kills",
            "finished before the kill",
            "reruns",
            "frames checked",
            "incomplete or non-finite",
            "mismatches",
            "debris after a kill",
            "debris after a rerun",
        ),
        0,
    )
    # Count only kills that landed: a kill drawn after the job's end (on a busier or quieter machine
    # than the clean run saw) is a rerun of a finished job, checked too, but not a kill.
    attempt = 0
    while numbers["kills"] < args.kills and attempt < 3 * args.kills:
        name = ("colorize", "restore")[attempt % 2]
        attempt += 1
        out = args.out / f"run_{name}"
        shutil.rmtree(out, ignore_errors=True)
        after = rng.uniform(0.0, duration[name])
        landed = killed_run(commands[name], out, after)
        numbers["kills" if landed else "finished before the kill"] += 1
        left = debris(out)
        numbers["debris after a kill"] += len(left)
        written = len(list(out.glob("sh.*.exr"))) if out.is_dir() else 0
        render(commands[name], out)
        numbers["reruns"] += 1
        bad = []
        for frame in range(FIRST, FIRST + FRAMES):
            numbers["frames checked"] += 1
            got = frame_pixels(out / f"sh.{frame}.exr")
            if isinstance(got, str):
                numbers["incomplete or non-finite"] += 1
                bad.append(f"{frame}: {got}")
            elif got[0] != clean[name][frame][0] or not np.array_equal(got[1], clean[name][frame][1]):
                numbers["mismatches"] += 1
                bad.append(f"{frame}: differs")
        remaining = debris(out)
        numbers["debris after a rerun"] += len(remaining)
        print(
            f"{attempt:2d} {name:8} killed {after:5.2f} s in ({'killed' if landed else 'had finished'}, "
            f"{written} frames written, {len(left)} debris) -> rerun: "
            + ("all frames equal, no debris" if not bad and not remaining else f"{bad} {remaining}")
        )
    print()
    for key, value in numbers.items():
        print(f"{key:26} {value}")
    failed = numbers["incomplete or non-finite"] + numbers["mismatches"] + numbers["debris after a rerun"]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
