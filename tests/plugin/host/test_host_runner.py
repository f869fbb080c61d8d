"""Running the engine from a host: subprocess and in-process runs, progress, cancel, error reports."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from tests.conftest import TinyShot
from tests.plugin.host import fake_engine
from tinct.core.errors import CancelledError, ParameterError, TinctError, error_to_dict
from tinct.nodes.api import Progress, Request
from tinct.plugin.host.runner import (
    EngineError,
    EngineJob,
    EngineProgress,
    InProcessRun,
    SubprocessRun,
    run_to_end,
    start,
)

FRAMES = [1001, 1002, 1003, 1004]


def job(tmp_path: Path, frames: Sequence[int] = FRAMES) -> EngineJob:
    output = str(tmp_path / "out" / "shot.####.exr")
    request = Request.create(
        "KeyframeColorize", {"source": "src.####.exr", "keyframes": "keys.####.exr"}, output, frames=frames
    )
    return EngineJob(request, tmp_path / "log.txt")


def test_subprocess_run_reports_frames_as_they_appear(tmp_path: Path) -> None:
    spec = job(tmp_path)
    python, argv_file = fake_engine.make(
        tmp_path / "fake", spec.output, FRAMES, delay=0.05, lines=["tinct: source colour space: ACEScg"]
    )
    seen: list[EngineProgress] = []
    run_to_end(start(spec, python), lambda p: seen.append(p) or False, interval=0.02)
    argv = json.loads(argv_file.read_text())
    assert argv[:3] == ["-m", "tinct.plugin.cli.main", "--error-file"] and argv[4] == "run"
    assert Request.from_dict(fake_engine.request_of(argv_file)) == spec.request, "the request travels as JSON"
    assert seen[-1].done == 4 and seen[-1].total == 4 and seen[-1].percent == 100
    assert any(0 < p.done < 4 for p in seen), "progress should move while frames are written"
    assert "ACEScg" in spec.log.read_text()  # type: ignore[union-attr]


def test_frames_written_before_the_job_do_not_count(tmp_path: Path) -> None:
    spec = job(tmp_path)
    old = Path(spec.output.replace("####", "1001"))
    old.parent.mkdir(parents=True)
    old.write_bytes(b"")
    stale = time.time() - 3600
    os.utime(old, (stale, stale))
    python, _ = fake_engine.make(tmp_path / "fake", spec.output, [1002], delay=0.0)
    run = start(spec, python)
    run.wait()
    assert run.progress().done == 1


def test_user_error_comes_back_as_data(tmp_path: Path) -> None:
    sent = ParameterError(
        "Parameter KeyframeColorize.fill_radius is out of range",
        expected="2.0 to 512.0",
        found="9999.0",
        repair="use a value between 2.0 and 512.0",
        file="a.exr",
        frame=1002,
    )
    python, _ = fake_engine.make(tmp_path / "fake", code=2, lines=["tinct: something else"], error=error_to_dict(sent))
    with pytest.raises(ParameterError) as raised:
        start(job(tmp_path), python).result()
    error = raised.value
    assert error.title == sent.title and (error.expected, error.found) == ("2.0 to 512.0", "9999.0")
    assert "between" in error.repair and (error.file, error.frame) == ("a.exr", 1002)


def test_the_real_engine_hands_its_error_back(
    tiny_shot: TinyShot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real `tinct run` in a subprocess: a user error found there arrives here typed, with its fields."""
    import sys

    request = Request.create(
        "KeyframeColorize",
        {"source": tiny_shot.grey_pattern, "keyframes": tiny_shot.keys_pattern},
        str(tmp_path / "out" / "sh.####.exr"),
        frames=[1001, 1002],
    )
    # A keyframe colour space that no config has: found by the engine, not by the request.
    request = Request.create(
        request.node, request.inputs, request.output, frames=request.frames, colorspaces={"keyframes": "No Such Space"}
    )
    with pytest.raises(TinctError) as raised:
        start(EngineJob(request), sys.executable).result()
    assert "No Such Space" in str(raised.value) and raised.value.repair


def test_a_crash_is_not_dressed_up_as_a_user_error(tmp_path: Path) -> None:
    python, _ = fake_engine.make(tmp_path / "fake", code=1, lines=["Traceback (most recent call last):", "MemoryError"])
    with pytest.raises(EngineError) as raised:
        start(job(tmp_path), python).result()
    assert "exit code 1" in raised.value.title and "MemoryError" in raised.value.found
    assert "log.txt" in raised.value.repair


def test_cancel_stops_the_subprocess_between_frames(tmp_path: Path) -> None:
    spec = job(tmp_path, list(range(1001, 1101)))
    python, _ = fake_engine.make(tmp_path / "fake", spec.output, list(spec.frames), delay=0.05)
    run = start(spec, python)
    assert isinstance(run, SubprocessRun)
    with pytest.raises(CancelledError) as raised:
        run_to_end(run, lambda p: p.done >= 1, interval=0.02)
    assert run.progress().done < 100 and "resume" in raised.value.repair


def test_a_missing_python_says_how_to_repair(tmp_path: Path) -> None:
    with pytest.raises(EngineError) as raised:
        start(job(tmp_path), str(tmp_path / "no" / "python"))
    assert "installer" in raised.value.repair and "TINCT_PYTHON" in raised.value.repair


def test_without_a_tinct_python_the_engine_runs_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TINCT_PYTHON", raising=False)
    monkeypatch.setattr("tinct.plugin.host.runner.engine_importable", lambda: True)
    run = start(job(tmp_path))
    run.cancel()
    assert isinstance(run, InProcessRun)


def test_no_engine_anywhere_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TINCT_PYTHON", raising=False)
    monkeypatch.setattr("tinct.plugin.host.runner.engine_importable", lambda: False)
    with pytest.raises(EngineError) as raised:
        start(job(tmp_path))
    assert "TINCT_PYTHON" in raised.value.expected


def test_in_process_cancel_goes_through_the_progress_callback(tmp_path: Path) -> None:
    spec = job(tmp_path)
    calls: list[tuple[int, int, str]] = []

    def fake_run(request: Request, progress: Progress, cancel: Callable[[], bool]) -> None:
        assert request is spec.request
        for done in range(1, 1000):
            calls.append((done, 999, f"frame {done}"))
            progress(done, 999, f"frame {done}")
            if cancel():
                raise CancelledError("Stopped by the user")
            time.sleep(0.005)

    run = InProcessRun(spec, runner=fake_run)
    with pytest.raises(CancelledError):
        run_to_end(run, lambda p: len(calls) > 3, interval=0.01)
    assert len(calls) < 999


def test_in_process_bugs_keep_their_traceback(tmp_path: Path) -> None:
    def broken(request: Request, progress: Progress, cancel: Callable[[], bool]) -> None:
        raise ZeroDivisionError("bug")

    with pytest.raises(ZeroDivisionError) as raised:
        InProcessRun(job(tmp_path), runner=broken).result()
    assert raised.traceback[-1].name == "broken"


def test_jobs_name_their_frames() -> None:
    with pytest.raises(ValueError):
        EngineJob(Request.create("KeyframeColorize", {"source": "a.####.exr", "keyframes": "k.####.exr"}, "b.####.exr"))
