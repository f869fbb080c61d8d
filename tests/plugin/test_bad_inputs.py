"""Bad input and misuse of every command: one clear message and exit 2, nothing lost, nothing half-written.

Each case spoils a tiny shot (six 64x48 EXR frames, keyframes on 1001 and 1006) or misuses a
command, runs ``tinct`` in-process, and checks:
- exit code 2 and no traceback;
- a message naming the file, frame or value at fault (``names``) and how to repair it;
- every file that existed before is byte-identical afterwards (inputs, and frames written earlier);
- every new file is a complete, readable frame: no temporary files, no run folders.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.conftest import TinyShot, make_frames, write_shot
from tinct.core.imageio import read_image, write_exr
from tinct.plugin.cli.main import main


@dataclass(frozen=True)
class Shot:
    """The shot a case spoils: grey plate, keyframes and an output pattern, in ``root``."""

    tiny: TinyShot

    @property
    def root(self) -> Path:
        return self.tiny.root

    @property
    def grey(self) -> str:
        return self.tiny.grey_pattern

    @property
    def keys(self) -> str:
        return self.tiny.keys_pattern

    @property
    def out(self) -> str:
        return self.tiny.out_pattern()

    def grey_frame(self, frame: int) -> Path:
        return Path(self.grey.replace("####", str(frame)))

    def key_frame(self, frame: int) -> Path:
        return Path(self.keys.replace("####", str(frame)))

    def colorize(self, *extra: str) -> list[str]:
        return ["colorize", self.grey, "--keyframes", self.keys, "-o", self.out, "--flow-quality", "fast", *extra]

    def restore(self, *extra: str) -> list[str]:
        return ["restore", self.grey, "-o", self.out, *extra]


# A case spoils the shot and returns the command line and what the message must name.
Case = Callable[[Shot], tuple[list[str], list[str]]]
CASES: dict[str, Case] = {}


def case(name: str) -> Callable[[Case], Case]:
    def register(function: Case) -> Case:
        CASES[name] = function
        return function

    return register


def grey_image(height: int = 48, width: int = 64, value: float = 0.18) -> np.ndarray:
    return np.full((height, width, 3), value, np.float32)


def png_bytes() -> bytes:
    return cv2.imencode(".png", np.zeros((48, 64, 3), np.uint8))[1].tobytes()


def read_only(folder: Path) -> None:
    """Make ``folder`` a folder no file can be made in; root ignores permissions, so it is made immutable."""
    folder.mkdir()
    folder.chmod(0o555)
    if os.geteuid() == 0 and subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode != 0:
        pytest.skip("running as root on a file system without chattr +i: no folder is read-only to root")


def writable_again(root: Path) -> None:
    """Undo :func:`read_only` everywhere under ``root``, for pytest to clean up."""
    if os.geteuid() == 0:
        subprocess.run(["chattr", "-R", "-i", str(root)], capture_output=True)
    for folder in [root, *root.rglob("*")]:
        if folder.is_dir() and not folder.is_symlink():
            folder.chmod(0o755)


# -- colorize with keyframes ------------------------------------------------------------------


@case("colorize: no source frames")
def _(s: Shot) -> tuple[list[str], list[str]]:
    return ["colorize", str(s.root / "nothing" / "shot.####.exr"), "--keyframes", s.keys, "-o", s.out], ["nothing"]


@case("colorize: no keyframes on disk")
def _(s: Shot) -> tuple[list[str], list[str]]:
    return ["colorize", s.grey, "--keyframes", str(s.root / "paint" / "shot.####.exr"), "-o", s.out], ["paint"]


@case("colorize: no output")
def _(s: Shot) -> tuple[list[str], list[str]]:
    return ["colorize", s.grey, "--keyframes", s.keys], ["-o"]


@case("colorize: unreadable frame range")
def _(s: Shot) -> tuple[list[str], list[str]]:
    return s.colorize("--frames", "1001-10x"), ["1001-10x"]


@case("colorize: frame range ending before it starts")
def _(s: Shot) -> tuple[list[str], list[str]]:
    return s.colorize("--frames", "1006-1001"), ["1006-1001"]


@case("colorize: frames outside the plate")
def _(s: Shot) -> tuple[list[str], list[str]]:
    return s.colorize("--frames", "2001-2005"), ["2001"]


@case("colorize: parameter out of range")
def _(s: Shot) -> tuple[list[str], list[str]]:
    return s.colorize("--fill-radius", "9999"), ["fill_radius", "9999"]


@case("colorize: parameter not a number")
def _(s: Shot) -> tuple[list[str], list[str]]:
    return s.colorize("--flow-resolution", "big"), ["flow_resolution", "big"]


@case("colorize: unknown choice")
def _(s: Shot) -> tuple[list[str], list[str]]:
    return s.colorize("--flow-quality", "ultra"), ["ultra"]


@case("colorize: unknown pixel type")
def _(s: Shot) -> tuple[list[str], list[str]]:
    return s.colorize("--pixel-type", "int8"), ["int8"]


@case("colorize: unknown compression")
def _(s: Shot) -> tuple[list[str], list[str]]:
    return s.colorize("--compression", "zip:abc"), ["zip:abc"]


@case("colorize: unknown source colour space")
def _(s: Shot) -> tuple[list[str], list[str]]:
    return s.colorize("--source-colorspace", "ACEScgg"), ["ACEScgg"]


@case("colorize: unknown keyframes colour space")
def _(s: Shot) -> tuple[list[str], list[str]]:
    return s.colorize("--keyframes-colorspace", "sRGBB"), ["sRGBB"]


@case("colorize: unknown output colour space")
def _(s: Shot) -> tuple[list[str], list[str]]:
    return s.colorize("--output-colorspace", "Rec.9999"), ["Rec.9999"]


@case("colorize: OCIO config not found")
def _(s: Shot) -> tuple[list[str], list[str]]:
    return s.colorize("--ocio", str(s.root / "missing.ocio")), ["missing.ocio"]


@case("colorize: truncated source frame")
def _(s: Shot) -> tuple[list[str], list[str]]:
    path = s.grey_frame(1003)
    path.write_bytes(path.read_bytes()[:300])
    return s.colorize(), ["shot.1003.exr", "1003"]


@case("colorize: source frame that is not an image")
def _(s: Shot) -> tuple[list[str], list[str]]:
    s.grey_frame(1004).write_text("not an image")
    return s.colorize(), ["shot.1004.exr", "1004"]


@case("colorize: NaN in a source frame")
def _(s: Shot) -> tuple[list[str], list[str]]:
    bad = grey_image()
    bad[3, 4, 0] = np.nan
    write_exr(s.grey_frame(1002), bad, ["R", "G", "B"], pixel_type="float")
    return s.colorize(), ["shot.1002.exr", "1002", "NaN"]


@case("colorize: infinity in a keyframe")
def _(s: Shot) -> tuple[list[str], list[str]]:
    bad = grey_image()
    bad[1, 2, 2] = np.inf
    write_exr(s.key_frame(1006), bad, ["R", "G", "B"], pixel_type="float")
    return s.colorize(), ["shot.1006.exr", "1006", "Inf"]


@case("colorize: source frame without colour channels")
def _(s: Shot) -> tuple[list[str], list[str]]:
    write_exr(s.grey_frame(1001), np.zeros((48, 64, 2), np.float32), ["U", "V"], pixel_type="float")
    return s.colorize(), ["shot.1001.exr", "U, V"]


@case("colorize: keyframe of another resolution")
def _(s: Shot) -> tuple[list[str], list[str]]:
    write_exr(s.key_frame(1006), grey_image(24, 32), ["R", "G", "B"], pixel_type="float")
    return s.colorize(), ["shot.1006.exr", "32x24"]


@case("colorize: keyframe outside the plate")
def _(s: Shot) -> tuple[list[str], list[str]]:
    write_exr(s.key_frame(2000), grey_image(), ["R", "G", "B"], pixel_type="float")
    return s.colorize(), ["2000"]


@case("colorize: mixed resolutions within the plate")
def _(s: Shot) -> tuple[list[str], list[str]]:
    write_exr(s.grey_frame(1004), grey_image(24, 32), ["R", "G", "B"], pixel_type="float")
    return s.colorize(), ["shot.1004.exr", "1004"]


@case("colorize: output names a source frame")
def _(s: Shot) -> tuple[list[str], list[str]]:
    return ["colorize", s.grey, "--keyframes", s.keys, "-o", str(s.grey_frame(1005))], ["shot.1005.exr"]


@case("colorize: one-frame output names its source frame")
def _(s: Shot) -> tuple[list[str], list[str]]:
    return ["colorize", s.grey, "--keyframes", s.keys, "-o", str(s.grey_frame(1005)), "--frames", "1005"], [
        "shot.1005.exr"
    ]


@case("colorize: output is the keyframes pattern")
def _(s: Shot) -> tuple[list[str], list[str]]:
    return ["colorize", s.grey, "--keyframes", s.keys, "-o", s.keys], ["shot.1001.exr"]


@case("colorize: output frame is a symlink to a source frame")
def _(s: Shot) -> tuple[list[str], list[str]]:
    (s.root / "out").mkdir()
    (s.root / "out" / "shot.1002.exr").symlink_to(s.grey_frame(1002))
    return s.colorize(), ["shot.1002.exr"]


@case("colorize: output folder is a file")
def _(s: Shot) -> tuple[list[str], list[str]]:
    (s.root / "notes.txt").write_text("notes")
    return ["colorize", s.grey, "--keyframes", s.keys, "-o", str(s.root / "notes.txt" / "shot.####.exr")], ["notes.txt"]


@case("colorize: output is the keyframes through a symlink")
def _(s: Shot) -> tuple[list[str], list[str]]:
    (s.root / "link").symlink_to(s.root / "keys", target_is_directory=True)
    return ["colorize", s.grey, "--keyframes", s.keys, "-o", str(s.root / "link" / "shot.####.exr")], ["shot"]


@case("colorize: output is the source through ..")
def _(s: Shot) -> tuple[list[str], list[str]]:
    (s.root / "out").mkdir()
    return ["colorize", s.grey, "--keyframes", s.keys, "-o", str(s.root / "out" / ".." / "grey" / "shot.####.exr")], [
        "grey"
    ]


@case("colorize: output is a hard link to a source frame")
def _(s: Shot) -> tuple[list[str], list[str]]:
    (s.root / "out").mkdir()
    os.link(s.grey_frame(1003), s.root / "out" / "shot.1003.exr")
    return s.colorize(), ["shot.1003.exr"]


@case("colorize: output without a frame number for many frames")
def _(s: Shot) -> tuple[list[str], list[str]]:
    return ["colorize", s.grey, "--keyframes", s.keys, "-o", str(s.root / "out" / "one.exr")], ["one.exr"]


@case("colorize: output named .png")
def _(s: Shot) -> tuple[list[str], list[str]]:
    return ["colorize", s.grey, "--keyframes", s.keys, "-o", str(s.root / "out" / "x.####.png")], ["x.####.png"]


@case("colorize: --keyframes with --model")
def _(s: Shot) -> tuple[list[str], list[str]]:
    return s.colorize("--model", "tinct-autocolor-v1"), ["--model"]


@case("colorize: --keyframes with --reference")
def _(s: Shot) -> tuple[list[str], list[str]]:
    return s.colorize("--reference", str(s.key_frame(1001))), ["--reference"]


@case("colorize: --suggest-keyframes with -o")
def _(s: Shot) -> tuple[list[str], list[str]]:
    return ["colorize", s.grey, "--suggest-keyframes", "2", "-o", s.out], ["--suggest-keyframes"]


@case("colorize: read-only output folder")
def _(s: Shot) -> tuple[list[str], list[str]]:
    read_only(s.root / "out")
    return s.colorize(), ["out"]


@case("colorize: source pattern names a folder")
def _(s: Shot) -> tuple[list[str], list[str]]:
    return ["colorize", str(s.root / "grey"), "--keyframes", s.keys, "-o", s.out], ["grey"]


# -- automatic colour (colorize without keyframes) ----------------------------------------------


@case("autocolorize: unknown model")
def _(s: Shot) -> tuple[list[str], list[str]]:
    return ["colorize", s.grey, "-o", s.out, "--model", "no-such-model"], ["no-such-model"]


@case("autocolorize: reference photograph not found")
def _(s: Shot) -> tuple[list[str], list[str]]:
    return ["colorize", s.grey, "-o", s.out, "--reference", str(s.root / "photo.jpg")], ["photo.jpg"]


@case("autocolorize: reference that is not an image")
def _(s: Shot) -> tuple[list[str], list[str]]:
    (s.root / "photo.jpg").write_text("a letter, not a photograph")
    return ["colorize", s.grey, "-o", s.out, "--reference", str(s.root / "photo.jpg")], ["photo.jpg"]


@case("autocolorize: unknown reference colour space")
def _(s: Shot) -> tuple[list[str], list[str]]:
    cv2.imwrite(str(s.root / "photo.png"), np.full((48, 64, 3), 128, np.uint8))
    return [
        "colorize",
        s.grey,
        "-o",
        s.out,
        "--reference",
        str(s.root / "photo.png"),
        "--reference-colorspace",
        "Kodachrome",
    ], ["Kodachrome"]


@case("autocolorize: keyframe interval out of range")
def _(s: Shot) -> tuple[list[str], list[str]]:
    return ["colorize", s.grey, "-o", s.out, "--keyframe-interval", "0"], ["keyframe_interval", "0"]


@case("autocolorize: no output")
def _(s: Shot) -> tuple[list[str], list[str]]:
    return ["colorize", s.grey], ["-o"]


# -- restore and clarity ------------------------------------------------------------------------


@case("restore: no output")
def _(s: Shot) -> tuple[list[str], list[str]]:
    return ["restore", s.grey], ["-o"]


@case("restore: no source frames")
def _(s: Shot) -> tuple[list[str], list[str]]:
    return ["restore", str(s.root / "scans" / "shot.####.exr"), "-o", s.out], ["scans"]


@case("restore: parameter out of range")
def _(s: Shot) -> tuple[list[str], list[str]]:
    return s.restore("--grain", "1.5"), ["grain", "1.5"]


@case("restore: boolean that is not true or false")
def _(s: Shot) -> tuple[list[str], list[str]]:
    return s.restore("--dust", "maybe"), ["maybe"]


@case("restore: infrared channel not in the source")
def _(s: Shot) -> tuple[list[str], list[str]]:
    return s.restore("--infrared", "IR"), ["IR", "shot.1001.exr"]


@case("restore: output names a source frame")
def _(s: Shot) -> tuple[list[str], list[str]]:
    return ["restore", s.grey, "-o", str(s.grey_frame(1002))], ["shot.1002.exr"]


@case("restore: output is the source pattern")
def _(s: Shot) -> tuple[list[str], list[str]]:
    return ["restore", s.grey, "-o", s.grey], ["shot.1001.exr"]


@case("restore: --no-dust with --dust-strength")
def _(s: Shot) -> tuple[list[str], list[str]]:
    return s.restore("--no-dust", "--dust-strength", "0.8"), ["--dust-strength"]


@case("restore: mixed resolutions within the plate")
def _(s: Shot) -> tuple[list[str], list[str]]:
    write_exr(s.grey_frame(1005), grey_image(24, 32), ["R", "G", "B"], pixel_type="float")
    return s.restore(), ["shot.1005.exr", "1005"]


@case("restore: truncated source frame")
def _(s: Shot) -> tuple[list[str], list[str]]:
    path = s.grey_frame(1006)
    path.write_bytes(path.read_bytes()[:-200])
    return s.restore(), ["shot.1006.exr", "1006"]


@case("restore: read-only output folder")
def _(s: Shot) -> tuple[list[str], list[str]]:
    read_only(s.root / "out")
    return s.restore(), ["out"]


@case("restore: frames outside the plate")
def _(s: Shot) -> tuple[list[str], list[str]]:
    return s.restore("--frames", "990-1002"), ["990"]


@case("restore: unreadable frame range")
def _(s: Shot) -> tuple[list[str], list[str]]:
    return s.restore("--frames", "a-b"), ["a-b"]


@case("clarity: unknown scale")
def _(s: Shot) -> tuple[list[str], list[str]]:
    return ["clarity", s.grey, "-o", s.out, "--scale", "3"], ["scale", "3"]


@case("clarity: unknown model")
def _(s: Shot) -> tuple[list[str], list[str]]:
    return ["clarity", s.grey, "-o", s.out, "--model", "no-such-model"], ["no-such-model"]


# -- info --------------------------------------------------------------------------------------


@case("info: no frames")
def _(s: Shot) -> tuple[list[str], list[str]]:
    return ["info", str(s.root / "nothing" / "shot.####.exr")], ["nothing"]


@case("info: truncated frame")
def _(s: Shot) -> tuple[list[str], list[str]]:
    path = s.grey_frame(1005)
    path.write_bytes(path.read_bytes()[:-300])
    return ["info", s.grey], ["shot.1005.exr", "frame 1005"]


@case("info: a PNG named .exr")
def _(s: Shot) -> tuple[list[str], list[str]]:
    s.grey_frame(1003).write_bytes(png_bytes())
    return ["info", s.grey], ["shot.1003.exr", "frame 1003", "png"]


@case("info: resolution change")
def _(s: Shot) -> tuple[list[str], list[str]]:
    write_exr(s.grey_frame(1004), grey_image(24, 32), ["R", "G", "B"])
    return ["info", s.grey], ["shot.1004.exr", "frame 1004", "32x24"]


@case("info: OCIO config not found")
def _(s: Shot) -> tuple[list[str], list[str]]:
    return ["info", s.grey, "--ocio", str(s.root / "none.ocio")], ["none.ocio"]


# -- submit ------------------------------------------------------------------------------------


@case("submit: no farm or bundle")
def _(s: Shot) -> tuple[list[str], list[str]]:
    return ["submit", *s.colorize()], ["--farm", "--bundle"]


@case("submit: bundle names an existing file")
def _(s: Shot) -> tuple[list[str], list[str]]:
    (s.root / "bundle.txt").write_text("notes")
    return ["submit", *s.colorize(), "--farm", "openjd", "--bundle", str(s.root / "bundle.txt")], ["bundle.txt"]


@case("submit: unknown node command")
def _(s: Shot) -> tuple[list[str], list[str]]:
    return ["submit", "restyle", s.grey, "-o", s.out, "--farm", "openjd", "--bundle", str(s.root / "b")], ["restyle"]


@case("submit: --run-locally for another farm")
def _(s: Shot) -> tuple[list[str], list[str]]:
    return ["submit", *s.colorize(), "--farm", "opencue", "--bundle", str(s.root / "b"), "--run-locally"], ["opencue"]


@case("submit: chunk size below 1")
def _(s: Shot) -> tuple[list[str], list[str]]:
    return ["submit", *s.colorize(), "--farm", "openjd", "--bundle", str(s.root / "b"), "--chunk-size", "0"], ["0"]


@case("submit: step with a bad parameter")
def _(s: Shot) -> tuple[list[str], list[str]]:
    return ["submit", *s.colorize("--fill-radius", "-3"), "--farm", "openjd", "--bundle", str(s.root / "b")], ["-3"]


@case("submit: frames outside the plate")
def _(s: Shot) -> tuple[list[str], list[str]]:
    return ["submit", *s.colorize("--frames", "3000-3001"), "--farm", "openjd", "--bundle", str(s.root / "b")], ["3000"]


@case("submit: --then with no step after it")
def _(s: Shot) -> tuple[list[str], list[str]]:
    return ["submit", *s.colorize(), "--then", "--farm", "openjd", "--bundle", str(s.root / "b")], ["--then"]


@case("submit: a step writing over an input")
def _(s: Shot) -> tuple[list[str], list[str]]:
    argv = ["colorize", s.grey, "--keyframes", s.keys, "-o", s.keys]
    return ["submit", *argv, "--farm", "openjd", "--bundle", str(s.root / "b")], ["shot.####.exr"]


# -- models ------------------------------------------------------------------------------------


@case("models: info on an unknown model")
def _(s: Shot) -> tuple[list[str], list[str]]:
    return ["models", "info", "no-such-model"], ["no-such-model"]


@case("models: import a file that does not exist")
def _(s: Shot) -> tuple[list[str], list[str]]:
    return ["models", "import", str(s.root / "weights.safetensors")], ["weights.safetensors"]


@case("models: import a pickle without --allow-pickle")
def _(s: Shot) -> tuple[list[str], list[str]]:
    (s.root / "weights.pth").write_bytes(b"\x80\x04pickled")
    return ["models", "import", str(s.root / "weights.pth")], ["weights.pth", "--allow-pickle"]


@case("models: import a file that is not safetensors")
def _(s: Shot) -> tuple[list[str], list[str]]:
    (s.root / "weights.safetensors").write_text("not weights")
    return ["models", "import", str(s.root / "weights.safetensors")], ["weights.safetensors"]


@case("models: export an unknown model")
def _(s: Shot) -> tuple[list[str], list[str]]:
    return ["models", "export", "no-such-model", "--torchscript", str(s.root / "m.pt")], ["no-such-model"]


# -- the checks --------------------------------------------------------------------------------


def snapshot(root: Path) -> dict[Path, str]:
    return {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*")) if p.is_file()}


def test_there_are_at_least_40_kinds() -> None:
    assert len(CASES) >= 40


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TINCT_MODELS", str(tmp_path / "models"))
    shot = Shot(write_shot(tmp_path / "shot", make_frames(6), keys=[0, 5]))
    argv, names = CASES[name](shot)
    before = snapshot(tmp_path)
    try:
        code = main(argv)
    except SystemExit as exit_:  # argparse: a usage error
        code = exit_.code
    finally:
        writable_again(tmp_path)
    err = capsys.readouterr().err
    assert code == 2, f"exit code {code}\n{err}"
    assert "Traceback" not in err
    for text in names:
        assert text in err, f"the message does not name {text!r}:\n{err}"
    assert "repair:" in err or "usage:" in err, f"the message does not say how to repair:\n{err}"
    after = snapshot(tmp_path)
    changed = [str(p) for p, digest in before.items() if after.get(p) != digest]
    assert not changed, f"files changed or removed: {changed}"
    for path in sorted(set(after) - set(before)):
        assert not path.name.startswith("."), f"debris left: {path}"
        read_image(path)  # a new file is a complete frame
    left = [p for p in tmp_path.rglob(".*") if p not in before]
    assert not left, f"hidden files or folders left: {left}"
