import threading
import time
from collections.abc import Iterator

import pytest

from tinct.core.engine import Progress, ReadAhead, WriteBehind
from tinct.core.errors import CancelledError


def test_read_ahead_yields_in_plan_order_and_bounds_what_it_holds() -> None:
    in_flight, peak, lock = [0], [0], threading.Lock()

    def read(frame: int) -> int:
        with lock:
            in_flight[0] += 1
            peak[0] = max(peak[0], in_flight[0])
        time.sleep(0.001)
        return frame * 10

    plan = [5, 4, 3, 1, 2, 3]
    got = []
    for frame, value in ReadAhead(read, plan, depth=2):
        got.append((frame, value))
        with lock:
            in_flight[0] -= 1
    assert got == [(f, f * 10) for f in plan]
    assert peak[0] <= 3  # depth 2 queued, plus the one being consumed


def test_read_ahead_raises_the_reader_error() -> None:
    def read(frame: int) -> int:
        if frame == 3:
            raise ValueError("bad frame")
        return frame

    with pytest.raises(ValueError, match="bad frame"):
        list(ReadAhead(read, [1, 2, 3, 4]))


def test_write_behind_runs_every_write_and_reraises_failures() -> None:
    done: list[int] = []
    writer = WriteBehind(lambda f: done.append(f), depth=2)
    for f in range(10):
        writer.submit(f)
    writer.close()
    assert done == list(range(10))

    def fail(frame: int) -> None:
        raise OSError(f"disk full at {frame}")

    failing = WriteBehind(fail)
    failing.submit(1)
    with pytest.raises(OSError, match="disk full"):
        failing.close()


def test_progress_cancel_from_a_host_callback() -> None:
    progress = Progress(10, "test", stream=None, on_update=lambda done, total, message: done >= 3)
    progress.advance()
    progress.advance()
    with pytest.raises(CancelledError):
        progress.advance()
        progress.advance()
    assert "frames/s" in progress.message()


def test_write_all_skips_done_frames_and_stops_cleanly_on_cancel() -> None:
    from tinct.core.engine import write_all

    done: list[int] = []
    written, skipped = write_all(
        ((f, (f * 2,)) for f in range(5)), lambda f, v: done.append(v), 5, "t", already_done=lambda f: f == 2
    )
    assert written == [0, 1, 3, 4] and skipped == [2] and done == [0, 2, 6, 8]
    with pytest.raises(CancelledError, match="Stopped"):
        write_all(((f, ()) for f in range(5)), lambda f: None, 5, "t", progress_callback=lambda d, t, m: d >= 2)


def test_write_all_lets_no_write_outlive_a_failed_job() -> None:
    """The job's run folder is removed once write_all returns: the write in flight must be over by then."""
    from tinct.core.engine import write_all

    finished: list[int] = []

    def slow_write(frame: int) -> None:
        time.sleep(0.3)
        finished.append(frame)

    def results() -> Iterator[tuple[int, tuple[()]]]:
        yield 1001, ()
        raise ValueError("frame 1002 cannot be read")

    with pytest.raises(ValueError, match="1002"):
        write_all(results(), slow_write, 2, "t")
    assert finished == [1001]
