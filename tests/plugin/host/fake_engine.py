"""A stand-in for the Tinct environment's python, for engine-runner tests.

``make(folder, ...)`` writes an executable that, run as ``FAKE -m tinct.plugin.cli.main --error-file FILE
run REQUEST``, records its arguments and the request it was given, prints ``lines``, writes one
empty file per frame of ``output`` every ``delay`` seconds, writes ``error`` (a dict, as
``error_to_dict`` makes) to the error file, then exits with ``code``. It starts in milliseconds
(no engine imports).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

_PROGRAM = """#!{python}
import json, shutil, sys, time
from pathlib import Path
config = json.loads(Path({config!r}).read_text())
Path(config["argv_file"]).write_text(json.dumps(sys.argv[1:]))
shutil.copy(sys.argv[-1], config["request_file"])
for line in config["lines"]:
    print(line, file=sys.stderr, flush=True)
for frame in config["frames"]:
    time.sleep(config["delay"])
    path = Path(config["output"].replace("####", f"{{frame:04d}}"))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"")
    print(f"tinct: frame {{frame}} done", file=sys.stderr, flush=True)
if config["error"]:
    Path(sys.argv[sys.argv.index("--error-file") + 1]).write_text(json.dumps(config["error"]))
sys.exit(config["code"])
"""


def make(
    folder: Path,
    output: str = "",
    frames: list[int] | None = None,
    delay: float = 0.0,
    code: int = 0,
    lines: list[str] | None = None,
    error: dict[str, object] | None = None,
) -> tuple[str, Path]:
    """The fake python's path, and the file where it records the arguments it was given (the request
    it was given goes to ``request.json`` beside that file: see :func:`request_of`)."""
    folder.mkdir(parents=True, exist_ok=True)
    argv_file = folder / "argv.json"
    config = folder / "fake_engine.json"
    config.write_text(
        json.dumps(
            {
                "output": output,
                "frames": frames or [],
                "delay": delay,
                "code": code,
                "lines": lines or [],
                "error": error,
                "argv_file": str(argv_file),
                "request_file": str(folder / "request.json"),
            }
        )
    )
    program = folder / "fake_python"
    program.write_text(_PROGRAM.format(python=sys.executable, config=str(config)))
    program.chmod(0o755)
    return str(program), argv_file


def request_of(argv_file: Path) -> dict:
    """The request (as JSON data) the fake python recorded beside ``argv_file``."""
    return json.loads((argv_file.parent / "request.json").read_text())
