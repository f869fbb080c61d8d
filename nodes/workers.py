"""One render split over worker processes on this machine: the farm's chunks, run side by side.

A request's frames are cut into chunks as a farm's (:mod:`tinct.nodes.chunking`): for frame-local
and handle nodes one run of frames per worker, each with its handles, of about equal work counting
the handles it reads (:func:`~tinct.nodes.chunking.balanced_chunks`); for keyframe nodes whole
keyframe intervals. Each chunk runs in its own process through :func:`tinct.nodes.api.run`. The
engine already makes a chunk's pixels equal to those of a whole render, so the result does not
depend on the number of workers. Each worker's libraries (torch, OpenCV, OpenImageIO) get the
machine's cores divided among the workers, so the processes do not fight over them (OpenCV half of
those in a keyframe node's worker, whose two passes already keep them busy: :func:`opencv_threads`).

Not split, run as one process instead: a single photograph, shot-wide nodes (AutoColorize chooses
its keyframes over the whole shot: every chunk would do it again), and renders too short to pay
for starting a process (fewer than :data:`MIN_FRAMES_PER_WORKER` frames a worker, or all but a few
frames in one unsplittable chunk). A shot with keyframes only on its first and last frames is one
interval: one chunk, one worker.

Progress is reported as chunks finish. A cancel, or a user error in one worker, stops the others
between frames; frames already written stay complete (every write is atomic).
"""

from __future__ import annotations

import ctypes
import math
import multiprocessing
import os
import sys
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from tinct.core.engine import available_cores
from tinct.core.errors import CancelledError, TinctError, error_from_dict, error_to_dict
from tinct.nodes.chunking import Chunk, balanced_chunks, plan_chunks

if TYPE_CHECKING:
    from multiprocessing.synchronize import Event

    from tinct.core.keyframe_colorize import JobReport
    from tinct.nodes.api import Request

# A worker costs a process start (imports, models) and re-reads its chunk's handles.
MIN_FRAMES_PER_WORKER = 12
# A keyframe interval's forward and backward passes run side by side, each on a core of its own.
PASSES_PER_INTERVAL = 2
# How often the parent looks at cancel() while chunks run, in seconds.
POLL_S = 0.25

_stop: Event | None = None  # set in each worker by _start_worker
# glibc's mallopt parameters (malloc.h), and the largest block a worker's heap keeps for reuse: a 4K
# frame of three float channels (100 MB) is kept; larger ones are mapped as before (keeping those
# too cost a 4K restore worker 0.25 GB more at its peak).
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD, _M_ARENA_MAX = -1, -3, -8
_KEEP_BYTES = 128 << 20


def plan(request: Request, workers: int) -> list[Chunk]:
    """The chunks ``request`` runs as over ``workers`` workers; none: it runs in this process.

    Raises:
        TinctError: the source or keyframes cannot be found (what the engine would say too).
    """
    from tinct.core.sequence import parse_sequence, resolve_frames

    definition = request.definition
    source = parse_sequence(request.inputs[definition.inputs[0].name])
    workers = processes_for(request, workers)
    if workers < 2 or source.is_single_file or definition.temporal.shot:
        return []
    frames = resolve_frames(source, list(request.frames) if request.frames is not None else None)
    workers = min(workers, len(frames) // MIN_FRAMES_PER_WORKER)
    if workers < 2:
        return []
    values = definition.resolve(request.parameters)
    temporal = definition.temporal.resolved(values)
    keys_name = temporal.keyframes
    keys = parse_sequence(request.inputs[keys_name]).existing_frames() if keys_name in request.inputs else []
    if keys_name and not keys:
        return []  # the engine says what is missing
    if keys_name:
        chunks = plan_chunks(frames, source.existing_frames(), temporal, math.ceil(len(frames) / workers), keys)
    else:
        chunks = balanced_chunks(frames, source.existing_frames(), temporal, workers)
    # A split whose largest chunk leaves the others too little work (one long keyframe interval and a
    # lone keyframe after it) only costs a process start.
    if len(frames) - max(len(chunk.frames) for chunk in chunks) < MIN_FRAMES_PER_WORKER:
        return []
    return chunks


def processes_for(request: Request, workers: int) -> int:
    """The worker processes ``workers`` make for ``request``: one each, but one per two for a
    keyframe node, whose every interval keeps two cores busy."""
    return workers // _cores_per_render(request)


def _cores_per_render(request: Request) -> int:
    """Cores one render of ``request`` keeps busy by itself: a keyframe interval's two passes run side by side."""
    return PASSES_PER_INTERVAL if request.definition.temporal.keyframes else 1


def run_split(
    request: Request,
    chunks: list[Chunk],
    workers: int,
    progress: Callable[[int, int, str], bool],
    log: Callable[[str], None],
) -> JobReport:
    """Run ``request``'s ``chunks`` on the processes ``workers`` make (:func:`processes_for`); the
    joined report.

    ``progress(done, total, message)`` is called as chunks finish; it returns True to cancel.

    Raises:
        TinctError: the first user error a worker met; CancelledError when cancelled.
    """
    from tinct.core.keyframe_colorize import JobReport

    total = sum(len(chunk.frames) for chunk in chunks)
    processes = min(processes_for(request, workers), len(chunks))
    threads = max(1, available_cores() // processes)
    log(f"{len(chunks)} chunks on {processes} worker processes, {threads} thread(s) each")
    context = multiprocessing.get_context("spawn")  # no state of this process leaks into workers
    stop = context.Event()
    initargs = (threads, stop, opencv_threads(request, threads))
    written: list[int] = []
    skipped: list[int] = []
    notes: list[str] = []
    seen: set[str] = set()
    failure: TinctError | None = None
    done_frames = 0
    with ProcessPoolExecutor(processes, mp_context=context, initializer=_start_worker, initargs=initargs) as pool:
        pending: dict[Future[dict[str, Any]], Chunk] = {
            pool.submit(_run_chunk, replace(request, frames=chunk.frames).to_json()): chunk for chunk in chunks
        }
        while pending:
            finished, _ = wait(pending, timeout=POLL_S, return_when=FIRST_COMPLETED)
            message = "rendering"
            for future in finished:
                chunk = pending.pop(future)
                answer = future.result()  # a bug in a worker raises here, with its traceback
                for line in answer["log"]:
                    if line not in seen:
                        seen.add(line)
                        log(line)
                if "error" in answer:
                    failure = failure or error_from_dict(answer["error"])
                    stop.set()  # the other workers stop between frames
                    continue
                written += answer["written"]
                skipped += answer["skipped"]
                notes += answer["notes"]
                done_frames += len(chunk.frames)
                message = f"frames {chunk.label} done"
            if progress(done_frames, total, message):
                stop.set()
    if failure is not None:
        raise failure
    if stop.is_set():
        raise CancelledError(
            "Render cancelled",
            expected="the render to finish",
            found=f"cancelled after {done_frames} of {total} frames",
            repair="run it again: finished frames are kept and skipped",
        )
    return JobReport(written=sorted(written), skipped=sorted(skipped), notes=notes)


def opencv_threads(request: Request, cores: int) -> int:
    """The threads OpenCV may run in a process that renders ``request`` on ``cores`` cores.

    A keyframe node's forward and backward passes already keep a core each busy: OpenCV's own
    threads on top of them only take turns with the passes (1080p colorize on 2 cores, five runs
    each: 20.7 -> 20.1 s, 39.7 -> 39.0 CPU-s, the same pixels). Other nodes compute one frame at a
    time and let OpenCV spread it over every core.
    """
    return max(1, cores // _cores_per_render(request))


def use_cores(request: Request, cores: int) -> None:
    """Set OpenCV's threads in this process, which does nothing but render ``request`` on ``cores`` cores."""
    import cv2

    cv2.setNumThreads(opencv_threads(request, cores))


def _start_worker(threads: int, stop: Event | None, opencv: int | None = None) -> None:
    """Limit this worker's libraries to ``threads`` threads (OpenCV to ``opencv``, default the
    same) before they start any, and its job to that many cores (frames in flight, work run side by side)."""
    global _stop
    _stop = stop
    reuse_freed_memory()  # before any library starts a thread
    # torch takes its thread count from these when it is first imported (not here: not every node needs it).
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[name] = str(threads)
    import cv2
    import OpenImageIO as oiio

    from tinct.core.engine import set_job_cores

    cv2.setNumThreads(threads if opencv is None else opencv)
    oiio.attribute("threads", threads)
    set_job_cores(threads)


def reuse_freed_memory() -> bool:
    """Have glibc's allocator keep a render's freed frames for the next ones (True where it could).

    By default glibc maps large arrays fresh from the kernel and hands freed memory back, so the
    full-size temporaries of every frame cost page faults and the zeroing of new pages, frame after
    frame. Kept in the heap, they are reused: restore with two workers 1.92 -> 2.06 frames/s at
    1080p and 0.33 -> 0.41 at 4K, the same pixels, a worker's peak 0.87 -> 0.88 and 2.56 -> 2.71 GB.
    All threads share one heap: each further thread's heap holds at most 64 MB, so the frames the
    threads of a render allocate (a colorize's passes, its reader and writer) would still be mapped
    fresh every time (1080p colorize: 270,000 page faults -> 66,000, 12 % of its CPU time spent
    zeroing pages). Set before the render starts its threads, and only in processes that do nothing
    but render (render workers, the command line); a host application's allocator is left alone.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):  # not glibc
        return False
    settings = ((_M_ARENA_MAX, 1), (_M_MMAP_THRESHOLD, _KEEP_BYTES), (_M_TRIM_THRESHOLD, 2 * _KEEP_BYTES))
    return all([bool(mallopt(parameter, value)) for parameter, value in settings])


def _run_chunk(request_json: str) -> dict[str, Any]:
    """Run one chunk's request in this worker: its report, or its user error, and its log lines."""
    from tinct.nodes import api

    lines: list[str] = []
    try:
        report = api.run(
            api.Request.from_json(request_json),
            cancel=lambda: _stop is not None and _stop.is_set(),
            log=lines.append,
        )
    except TinctError as error:
        return {"error": error_to_dict(error), "log": lines}
    return {"written": report.written, "skipped": report.skipped, "notes": report.notes, "log": lines}
