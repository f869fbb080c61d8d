"""Farm chunks that respect temporal work.

A chunk is one farm task: the frames it writes and the frames it reads. Chunks of a step
partition its frames (no two tasks ever write the same file). How they are cut follows the
node's :class:`~tinct.nodes.definition.Temporal` declaration:

* frame-local and handle nodes: runs of ``chunk_size`` frames; each chunk reads its frames plus
  ``behind`` neighbours before them and ``ahead`` after them (neighbours on disk, so a gap does not
  shorten a handle). Split over the workers of one machine, the runs are cut to about equal work
  instead, counting the handles each reads (:func:`balanced_chunks`);
* shot-wide nodes: runs of ``chunk_size`` frames, each reading the whole shot;
* keyframe nodes: the shot is cut at its keyframes into intervals that are computed independently
  (:func:`tinct.core.keyframe_colorize.plan_segments`); whole intervals are packed into chunks of up
  to ``chunk_size`` frames, and an interval longer than that stays one chunk, because splitting it
  would walk the interval again from both keyframes for every piece. A chunk reads the plate from
  the keyframe before each of its intervals to the keyframe after it, and those keyframes.

The engine itself reads what a frame needs, so a chunked render equals an unchunked one; the
cut decides how much work is repeated and which files a farm must make available to a task.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

from tinct.core.errors import ParameterError
from tinct.core.keyframe_colorize import Segment, plan_segments
from tinct.core.sequence import format_frame_ranges
from tinct.nodes.definition import Temporal


@dataclass(frozen=True)
class Chunk:
    """One task: ``frames`` written, ``reads`` source frames read, ``keyframes`` keyframes read."""

    frames: tuple[int, ...]
    reads: tuple[int, ...]
    keyframes: tuple[int, ...] = ()

    @property
    def label(self) -> str:
        """The frames as a ``--frames`` value, e.g. ``'1001-1008'``."""
        return format_frame_ranges(self.frames)

    @property
    def first(self) -> int:
        return self.frames[0]


def plan_chunks(
    frames: Sequence[int],
    source_frames: Sequence[int],
    temporal: Temporal,
    chunk_size: int,
    keyframes: Sequence[int] = (),
) -> list[Chunk]:
    """Cut the output ``frames`` (sorted, unique) into chunks; ``source_frames`` are the frames on
    disk of the step's first input, ``keyframes`` those of its keyframe input (``temporal.keyframes``)."""
    if chunk_size < 1:
        raise ParameterError(
            "Chunk size below 1",
            expected="1 or more frames per task",
            found=str(chunk_size),
            repair="pass --chunk-size 1 or more",
        )
    source = sorted(source_frames)
    if temporal.keyframes:
        return _keyframe_chunks(list(frames), source, sorted(keyframes), temporal, chunk_size)
    chunks = []
    for start in range(0, len(frames), chunk_size):
        part = tuple(frames[start : start + chunk_size])
        spans = [(source[0], source[-1])] if temporal.shot and source else [(f, f) for f in part]
        chunks.append(Chunk(part, _reads(source, spans, temporal)))
    return chunks


def balanced_chunks(frames: Sequence[int], source_frames: Sequence[int], temporal: Temporal, count: int) -> list[Chunk]:
    """Cut the output ``frames`` (sorted, unique) of a frame-local or handle node into at most
    ``count`` runs of about the same work, for workers side by side: a run's frames plus
    ``temporal.handle_cost`` for each handle it reads. A run reads the last frames of the run before
    as its handles, so the first runs get a few more frames."""
    source = sorted(source_frames)
    places = [bisect_left(source, f) for f in frames]

    def runs_within(limit: float) -> list[tuple[int, ...]]:
        """The fewest runs, each taking frames while its work stays within ``limit`` (one at least)."""
        runs, start = [], 0
        while start < len(frames):
            end, reads, last_read = start, 0, -1
            while end < len(frames):
                # The source frames this frame and its handles add to those the run reads already.
                first, last = max(places[end] - temporal.behind, last_read + 1), places[end] + temporal.ahead
                added = max(0, min(last, len(source) - 1) - first + 1)
                written = end + 1 - start
                if written > 1 and written + temporal.handle_cost * (reads + added - written) > limit:
                    break
                reads, last_read, end = reads + added, max(last_read, last), end + 1
            runs.append(tuple(frames[start:end]))
            start = end
        return runs

    # The least work a run may take for ``count`` runs to do it all, to a hundredth of a frame (at
    # most, one run reads every frame's handles on its own).
    low, high = len(frames) / count, len(frames) * (1.0 + temporal.handle_work)
    while high - low > 0.01:
        middle = (low + high) / 2
        low, high = (low, middle) if len(runs_within(middle)) <= count else (middle, high)
    return [Chunk(run, _reads(source, [(f, f) for f in run], temporal)) for run in runs_within(high)]


def _keyframe_chunks(
    frames: list[int], source: list[int], keys: list[int], temporal: Temporal, chunk_size: int
) -> list[Chunk]:
    chunks: list[Chunk] = []
    group: list[Segment] = []
    for segment in plan_segments(frames, keys):
        if group and sum(len(s.frames) for s in group) + len(segment.frames) > chunk_size:
            chunks.append(_segment_chunk(group, source, temporal))
            group = []
        group.append(segment)
    if group:
        chunks.append(_segment_chunk(group, source, temporal))
    return chunks


def _segment_chunk(segments: list[Segment], source: list[int], temporal: Temporal) -> Chunk:
    spans = []
    keys: set[int] = set()
    for s in segments:
        # The engine walks back from the keyframe after, forward from the keyframe before.
        spans.append(
            (s.before if s.before is not None else s.frames[0], s.after if s.after is not None else s.frames[-1])
        )
        keys.update(k for k in (s.before, s.after) if k is not None)
    frames = tuple(f for s in segments for f in s.frames)
    return Chunk(frames, _reads(source, spans, temporal), tuple(sorted(keys)))


def _reads(source: list[int], spans: list[tuple[int, int]], temporal: Temporal) -> tuple[int, ...]:
    """Source frames inside the inclusive ``spans``, widened by the frames on disk ``temporal``
    reads behind and ahead of them."""
    indices: set[int] = set()
    for lo, hi in spans:
        first = max(0, bisect_left(source, lo) - temporal.behind)
        last = min(len(source), bisect_right(source, hi) + temporal.ahead)
        indices.update(range(first, last))
    return tuple(source[i] for i in sorted(indices))
