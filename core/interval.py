"""The two passes over a keyframe interval: what they share, and where their estimates meet.

Between keyframes ``k0 < k1`` a forward pass walks from ``k0`` and a backward pass from ``k1``, side
by side in two threads when there are two cores (see :mod:`tinct.core.keyframe_colorize`). They walk
the same frames and the same pairs of frames in opposite directions, so whichever reaches a frame
first keeps what the other will need: the frame as read, with its plate (:class:`SharedReads`), the
motion between two frames (:class:`MotionExchange`), and its estimate of the frame, which the other
joins with its own (:class:`Join`). What is kept is held in memory while the interval's
:class:`MemoryBudget` lasts (memory stays flat in the interval's length), and beyond it parked on
disk in the run's folder (:class:`Parking`) or, for frames, read again.
"""

from __future__ import annotations

import itertools
import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Generic, TypeVar

import numpy as np

from tinct.core.errors import ImageFileError
from tinct.core.flow import Motion
from tinct.core.half import from_half, to_half
from tinct.core.propagation import Keyframe, Plate, Propagator, Track, Unfinished
from tinct.core.source import LuminanceFrame

FORWARD, BACKWARD = "forward", "backward"
# Bytes an interval's two passes hold in memory for each other. Until the passes meet they keep
# what they find, up to the whole interval: at 1080p a frame's read and plate are 8.9 MB, its
# estimate 10.6 and a motion 4.7 (the last two at the working scale, the same at 4K), so 16 frames
# fit whole. Held in memory, the interval's traffic stays off the output's storage (on a farm often
# a network share) and each source frame is read once; on a local disk the CPU time hardly changes.
INTERVAL_MEMORY = 384 * 2**20

K = TypeVar("K")
V = TypeVar("V")


class MemoryBudget:
    """The bytes an interval's passes may hold for each other, shared by all they keep (thread-safe)."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._held = 0
        self._lock = threading.Lock()

    def hold(self, nbytes: int) -> bool:
        """Take ``nbytes`` of the budget; False (and nothing taken) where they do not fit."""
        with self._lock:
            if self._held + nbytes > self._limit:
                return False
            self._held += nbytes
            return True

    def release(self, nbytes: int) -> None:
        with self._lock:
            self._held -= nbytes


class Parking:
    """Arrays one pass finds for the other (an estimate, a motion), kept until the other takes them:
    in memory within ``budget``, else on disk in ``cache`` (half float as given, or float32)."""

    def __init__(self, cache: Path, budget: MemoryBudget) -> None:
        self._cache = cache
        self._budget = budget
        self._held: dict[tuple[int, str], np.ndarray] = {}
        self._lock = threading.Lock()

    def park(self, frame: int, kind: str, array: np.ndarray) -> None:
        if self._budget.hold(array.nbytes):
            with self._lock:
                self._held[frame, kind] = array
            return
        _park(self._cache, frame, kind, array)

    def take(self, frame: int, kind: str) -> np.ndarray:
        """What :meth:`park` kept, in float32 (let go)."""
        with self._lock:
            array = self._held.pop((frame, kind), None)
        if array is None:
            return _unpark(self._cache, frame, kind)
        self._budget.release(array.nbytes)
        return from_half(array)


class _Handover(Generic[K, V]):
    """Things both passes of an interval need (a frame, the motion between two frames), made once.

    The first pass to need a thing makes it and, if the other pass needs it too (it is one of
    ``shared``), offers it to ``keep``; the other then gets it from ``take`` instead of making it
    again. Where both need it at once, or ``keep`` declines (returns False), each makes its own: the
    same pixels either way.
    """

    def __init__(self, shared: set[K], keep: Callable[[K, V], bool], take: Callable[[K], V]) -> None:
        self._shared = shared
        self._keep = keep
        self._take = take
        self._lock = threading.Lock()
        self._state: dict[K, str] = {}  # making, kept or taken

    def get(self, key: K, make: Callable[[], V]) -> V:
        with self._lock:
            state = self._state.get(key)
            self._state[key] = "taken" if state is not None else "making"
        if state == "kept":
            return self._take(key)
        value = make()
        if state is None and key in self._shared:
            with self._lock:
                if self._state[key] == "making" and self._keep(key, value):
                    self._state[key] = "kept"
        return value


class MotionExchange:
    """The motions between neighbouring frames of an interval, made once for both passes.

    The two passes walk the same pairs of frames in opposite directions. Whichever reaches a pair
    first computes its motion and, if the other pass walks that pair too, parks it (half float, as
    the walk uses it) in the forward direction; the other takes it from there.
    """

    def __init__(self, parking: Parking, forward: list[int], backward: list[int]) -> None:
        self._parking = parking
        pairs = [{(min(a, b), max(a, b)) for a, b in itertools.pairwise(walk)} for walk in (forward, backward)]
        self._handover = _Handover(pairs[0] & pairs[1], self._park, self._take)

    def between(self, walker: Propagator, previous: tuple[int, Plate], current: tuple[int, Plate]) -> Motion:
        """The motion from ``previous`` to ``current`` (frame, plate), for ``walker``'s walk."""
        (earlier, earlier_plate), (later, later_plate) = previous, current
        forwards = earlier < later

        def made() -> Motion:  # in the forward direction
            motion = walker.motion(earlier_plate, later_plate)
            return motion if forwards else motion.reversed()

        motion = self._handover.get((min(earlier, later), max(earlier, later)), made)
        return motion if forwards else motion.reversed()

    def _park(self, pair: tuple[int, int], motion: Motion) -> bool:
        self._parking.park(pair[0], "motion", to_half(np.dstack([motion.to_reference, motion.to_target])))
        return True

    def _take(self, pair: tuple[int, int]) -> Motion:
        parked = self._parking.take(pair[0], "motion")
        return Motion(parked[..., :2], parked[..., 2:])


class SharedReads:
    """The source frames both passes of an interval walk, read from their files (and made into
    plates) once.

    The first pass to need a frame reads it and keeps it for the other, which takes it (and lets it
    go) instead of reading the file again. Kept frames are held in memory within the interval's
    ``budget``; beyond it, and where both passes need a frame at once, each reads it (the same
    pixels).
    """

    def __init__(
        self,
        read: Callable[[int], tuple[LuminanceFrame, Plate]],
        forward: list[int],
        backward: list[int],
        budget: MemoryBudget,
    ) -> None:
        self._read = read
        self._budget = budget
        self._kept: dict[int, tuple[LuminanceFrame, Plate]] = {}
        self._handover = _Handover(set(forward) & set(backward), self._keep, self._take)

    def read(self, frame: int) -> tuple[LuminanceFrame, Plate]:
        return self._handover.get(frame, partial(self._read, frame))

    def _keep(self, frame: int, read: tuple[LuminanceFrame, Plate]) -> bool:
        if not self._budget.hold(_nbytes(read)):
            return False
        self._kept[frame] = read
        return True

    def _take(self, frame: int) -> tuple[LuminanceFrame, Plate]:
        read = self._kept.pop(frame)
        self._budget.release(_nbytes(read))
        return read


def _nbytes(read: tuple[LuminanceFrame, Plate]) -> int:
    source, plate = read
    return source.luminance.nbytes + sum(plane.nbytes for plane in source.extras.values()) + plate.small.nbytes


@dataclass(frozen=True)
class _Parked:
    """The first estimate of a frame: its pass, keyframe and temporal weight, and whether it is
    parked yet."""

    direction: str
    key: Keyframe
    weight: float
    written: threading.Event


class Join:
    """Joins the forward and backward estimates of each frame of an interval, handed over by the two
    passes from their threads, and gives the finished frames to the caller's thread.

    Estimates are handed over at the working scale (:class:`~tinct.core.propagation.Unfinished`):
    the first of a frame is parked (its parts in half float, its keyframe coordinates in float32);
    the second completes the frame at full size (``finisher``'s
    :meth:`~tinct.core.propagation.Propagator.join`), which waits (one at a time, so memory stays
    flat) until :meth:`finished` takes it. Both estimates are joined with their parts in half float,
    forward first, so the pixels do not depend on which pass reached the frame first. The keyframe
    before the interval (``alone``, when wanted) is finished by the forward pass alone: its colour
    is its own.
    """

    def __init__(self, parking: Parking, alone: int | None, finisher: Propagator) -> None:
        self._parking = parking
        self._alone = alone
        self._finisher = finisher
        self._first: dict[int, _Parked] = {}
        self._lock = threading.Lock()
        self._ready: queue.Queue[tuple[str, object]] = queue.Queue(maxsize=1)
        self._stop = threading.Event()
        self._closed = threading.Event()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    def deliver(
        self, frame: int, direction: str, source: LuminanceFrame, track: Track, key: Keyframe, weight: float
    ) -> None:
        """Hand over one pass's track of ``frame``, with its keyframe and temporal weight."""
        finisher = self._finisher
        download = finisher.pixels.download
        if frame == self._alone:
            self._put("frame", (frame, (source, download(finisher.colour(track, key)))))
            return
        estimate = finisher.unfinished(track)
        parts = to_half(estimate.parts)
        with self._lock:
            other = self._first.pop(frame, None)
            if other is None:
                parked = self._first[frame] = _Parked(direction, key, weight, threading.Event())
        if other is None:
            try:
                self._parking.park(frame, f"{direction}.parts", parts)
                self._parking.park(frame, f"{direction}.coords", estimate.coords)
            finally:
                parked.written.set()  # also on failure: the other pass must not wait for ever
            return
        other.written.wait()
        mine = (Unfinished(from_half(parts), estimate.coords), key, weight)
        theirs_parts = self._parking.take(frame, f"{other.direction}.parts")
        theirs_coords = self._parking.take(frame, f"{other.direction}.coords")
        theirs = (Unfinished(theirs_parts, theirs_coords), other.key, other.weight)
        first, second = (mine, theirs) if direction == FORWARD else (theirs, mine)
        self._put("frame", (frame, (source, download(finisher.join(first, second)))))

    def fail(self, error: BaseException) -> None:
        """A pass failed: the caller's thread raises ``error`` once both passes ended."""
        self._put("failed", error)

    def done(self) -> None:
        """A pass ended (finished, stopped or failed)."""
        self._put("done", None)

    def finished(self, passes: int) -> Iterator[tuple[int, tuple[LuminanceFrame, np.ndarray]]]:
        """The finished frames, as the passes complete them, until all ``passes`` have ended; then
        the first failure of a pass, if any, is raised (the other pass stops at its next frame)."""
        failure: BaseException | None = None
        while passes:
            kind, payload = self._ready.get()
            if kind == "frame" and failure is None:
                yield payload  # type: ignore[misc]
            elif kind == "failed":
                failure = failure or payload  # type: ignore[assignment]
                self._stop.set()
            elif kind == "done":
                passes -= 1
        if failure is not None:
            raise failure

    def close(self) -> None:
        """The caller takes nothing more: the passes stop at their next frame, and what they hand
        over from now on is dropped."""
        self._closed.set()
        self._stop.set()

    def _put(self, kind: str, payload: object) -> None:
        # After a failure the frames still coming are dropped; the end of a pass always gets through
        # while the caller listens.
        while not self._closed.is_set():
            try:
                self._ready.put((kind, payload), timeout=0.1)
                return
            except queue.Full:
                if self._stop.is_set() and kind == "frame":
                    return


def _park(cache: Path, frame: int, kind: str, array: np.ndarray) -> None:
    """Keep what one pass found (an estimate, a motion) on disk, as it is given (half float, or
    float32 for keyframe coordinates), until the other pass reaches its frame."""
    try:
        np.save(cache / f"{frame}.{kind}.npy", array)
    except OSError as exc:
        raise ImageFileError(
            "Cannot keep the colorize passes' estimates beside the output",
            expected=f"free space in {cache.parent} for about {array.nbytes / 1e6:.1f} MB a frame "
            "between two keyframes, while they are coloured",
            found=str(exc),
            repair="free space in the output folder, or write to a folder with more, and run again: "
            "finished frames are kept",
            file=cache,
            frame=frame,
        ) from exc


def _unpark(cache: Path, frame: int, kind: str) -> np.ndarray:
    """What :func:`_park` kept, in float32 (removed from disk)."""
    path = cache / f"{frame}.{kind}.npy"
    parked = from_half(np.load(path))
    path.unlink()
    return parked
