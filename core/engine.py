"""The streaming engine: read-ahead, write-behind, progress and cancellation.

A node walks the frames of a shot in an order of its own (a temporal node may walk a stretch
backwards, then forwards). It declares that order up front as a *read plan*; the engine reads
ahead along the plan in worker threads, never holding more than ``depth`` frames, and writes
results behind in another thread. Memory therefore depends on the window, never on shot length.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Generic, TextIO, TypeVar

from tinct.core.errors import CancelledError

T = TypeVar("T")

# The cores one job may keep busy: None, all this process may use. A worker process that shares the
# machine with others gets its share (see :func:`set_job_cores`).
_job_cores: int | None = None


def available_cores() -> int:
    """All the cores this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def job_cores() -> int:
    """The cores this process's job may keep busy (default: :func:`available_cores`)."""
    return available_cores() if _job_cores is None else _job_cores


def set_job_cores(count: int | None) -> None:
    """Set :func:`job_cores` for this process (at least 1; None: all the process may use).

    A render split over worker processes, one core each, gains nothing from a deeper queue or from
    work run side by side (the core is busy with its own work, the other cores with the other
    workers'), and its memory is the sum of the workers'.
    """
    global _job_cores
    _job_cores = None if count is None else max(1, count)


def frames_in_flight() -> int:
    """Frames a streaming job keeps in flight on each side of its work, at most: read ahead of it and
    queued behind it for writing, each a whole frame in memory (two; one on a single core)."""
    return min(2, job_cores())


class ReadAhead(Generic[T]):
    """Iterate ``(frame, read(frame))`` along ``plan``, reading up to ``depth`` frames ahead
    (default: :func:`frames_in_flight`)."""

    def __init__(
        self, read: Callable[[int], T], plan: Iterable[int], depth: int | None = None, workers: int = 2
    ) -> None:
        self._read = read
        self._plan = iter(plan)
        self._depth = max(1, frames_in_flight() if depth is None else depth)
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="tinct-read")
        self._pending: deque[tuple[int, Future[T]]] = deque()

    def _fill(self) -> None:
        while len(self._pending) < self._depth:
            frame = next(self._plan, None)
            if frame is None:
                return
            self._pending.append((frame, self._pool.submit(self._read, frame)))

    def __iter__(self) -> Iterator[tuple[int, T]]:
        try:
            self._fill()
            while self._pending:
                frame, future = self._pending.popleft()
                value = future.result()
                self._fill()
                yield frame, value
        finally:
            self.close()

    def close(self) -> None:
        for _, future in self._pending:
            future.cancel()
        self._pending.clear()
        self._pool.shutdown(wait=True, cancel_futures=True)


class Ahead(Generic[T]):
    """Iterate ``items``, each computed in a background thread up to ``depth`` items ahead.

    For a chain of steps where the next item needs only the previous ones (a flow between
    consecutive frames, say): it runs while the caller works on the current item. OpenCV and
    NumPy release the GIL, so both cores work. The items come in order, exactly as ``items``
    gives them; an exception is re-raised where the caller would have met it.
    """

    def __init__(self, items: Iterator[T], depth: int = 2) -> None:
        self._items = items
        self._depth = max(1, depth)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tinct-ahead")
        self._pending: deque[Future[object]] = deque()
        self._done = object()

    def __iter__(self) -> Iterator[T]:
        try:
            while True:
                while len(self._pending) < self._depth:
                    self._pending.append(self._pool.submit(next, self._items, self._done))
                item = self._pending.popleft().result()
                if item is self._done:
                    return
                yield item  # type: ignore[misc]
        finally:
            self.close()

    def close(self) -> None:
        for future in self._pending:
            future.cancel()
        self._pending.clear()
        self._pool.shutdown(wait=True, cancel_futures=True)


class WriteBehind:
    """Run ``write(*args)`` calls in one background thread, at most ``depth`` queued.

    The first failure is re-raised in the caller at the next :meth:`submit` or at :meth:`close`.
    Writes are atomic (see :mod:`tinct.core.imageio`), so cancelling never leaves half a file.
    """

    def __init__(self, write: Callable[..., None], depth: int = 4) -> None:
        self._write = write
        self._slots = threading.BoundedSemaphore(max(1, depth))
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tinct-write")
        self._futures: deque[Future[None]] = deque()

    def submit(self, *args: object) -> None:
        self._raise_failures(block=False)
        self._slots.acquire()
        future = self._pool.submit(self._write, *args)
        future.add_done_callback(lambda _: self._slots.release())
        self._futures.append(future)

    def _raise_failures(self, block: bool) -> None:
        while self._futures and (block or self._futures[0].done()):
            self._futures.popleft().result()

    def close(self, cancel: bool = False) -> None:
        """Wait for queued writes (or drop those not started when ``cancel``), then re-raise any failure."""
        if cancel:
            for future in self._futures:
                future.cancel()
        self._pool.shutdown(wait=True, cancel_futures=cancel)
        if not cancel:
            self._raise_failures(block=True)


class Progress:
    """Frames done, frames per second and ETA; prints to a terminal and notifies a host callback.

    ``on_update(done, total, message)`` lets a host drive its own progress bar (Nuke's
    ProgressTask). ``cancelled`` is polled between frames: setting it, or a host callback that
    returns True, stops the job cleanly with :class:`CancelledError`.
    """

    def __init__(
        self,
        total: int,
        label: str,
        stream: TextIO | None = sys.stderr,
        on_update: Callable[[int, int, str], bool | None] | None = None,
    ) -> None:
        self.total, self.label, self.done = total, label, 0
        self._stream = stream if stream is not None and stream.isatty() else None
        self._log_stream = stream if self._stream is None else None
        self._on_update = on_update
        self._start = time.monotonic()
        self._last_print = 0.0
        self.cancelled = threading.Event()

    @property
    def fps(self) -> float:
        elapsed = time.monotonic() - self._start
        return self.done / elapsed if elapsed > 0 else 0.0

    def message(self) -> str:
        fps = self.fps
        eta = (self.total - self.done) / fps if fps > 0 else float("nan")
        eta_text = time.strftime("%H:%M:%S", time.gmtime(eta)) if eta == eta else "--:--:--"
        return f"{self.label}: {self.done}/{self.total} frames, {fps:.2f} frames/s, ETA {eta_text}"

    def advance(self, frames: int = 1) -> None:
        self.done += frames
        self.check()
        now = time.monotonic()
        if self._on_update is not None and self._on_update(self.done, self.total, self.message()):
            self.cancelled.set()
        if self._stream is not None:
            self._stream.write("\r" + self.message() + "\033[K")
            self._stream.flush()
        elif self._log_stream is not None and (now - self._last_print > 10 or self.done == self.total):
            self._log_stream.write(self.message() + "\n")  # logs and farms: a line every 10 s
            self._last_print = now

    def check(self) -> None:
        if self.cancelled.is_set():
            raise CancelledError(
                "Stopped by the user",
                found=f"{self.done} of {self.total} frames written, each complete",
                repair="run the same command again to resume from where it stopped",
            )

    def close(self) -> None:
        if self._stream is not None:
            self._stream.write("\n")
            self._stream.flush()


def write_all(
    results: Iterable[tuple[int, tuple[object, ...]]],
    write: Callable[..., None],
    total: int,
    label: str,
    progress_callback: Callable[[int, int, str], bool | None] | None = None,
    already_done: Callable[[int], bool] = lambda frame: False,
) -> tuple[list[int], list[int]]:
    """Drive a job: write each ``(frame, args)`` from ``results`` behind the computation (at most
    :func:`frames_in_flight` queued), with progress and cancel, unless ``already_done(frame)``.
    Returns (written, skipped) frames.

    Cancelling (a host callback, or Ctrl-C) raises :class:`CancelledError` after the write in flight
    completes: every file on disk is whole, and a rerun resumes.
    """
    progress = Progress(total, label, on_update=progress_callback)
    writer = WriteBehind(write, depth=frames_in_flight())
    written: list[int] = []
    skipped: list[int] = []
    try:
        for frame, args in results:
            progress.check()
            if already_done(frame):
                skipped.append(frame)
            else:
                writer.submit(frame, *args)
                written.append(frame)
            progress.advance()
        writer.close()
    except (KeyboardInterrupt, CancelledError):
        writer.close(cancel=True)
        raise CancelledError(
            "Stopped by the user",
            found=f"{len(written)} frame(s) written this run, each complete",
            repair="run the same command again: finished frames are kept and the rest resume",
        ) from None
    except BaseException:
        writer.close(cancel=True)  # no write outlives a failed job (its run folder is removed next)
        raise
    finally:
        progress.close()
    return written, skipped
