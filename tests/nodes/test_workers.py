"""A render split over worker processes: the same pixels as one process, errors and cancel carried back."""

from __future__ import annotations

import multiprocessing
import sys
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import TinyShot, make_frames, write_shot
from tinct.core.engine import frames_in_flight
from tinct.core.errors import CancelledError, ImageFileError
from tinct.core.imageio import read_image
from tinct.nodes import api
from tinct.nodes.workers import MIN_FRAMES_PER_WORKER, _start_worker, opencv_threads, plan

FRAMES = 2 * MIN_FRAMES_PER_WORKER + 2


def frames() -> list[np.ndarray]:
    """A pan there and back (the test pan has room for 17 frames)."""
    half = make_frames(FRAMES // 2)
    return half + half[::-1]


def restore_request(shot: TinyShot, out: str, **parameters: object) -> api.Request:
    return api.Request.create("Restore", {"source": shot.grey_pattern}, shot.out_pattern(out), parameters)


def pixels(shot: TinyShot, out: str, frames: range) -> list[np.ndarray]:
    return [read_image(shot.out_pattern(out).replace("####", str(f))).pixels for f in frames]


@pytest.fixture(scope="module")
def long_shot(tmp_path_factory: pytest.TempPathFactory) -> TinyShot:
    return write_shot(tmp_path_factory.mktemp("long"), frames(), keys=[0, 12, 25])


def test_the_plan_splits_what_can_be_split(long_shot: TinyShot) -> None:
    restore = restore_request(long_shot, "a")
    chunks = plan(restore, 2)
    # Each chunk reads the other's frames as its handles (the first's after it, the second's before).
    assert [c.frames for c in chunks] == [tuple(range(1001, 1014)), tuple(range(1014, 1027))]
    assert chunks[0].reads[-1] > 1013 and chunks[1].reads[0] == 1001  # a chunk reads its handles
    assert plan(restore, 1) == [] and plan(restore.with_frames(range(1001, 1021)), 2) == []  # too short
    keyed = api.Request.create(
        "KeyframeColorize",
        {"source": long_shot.grey_pattern, "keyframes": long_shot.keys_pattern},
        long_shot.out_pattern("k"),
    )
    assert plan(keyed, 3) == []  # an interval keeps two workers busy: one process here
    assert [c.keyframes for c in plan(keyed, 4)] == [(1001, 1013), (1013, 1026), (1026,)]  # whole intervals
    automatic = api.Request.create("AutoColorize", {"source": long_shot.grey_pattern}, long_shot.out_pattern("c"))
    assert plan(automatic, 2) == []  # keyframes are chosen over the whole shot: not split


def test_one_keyframe_interval_is_not_split(tmp_path: Path) -> None:
    shot = write_shot(tmp_path, frames(), keys=[0, FRAMES - 1])
    keyed = api.Request.create(
        "KeyframeColorize", {"source": shot.grey_pattern, "keyframes": shot.keys_pattern}, shot.out_pattern()
    )
    assert plan(keyed, 4) == []  # the interval and its lone last keyframe: nothing worth a process


def test_two_workers_write_the_pixels_of_one(long_shot: TinyShot) -> None:
    one = api.run(restore_request(long_shot, "one"))
    two = api.run(restore_request(long_shot, "two"), workers=2)
    assert two.written == one.written == list(range(1001, 1001 + FRAMES))
    for a, b in zip(pixels(long_shot, "one", range(1001, 1001 + FRAMES)), pixels(long_shot, "two", range(1001, 1027))):
        np.testing.assert_array_equal(a, b)
    again = api.run(restore_request(long_shot, "two"), workers=2)
    assert again.written == [] and again.skipped == one.written  # a rerun resumes in the workers too


def test_keyframe_intervals_in_two_workers_give_the_pixels_of_one(long_shot: TinyShot) -> None:
    def colorize(out: str) -> api.Request:
        inputs = {"source": long_shot.grey_pattern, "keyframes": long_shot.keys_pattern}
        return api.Request.create("KeyframeColorize", inputs, long_shot.out_pattern(out))

    # Two processes of one core each (their passes one after the other) against one of two passes side by side.
    assert api.run(colorize("c1")).written == api.run(colorize("c2"), workers=4).written
    for a, b in zip(pixels(long_shot, "c1", range(1001, 1027)), pixels(long_shot, "c2", range(1001, 1027))):
        np.testing.assert_array_equal(a, b)


def test_a_user_error_in_a_worker_is_raised_with_its_file(tmp_path: Path) -> None:
    shot = write_shot(tmp_path, frames(), keys=[])
    broken = Path(shot.grey_pattern.replace("####", "1020"))
    broken.write_bytes(b"not an EXR")
    with pytest.raises(ImageFileError) as caught:
        api.run(restore_request(shot, "out"), workers=2)
    assert str(broken) in str(caught.value)


def test_cancel_stops_the_workers_and_keeps_whole_frames(tmp_path: Path) -> None:
    shot = write_shot(tmp_path, frames(), keys=[])
    with pytest.raises(CancelledError):
        api.run(restore_request(shot, "out"), progress=lambda *_: None, cancel=lambda: True, workers=2)
    finished = sorted(Path(shot.out_pattern()).parent.glob("shot.*.exr"))
    for path in finished:
        assert read_image(path).pixels.shape[:2] == (48, 64)  # every frame written is whole
    report = api.run(restore_request(shot, "out"), workers=2)
    assert len(report.written) + len(report.skipped) == FRAMES and len(report.skipped) == len(finished)


@pytest.mark.parametrize(("threads", "expected"), [(1, 1), (4, 2)])
def test_a_worker_of_one_core_keeps_one_frame_in_flight(threads: int, expected: int) -> None:
    # A render's memory is the sum of its workers': one that has a single core gains nothing from
    # reading two frames ahead and queueing two for writing.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=context, initializer=_start_worker, initargs=(threads, None)) as pool:
        assert pool.submit(frames_in_flight).result() == expected


def test_opencv_leaves_a_keyframe_nodes_cores_to_its_two_passes(long_shot: TinyShot) -> None:
    keyed = api.Request.create(
        "KeyframeColorize",
        {"source": long_shot.grey_pattern, "keyframes": long_shot.keys_pattern},
        long_shot.out_pattern("k"),
    )
    assert [opencv_threads(keyed, cores) for cores in (1, 2, 3, 8)] == [1, 1, 1, 4]
    assert [opencv_threads(restore_request(long_shot, "r"), cores) for cores in (1, 2, 8)] == [1, 2, 8]


def opencv_thread_count() -> int:
    import cv2

    return cv2.getNumThreads()


@pytest.mark.parametrize(("initargs", "expected"), [((2, None), 2), ((2, None, 1), 1)])
def test_a_worker_gives_opencv_the_threads_it_was_told(initargs: tuple, expected: int) -> None:
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=context, initializer=_start_worker, initargs=initargs) as pool:
        assert pool.submit(opencv_thread_count).result() == expected


def page_faults_of_a_second_frame() -> int:
    """Minor page faults while a 64 MB frame-sized array is made and filled again, once one was
    made, filled and freed."""
    import resource

    np.ones(16 << 20, np.float32)  # made, filled and freed
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    np.ones(16 << 20, np.float32)
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before


def page_faults_of_a_second_frame_in_a_thread() -> int:
    """:func:`page_faults_of_a_second_frame` in a thread of its own, as a render's passes run."""
    with ThreadPoolExecutor(1) as threads:
        return threads.submit(page_faults_of_a_second_frame).result()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's allocator")
@pytest.mark.parametrize("measure", [page_faults_of_a_second_frame, page_faults_of_a_second_frame_in_a_thread])
def test_a_worker_reuses_the_memory_of_freed_frames(measure: Callable[[], int]) -> None:
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=context) as pool:
        fresh = pool.submit(measure).result()
    with ProcessPoolExecutor(1, mp_context=context, initializer=_start_worker, initargs=(1, None)) as pool:
        reused = pool.submit(measure).result()
    # 64 MB is 16,384 pages of 4 KB (or 32 of 2 MB): mapped fresh, each is faulted in again.
    assert reused < 10 < fresh
