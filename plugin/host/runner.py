"""Run a node's job from a host: as a subprocess of the Tinct environment, or inside this Python.

A host builds the job's request (:class:`tinct.nodes.api.Request`), starts it with :func:`start`
and polls the returned :class:`EngineRun` for progress while its own UI stays responsive;
:meth:`EngineRun.cancel` stops it between frames. A subprocess gets the request as JSON and hands
a user error back as JSON (``tinct --error-file FILE run REQUEST``). Progress is counted on the
output files themselves (each frame appears complete, by atomic rename), so it works the same
whichever way the engine runs and needs nothing from the engine's console output.

The subprocess is the default: hosts' Pythons rarely carry torch, and a crash of the engine (out of
memory, a driver fault) must not take the artist's session down with it.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from tinct.core.errors import CancelledError, TinctError, error_from_dict
from tinct.core.sequence import parse_sequence
from tinct.nodes.api import Progress, Request
from tinct.nodes.api import run as api_run

# The Tinct environment's interpreter; installers record it, studios may override it per shell.
ENV_PYTHON = "TINCT_PYTHON"
CLI_MODULE = "tinct.plugin.cli.main"
# The CLI's exit codes (tinct.plugin.cli.main): 2 for a TinctError, 130 when cancelled.
EXIT_USER_ERROR, EXIT_CANCELLED = 2, 130
_KEPT_LINES = 200

# How a job runs in this Python: tinct.nodes.api.run, or a stand-in in tests.
Runner = Callable[[Request, Progress, Callable[[], bool]], object]


class EngineError(TinctError):
    """The engine stopped with an error, could not start, or crashed; its own message is kept."""


@dataclass(frozen=True)
class EngineJob:
    """One engine run: the ``request`` (its frames given: progress is counted on those output files),
    and an optional ``log`` file that receives the engine's console output."""

    request: Request
    log: Path | None = None

    def __post_init__(self) -> None:
        if not self.request.frames:
            raise ValueError("an engine job needs a request with its frames")

    @property
    def output(self) -> str:
        return self.request.output

    @property
    def frames(self) -> tuple[int, ...]:
        return self.request.frames or ()


@dataclass(frozen=True)
class EngineProgress:
    done: int
    total: int
    message: str

    @property
    def percent(self) -> int:
        """0-100, for progress bars that take whole percents (nuke.ProgressTask)."""
        return min(100, 100 * self.done // self.total) if self.total else 0


class _OutputWatch:
    """Counts the job's output frames written since the job started (one directory scan per call)."""

    def __init__(self, output: str, frames: Iterable[int]) -> None:
        sequence = parse_sequence(output)
        self._directory = sequence.directory
        self._names = {sequence.path(frame).name for frame in frames}
        # Whole seconds, one back: some file systems keep modification times to the second.
        self._since_ns = (time.time_ns() // 1_000_000_000 - 1) * 1_000_000_000

    def count(self) -> int:
        try:
            with os.scandir(self._directory) as entries:
                return sum(
                    1 for entry in entries if entry.name in self._names and entry.stat().st_mtime_ns >= self._since_ns
                )
        except FileNotFoundError:
            return 0


class EngineRun(ABC):
    """A started job. Poll :meth:`progress` and :meth:`wait`; :meth:`result` raises what went wrong."""

    def __init__(self, job: EngineJob) -> None:
        self.job = job
        self._watch = _OutputWatch(job.output, job.frames)
        self._lines: deque[str] = deque(maxlen=_KEPT_LINES)
        self._lock = threading.Lock()
        self._cancel_requested = False

    def progress(self) -> EngineProgress:
        with self._lock:
            message = self._lines[-1] if self._lines else "starting"
        return EngineProgress(self._watch.count(), len(self.job.frames), message)

    def cancel(self) -> None:
        """Ask the job to stop; frames already written stay complete (writes are atomic)."""
        self._cancel_requested = True
        self._stop()

    @abstractmethod
    def wait(self, timeout: float | None = None) -> bool:
        """Wait up to ``timeout`` seconds (None: until done); True once the job has finished."""

    @abstractmethod
    def result(self) -> None:
        """Wait for the end; raise CancelledError, the engine's TinctError or EngineError if it did not succeed."""

    @abstractmethod
    def _stop(self) -> None: ...

    def _note(self, line: str) -> None:
        if line.strip():
            with self._lock:
                self._lines.append(line.rstrip())

    def _cancelled(self) -> CancelledError:
        done = self._watch.count()
        return CancelledError(
            "Stopped by the user",
            found=f"{done} of {len(self.job.frames)} frames written, each complete",
            repair="process again to resume: frames already written with the same settings are kept",
        )


class SubprocessRun(EngineRun):
    """The job as ``PYTHON -m tinct.plugin.cli.main run REQUEST.json``: isolated from the host,
    cancelled by terminating it."""

    def __init__(self, job: EngineJob, python: str) -> None:
        super().__init__(job)
        self._folder = tempfile.TemporaryDirectory(prefix="tinct-job-")
        request, self._error_file = Path(self._folder.name) / "request.json", Path(self._folder.name) / "error.json"
        request.write_text(job.request.to_json(), encoding="utf-8")
        command = [python, "-m", CLI_MODULE, "--error-file", str(self._error_file), "run", str(request)]
        flags = 0
        if sys.platform == "win32":
            flags = subprocess.CREATE_NO_WINDOW  # no console window flashing up over Nuke or Resolve
        try:
            self._process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                encoding="utf-8",
                errors="replace",
                bufsize=1,
                creationflags=flags,
            )
        except OSError as error:
            raise _cannot_start(python, error) from error
        self._reader = threading.Thread(target=self._read, name="tinct-engine-output", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        stream = self._process.stdout
        if stream is None:
            return
        log: IO[str] | None = None
        if self.job.log is not None:
            self.job.log.parent.mkdir(parents=True, exist_ok=True)
            log = self.job.log.open("w", encoding="utf-8")
        try:
            for line in stream:
                self._note(line)
                if log is not None:
                    log.write(line)
                    log.flush()
        finally:
            stream.close()
            if log is not None:
                log.close()

    def wait(self, timeout: float | None = None) -> bool:
        try:
            self._process.wait(timeout)
        except subprocess.TimeoutExpired:
            return False
        self._reader.join()
        return True

    def _stop(self) -> None:
        if self._process.poll() is None:
            self._process.terminate()

    def result(self) -> None:
        self.wait()
        code = self._process.returncode
        try:
            error = json.loads(self._error_file.read_text(encoding="utf-8")) if self._error_file.is_file() else None
        finally:
            self._folder.cleanup()
        if code == 0:
            return
        with self._lock:
            lines = list(self._lines)
        if self._cancel_requested or code == EXIT_CANCELLED:
            raise self._cancelled()
        if code == EXIT_USER_ERROR and error is not None:
            raise error_from_dict(error)
        where = f"; the full output is in {self.job.log}" if self.job.log else ""
        raise EngineError(
            f"Tinct's engine stopped unexpectedly (exit code {code})",
            found="\n".join(lines[-15:]),
            repair=f"this is a bug or a machine fault, not a setting{where}: send it to pipeline support",
        )


class InProcessRun(EngineRun):
    """The job in a worker thread of this Python (used where torch imports in the host itself)."""

    def __init__(self, job: EngineJob, runner: Runner = api_run) -> None:
        super().__init__(job)
        self._failure: BaseException | None = None
        self._thread = threading.Thread(target=self._work, args=(runner,), name="tinct-engine", daemon=True)
        self._thread.start()

    def _work(self, runner: Runner) -> None:
        try:  # the engine (numpy, torch) loads here, in the worker thread, not in the host's UI
            runner(self.job.request, self._on_progress, lambda: self._cancel_requested)
        except BaseException as failure:  # handed to the host's thread by result(), traceback intact
            self._failure = failure

    def _on_progress(self, done: int, total: int, message: str) -> None:
        self._note(message)

    def wait(self, timeout: float | None = None) -> bool:
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _stop(self) -> None:
        """Nothing to signal: the job asks its cancel function between frames, which now answers True."""

    def result(self) -> None:
        self.wait()
        if isinstance(self._failure, CancelledError):
            raise self._cancelled() from self._failure
        if self._failure is not None:
            raise self._failure


def run_tinct(python: str, args: list[str], request: Request) -> str:
    """Run ``tinct ARGS REQUEST.json`` to its end in the Tinct ``python`` (for short commands, such as
    writing a farm job); returns its output. A user error comes back as the TinctError it was."""
    with tempfile.TemporaryDirectory(prefix="tinct-") as folder:
        request_file, error_file = Path(folder) / "request.json", Path(folder) / "error.json"
        request_file.write_text(request.to_json(), encoding="utf-8")
        command = [python, "-m", CLI_MODULE, "--error-file", str(error_file), *args, str(request_file)]
        try:
            done = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False)
        except OSError as error:
            raise _cannot_start(python, error) from error
        if done.returncode == EXIT_USER_ERROR and error_file.is_file():
            raise error_from_dict(json.loads(error_file.read_text(encoding="utf-8")))
    if done.returncode != 0:
        raise EngineError(
            f"Tinct stopped unexpectedly (exit code {done.returncode})",
            found=done.stderr[-3000:],
            repair="this is a bug or a machine fault, not a setting: send it to pipeline support",
        )
    return done.stdout


def engine_python(python: str | None = None) -> str:
    """The Tinct environment's python: ``python`` if given, else ``$TINCT_PYTHON`` ('' when unset)."""
    return python or os.environ.get(ENV_PYTHON, "")


def engine_importable() -> bool:
    """True when torch and Tinct's command line are installed in this Python. Only looked up: the
    import itself (seconds, for torch) happens in the job's worker thread, not in the host's UI."""
    try:
        return all(importlib.util.find_spec(name) is not None for name in ("torch", CLI_MODULE))
    except ImportError:  # a parent package of CLI_MODULE that does not import
        return False


def start(job: EngineJob, python: str | None = None) -> EngineRun:
    """Start ``job`` as a subprocess of the Tinct python (``python`` or ``$TINCT_PYTHON``), else in
    this Python when the engine imports here."""
    interpreter = engine_python(python)
    if interpreter:
        return SubprocessRun(job, interpreter)
    if engine_importable():
        return InProcessRun(job)
    raise EngineError(
        "Tinct's engine is not available here",
        expected=f"${ENV_PYTHON} naming the Tinct environment's python, or torch importable in this Python",
        found=f"${ENV_PYTHON} is not set and torch does not import in {sys.executable}",
        repair=f"re-run the Tinct installer for this application, or set ${ENV_PYTHON}",
    )


def run_to_end(run: EngineRun, on_progress: Callable[[EngineProgress], bool], interval: float = 0.5) -> None:
    """Wait for ``run``, reporting progress every ``interval`` seconds; ``on_progress`` returning True
    cancels. Raises like :meth:`EngineRun.result`."""
    while not run.wait(interval):
        if on_progress(run.progress()):
            run.cancel()
    on_progress(run.progress())
    run.result()


def _cannot_start(python: str, error: OSError) -> EngineError:
    return EngineError(
        "Cannot start Tinct's engine",
        expected="the python of the Tinct environment",
        found=f"{python}: {error.strerror or error}",
        repair=f"re-run the Tinct installer (it records that python), or set ${ENV_PYTHON} to it",
    )
