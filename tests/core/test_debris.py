"""Debris of killed runs: a rerun removes what dead runs left in its output folder (their run
folders, with the parked estimates and partial frames inside) and leaves a live run's files alone."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import TinyShot
from tinct.core import imageio
from tinct.core.debris import LOCK, PREFIX, STARTING_S
from tinct.plugin.cli.main import main

# A run that writes part of a frame and a parked estimate into its run folder, then is SIGKILLed.
KILLED = """
import os, sys
from pathlib import Path
from tinct.core.debris import run_folder
with run_folder(Path(sys.argv[1]), "killed") as folder:
    (folder / ".shot.1003.exr.1234-abcd1234.exr").write_bytes(b"half a frame")
    (folder / "1002.npy").write_bytes(b"a parked estimate")
    os.kill(os.getpid(), 9)
"""

# A run that holds its run folder until its stdin closes.
LIVE = """
import sys
from pathlib import Path
from tinct.core.debris import run_folder
with run_folder(Path(sys.argv[1]), "live") as folder:
    (folder / ".shot.1004.exr.99-0000ffff.exr").write_bytes(b"being written")
    print(folder, flush=True)
    sys.stdin.read()
"""


def colorize(shot: TinyShot) -> list[str]:
    return [
        "colorize",
        shot.grey_pattern,
        "--keyframes",
        shot.keys_pattern,
        "-o",
        shot.out_pattern(),
        "--flow-quality",
        "fast",
    ]


def test_a_rerun_removes_dead_runs_debris_and_keeps_a_live_runs(tiny_shot: TinyShot, tmp_path: Path) -> None:
    out = Path(tiny_shot.out_pattern()).parent
    out.mkdir(parents=True)
    killed = subprocess.run([sys.executable, "-c", KILLED, str(out)], capture_output=True, text=True)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    (dead,) = out.glob(PREFIX + "killed-*")
    # A run killed between making its folder and its lock file (long ago), and one starting just now.
    old_start, new_start = out / f"{PREFIX}old-start", out / f"{PREFIX}new-start"
    old_start.mkdir()
    new_start.mkdir()
    os.utime(old_start, (time.time() - 2 * STARTING_S,) * 2)
    # Not Tinct's debris: a user's hidden folder, and a link named like a run folder to a folder elsewhere.
    (out / ".mine").mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "keep.txt").write_text("keep")
    (out / f"{PREFIX}link").symlink_to(elsewhere, target_is_directory=True)
    live = subprocess.Popen(
        [sys.executable, "-c", LIVE, str(out)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        live_folder = Path(live.stdout.readline().strip())  # type: ignore[union-attr]
        assert (live_folder / LOCK).is_file()
        assert main(colorize(tiny_shot)) == 0
        left = sorted(p.name for p in out.iterdir())
        frames = [f"shot.{f}.exr" for f in range(1001, 1007)]
        assert left == sorted([*frames, live_folder.name, new_start.name, ".mine", f"{PREFIX}link"])
        assert not dead.exists() and not old_start.exists()
        assert (live_folder / ".shot.1004.exr.99-0000ffff.exr").read_bytes() == b"being written"
        assert (elsewhere / "keep.txt").read_text() == "keep"
    finally:
        live.communicate("")
    assert live.returncode == 0 and not live_folder.exists()  # a run removes its own folder when it ends


@pytest.mark.parametrize("command", ["colorize", "restore"])
def test_frames_are_written_in_the_run_folder_then_moved(
    tiny_shot: TinyShot,
    command: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A frame's temporary file lives in the run folder: what a kill leaves, the next run removes."""
    moved: list[tuple[Path, Path]] = []
    replace = os.replace

    def spy(source: str | Path, target: str | Path) -> None:
        moved.append((Path(source), Path(target)))
        replace(source, target)

    monkeypatch.setattr(imageio.os, "replace", spy)
    argv = (
        colorize(tiny_shot)
        if command == "colorize"
        else ["restore", tiny_shot.grey_pattern, "-o", tiny_shot.out_pattern()]
    )
    assert main(argv) == 0
    out = Path(tiny_shot.out_pattern()).parent
    assert len(moved) == 6
    for source, target in moved:
        assert source.parent.parent == out and source.parent.name.startswith(PREFIX) and target.parent == out
    assert sorted(p.name for p in out.iterdir()) == [f"shot.{f}.exr" for f in range(1001, 1007)]
