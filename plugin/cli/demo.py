"""`tinct demo`: colourise a built-in sample shot from two keyframes, with a before/after sheet.

Needs nothing beyond the package: a virtual camera and moving cut-outs over a bundled photograph
make a 48-frame shot whose true colour is known; its grey version is coloured from the first and
last frames, and the result is scored against the truth.
"""

from __future__ import annotations

import argparse
import sys
from importlib.resources import files
from pathlib import Path

import cv2
import numpy as np

from tinct.core.chroma import luminance
from tinct.core.colour import ColourManager
from tinct.core.imageio import read_image, write_exr
from tinct.core.keyframe_colorize import ColorizeRequest, KeyframeColorizeJob, OutputOptions
from tinct.core.sequence import parse_sequence
from tinct.core.synthetic import ShotSpec, SyntheticShot, load_photo
from tinct.nodes.keyframe_colorize import KEYFRAME_COLORIZE, propagation_settings

FIRST, FRAMES, WIDTH, HEIGHT = 1001, 48, 640, 360
SHEET_FRAMES = (1001, 1012, 1024, 1036)


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("demo", help="colourise a built-in sample shot (no data needed)")
    parser.add_argument(
        "--out", metavar="DIR", default="tinct-demo", help="folder for the demo (default: ./tinct-demo)"
    )
    parser.set_defaults(run=run)


def log(text: str) -> None:
    print(f"tinct demo: {text}", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    out = Path(args.out).resolve()
    colour = ColourManager()
    truth = _make_shot(colour)
    grey_pattern, keys_pattern, colour_pattern = (out / d / "shot.####.exr" for d in ("grey", "keyframes", "colour"))
    _write_inputs(colour, truth, grey_pattern, keys_pattern)
    values = KEYFRAME_COLORIZE.resolve({})
    request = ColorizeRequest(
        source=parse_sequence(grey_pattern),
        keyframes=parse_sequence(keys_pattern),
        output=parse_sequence(colour_pattern),
        settings=propagation_settings(values),
        output_options=OutputOptions(),
        params=dict(values),
    )
    KeyframeColorizeJob(request, log=log).run()
    sheet = out / "before_after.png"
    score = _contact_sheet(colour, truth, grey_pattern, colour_pattern, sheet)
    print(f"""
Tinct demo: a 48-frame grey shot ({WIDTH}x{HEIGHT}, ACEScg EXR) coloured from 2 keyframes (frames {FIRST} and {FIRST + FRAMES - 1}).
  grey input:   {grey_pattern}
  keyframes:    {keys_pattern}
  colour out:   {colour_pattern}  (RGB + colorize.confidence AOV)
  before/after: {sheet}
  quality vs the true colour on the 46 in-between frames: PSNR {score:.2f} dB (sRGB)
Try it on your own shot (a grey plate, and a few of its frames painted in colour as keyframes):
  tinct colorize plates/sh010.####.exr --keyframes paint/sh010.####.exr -o colour/sh010.####.exr
""")
    return 0


def _make_shot(colour: ColourManager) -> SyntheticShot:
    photo = load_photo(Path(str(files("tinct.core") / "samples" / "fruits.jpg")))
    background = colour.convert(photo, "Linear Rec.709 (sRGB)", colour.working_space)
    return SyntheticShot(background, ShotSpec(width=WIDTH, height=HEIGHT, frames=FRAMES, seed=3, objects=2))


def _write_inputs(colour: ColourManager, shot: SyntheticShot, grey: Path, keys: Path) -> None:
    weights = colour.luminance_weights()
    attributes = {"oiio:ColorSpace": colour.interop_id(colour.working_space) or ""}
    for index in range(FRAMES):
        frame = FIRST + index
        path = Path(str(grey).replace("####", f"{frame:04d}"))
        rgb = shot.frame(index)
        if not path.exists():  # a rerun of the demo resumes instead of starting over
            y = luminance(rgb, weights).astype(np.float32)
            write_exr(path, np.repeat(y[..., None], 3, -1), ["R", "G", "B"], attributes=attributes)
        key_path = Path(str(keys).replace("####", f"{frame:04d}"))
        if index in (0, FRAMES - 1) and not key_path.exists():
            write_exr(key_path, rgb, ["R", "G", "B"], attributes=attributes)


def _display(colour: ColourManager, rgb: np.ndarray) -> np.ndarray:
    return np.clip(colour.convert(rgb, colour.working_space, "sRGB Encoded Rec.709 (sRGB)"), 0.0, 1.0)


def _contact_sheet(colour: ColourManager, shot: SyntheticShot, grey: Path, result: Path, sheet: Path) -> float:
    """Write rows of grey | Tinct | truth; return mean PSNR over the frames between the keyframes."""
    errors = []
    for index in range(1, FRAMES - 1):
        frame = FIRST + index
        ours = _display(colour, read_image(Path(str(result).replace("####", f"{frame:04d}"))).rgb())
        errors.append(np.mean((ours - _display(colour, shot.frame(index))) ** 2))
    rows = []
    for frame in SHEET_FRAMES:
        index = frame - FIRST
        tiles = [
            _display(colour, read_image(Path(str(path).replace("####", f"{frame:04d}"))).rgb())
            for path in (grey, result)
        ] + [_display(colour, shot.frame(index))]
        tiles = [np.ascontiguousarray((tile[..., ::-1] * 255 + 0.5).astype(np.uint8)) for tile in tiles]
        for tile, label in zip(tiles, ("grey input", f"Tinct, frame {frame}", "true colour")):
            cv2.putText(tile, label, (10, 28), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (255, 255, 255), 2, cv2.LINE_AA)
        rows.append(np.concatenate(tiles, axis=1))
    image = np.concatenate(rows, axis=0)
    sheet.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(sheet), image)
    return float(10 * np.log10(1.0 / np.mean(errors)))
