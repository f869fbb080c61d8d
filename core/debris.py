"""Run folders: what a job keeps that is not yet a finished frame, and how a rerun clears what a dead run left.

A job (colorize, restore) works in one hidden folder ``.tinct-cache-<tag>-<random>`` inside its
output folder: the estimates a backward pass parks there, and the temporary file of each frame being
written (renamed to the frame's name once complete). While the job runs it holds a lock on the file
``lock`` in that folder; the kernel releases the lock when the process ends, however it ends (SIGKILL,
a crash). At its start every job removes the run folders in its output folder whose lock is free: the
debris of dead runs. A live run's folder (another farm task writing the same shot) is left alone.
Nothing else is ever deleted: only folders named ``.tinct-cache-*`` directly inside the output folder.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from tinct.core.errors import ImageFileError

if sys.platform == "win32":
    import msvcrt
else:
    import fcntl

PREFIX = ".tinct-cache-"
LOCK = "lock"
# A run folder without its lock file is a run starting (the lock follows within microseconds) or
# one killed while starting: it counts as dead once older than this.
STARTING_S = 60.0


@contextmanager
def run_folder(directory: Path, tag: str, log: Callable[[str], None] = lambda _: None) -> Iterator[Path]:
    """A new run folder in ``directory`` (created), locked for the life of the block and then removed;
    the folders of dead runs are removed first. ``tag`` goes into the name (e.g. the parameters' hash)."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        removed = remove_dead_runs(directory)
        folder = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{tag}-", dir=directory))
        lock = os.open(folder / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise ImageFileError(
            "Cannot write in the output folder",
            expected="a writable folder with free space",
            found=str(exc),
            repair="check the output folder's permissions and free space, or choose another output",
            file=directory,
        ) from exc
    if removed:
        log(f"removed {len(removed)} folder(s) of unfinished work left by stopped runs in {directory}")
    try:
        _lock(lock, wait=True)
        yield folder
    finally:
        os.close(lock)  # first: Windows removes no open file
        shutil.rmtree(folder, ignore_errors=True)


def remove_dead_runs(directory: Path) -> list[Path]:
    """Remove the run folders in ``directory`` whose run has ended; return them."""
    removed = []
    for folder in sorted(directory.glob(PREFIX + "*")):
        if folder.is_dir() and not folder.is_symlink() and _is_dead(folder):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def _is_dead(folder: Path) -> bool:
    try:
        lock = os.open(folder / LOCK, os.O_RDWR)
    except FileNotFoundError:
        try:
            return time.time() - folder.stat().st_mtime > STARTING_S
        except OSError:
            return False
    except OSError:  # not ours to judge (e.g. another user's run): leave it
        return False
    try:
        return _lock(lock, wait=False)
    finally:
        os.close(lock)


def _lock(descriptor: int, wait: bool) -> bool:
    """Lock an open file exclusively; without ``wait``, False when another process or run holds it."""
    try:
        if sys.platform == "win32":
            msvcrt.locking(descriptor, msvcrt.LK_LOCK if wait else msvcrt.LK_NBLCK, 1)
        else:
            fcntl.flock(descriptor, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
    except OSError:
        if wait:
            raise
        return False
    return True
