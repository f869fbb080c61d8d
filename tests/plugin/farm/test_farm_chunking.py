"""Farm chunks: keyframe intervals kept whole, handles read across chunk edges, frames partitioned."""

from __future__ import annotations

import random
from itertools import pairwise
from pathlib import Path

import pytest

from tests.conftest import make_frames, write_shot
from tests.plugin.farm.cli_helpers import node_parsers
from tinct.core.errors import ParameterError
from tinct.nodes.chunking import Chunk, balanced_chunks, plan_chunks
from tinct.nodes.definition import Temporal
from tinct.plugin.farm import openjd
from tinct.plugin.farm.job import parse_job_arguments
from tinct.plugin.farm.plan import DEFAULT_CHUNK_SIZE, build_farm_job, default_chunk_size

KEYS = Temporal(keyframes="keyframes")


def test_keyframe_chunks_follow_keyframe_intervals() -> None:
    frames = list(range(1001, 1031))
    chunks = plan_chunks(frames, frames, KEYS, chunk_size=10, keyframes=[1001, 1005, 1009, 1025])
    # 1001-1004 and 1005-1008 pack together; 1009-1024 (16 frames) stays whole; 1025-1030 alone.
    assert [c.label for c in chunks] == ["1001-1008", "1009-1024", "1025-1030"]
    assert chunks[1] == Chunk(tuple(range(1009, 1025)), tuple(range(1009, 1026)), (1009, 1025))
    # Frames after the last keyframe are walked forward from it: no frame beyond the chunk is read.
    assert chunks[2].reads == tuple(range(1025, 1031)) and chunks[2].keyframes == (1025,)


def test_frames_before_the_first_keyframe_read_up_to_it() -> None:
    frames = list(range(1, 11))
    chunks = plan_chunks(frames[:3], frames, KEYS, chunk_size=2, keyframes=[6])
    assert [c.frames for c in chunks] == [(1, 2, 3)]  # one interval, never split
    assert chunks[0].reads == (1, 2, 3, 4, 5, 6) and chunks[0].keyframes == (6,)


def test_handles_are_read_across_chunk_edges_and_gaps() -> None:
    source = [1, 2, 3, 4, 6, 7, 8, 9]  # frame 5 is missing on disk
    chunks = plan_chunks(source, source, Temporal(behind=2, ahead=2), chunk_size=4)
    assert [c.frames for c in chunks] == [(1, 2, 3, 4), (6, 7, 8, 9)]
    assert chunks[0].reads == (1, 2, 3, 4, 6, 7)  # two frames on disk after 4, across the gap
    assert chunks[1].reads == (3, 4, 6, 7, 8, 9)


def test_a_chunk_reads_as_far_behind_and_ahead_as_its_node_looks() -> None:
    source = list(range(1, 21))
    chunks = plan_chunks(source, source, Temporal(behind=3, ahead=1), chunk_size=10)
    assert chunks[0].reads == tuple(range(1, 12))  # nothing before frame 1; one frame ahead
    assert chunks[1].reads == tuple(range(8, 21))  # three frames behind; nothing after frame 20


@pytest.mark.parametrize("seed", range(20))
def test_chunks_partition_the_frames(seed: int) -> None:
    rng = random.Random(seed)
    source = sorted(rng.sample(range(1, 200), rng.randint(1, 120)))
    frames = sorted(rng.sample(source, rng.randint(1, len(source))))
    keys = sorted(rng.sample(source, rng.randint(1, min(8, len(source)))))
    temporal = rng.choice([Temporal(), Temporal(behind=rng.randint(0, 3), ahead=rng.randint(0, 3)), KEYS])
    chunks = plan_chunks(frames, source, temporal, rng.randint(1, 15), keys)
    written = [f for c in chunks for f in c.frames]
    assert sorted(written) == frames and len(set(written)) == len(written)  # no frame twice, none lost
    for chunk in chunks:
        assert set(chunk.frames) <= set(chunk.reads) <= set(source)


def work(chunk: Chunk, temporal: Temporal) -> float:
    return len(chunk.frames) + temporal.handle_cost * (len(chunk.reads) - len(chunk.frames))


def test_balanced_chunks_give_the_first_more_frames_where_the_next_reads_them_as_handles() -> None:
    frames = list(range(1001, 1041))
    assert [c.label for c in balanced_chunks(frames, frames, Temporal(behind=26, ahead=2), 2)] == [
        "1001-1020",
        "1021-1040",
    ]  # handles cost nothing: an even split
    temporal = Temporal(behind=26, ahead=2, handle_cost=0.125)
    chunks = balanced_chunks(frames, frames, temporal, 2)
    assert [c.label for c in chunks] == ["1001-1021", "1022-1040"]  # 21.25 and 21.6 frames of work, not 20.25 and 22.5
    assert chunks[1].reads == tuple(frames)  # the second reads all of the first as its handles


@pytest.mark.parametrize("seed", range(20))
def test_balanced_chunks_partition_the_frames_into_even_work(seed: int) -> None:
    rng = random.Random(seed)
    source = sorted(rng.sample(range(1, 400), rng.randint(1, 300)))
    frames = sorted(rng.sample(source, rng.randint(1, len(source))))
    temporal = Temporal(behind=rng.randint(0, 30), ahead=rng.randint(0, 3), handle_cost=rng.uniform(0.0, 0.5))
    count = rng.randint(1, 6)
    chunks = balanced_chunks(frames, source, temporal, count)
    written = [f for c in chunks for f in c.frames]
    assert written == frames and len(chunks) <= count
    for chunk in chunks:
        assert chunk == plan_chunks(chunk.frames, source, temporal, len(chunk.frames))[0]  # reads as a farm's
    # No other cut into as many runs is more even: moving any cut by a frame raises the largest work.
    largest = max(work(c, temporal) for c in chunks)
    for i in range(len(chunks) - 1):
        for move in (-1, 1):
            cuts = [sum(len(c.frames) for c in chunks[: j + 1]) for j in range(len(chunks) - 1)]
            cuts[i] += move
            bounds = [0, *cuts, len(frames)]
            if any(a >= b for a, b in pairwise(bounds)):
                continue
            runs = [frames[a:b] for a, b in pairwise(bounds)]
            moved = [plan_chunks(run, source, temporal, len(run))[0] for run in runs]
            assert max(work(c, temporal) for c in moved) >= largest - 0.01


def test_a_task_takes_enough_frames_that_reading_its_handles_is_a_quarter_of_its_work(tmp_path: Path) -> None:
    """Restore reads 50 frames before a task and 12 after, each an eighth of a frame's work: 7.75
    frames' work, which 24 frames keep under a quarter of the task's (10 would leave 44 %)."""
    shot = write_shot(tmp_path / "shot", make_frames(40), keys=[])
    argv = ["restore", shot.grey_pattern, "-o", str(tmp_path / "out" / "r.####.exr")]
    job = build_farm_job(parse_job_arguments(argv, node_parsers()))
    assert [len(c.frames) for c in job.steps[0].chunks] == [24, 16]
    asked = build_farm_job(parse_job_arguments(argv, node_parsers()), chunk_size=10)
    assert [len(c.frames) for c in asked.steps[0].chunks] == [10, 10, 10, 10]  # a size asked for is kept
    assert default_chunk_size(Temporal()) == default_chunk_size(KEYS) == DEFAULT_CHUNK_SIZE
    assert default_chunk_size(Temporal(behind=2, ahead=2, handle_cost=0.5)) == DEFAULT_CHUNK_SIZE


def test_chunk_size_below_one_is_refused() -> None:
    with pytest.raises(ParameterError, match="Chunk size"):
        plan_chunks([1, 2], [1, 2], Temporal(), chunk_size=0)


def test_restore_chunks_read_as_far_back_as_the_chosen_deflicker_window(tmp_path: Path) -> None:
    """Handles follow the values chosen, not the defaults: with a window of 30 frames each side (default 12) a chunk
    late in the shot reads (and its asset references list) the 60 frames before it (a window cut short by the shot's
    end reaches as many frames more back)."""
    shot = write_shot(tmp_path / "shot", make_frames(80), keys=[])
    argv = ["restore", shot.grey_pattern, "-o", str(tmp_path / "out" / "r.####.exr"), "--deflicker-window", "30"]
    job = build_farm_job(parse_job_arguments(argv, node_parsers()), chunk_size=5)
    last = job.steps[0].chunks[-1]
    assert last.frames == tuple(range(1076, 1081)) and last.reads[0] == 1016
    listed = openjd.asset_references(job)["assetReferences"]["inputs"]["filenames"]
    assert str(tmp_path / "shot" / "grey" / "shot.1016.exr") in listed
