"""Tiny moving scenes (64x48) for the restore tests, made at test time."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from tinct.core.imageio import Image, write_exr
from tinct.core.source import SourceFrame

ATTRIBUTES = {"oiio:ColorSpace": "lin_ap1_scene"}
WEIGHTS = np.array([0.2722, 0.6741, 0.0537], np.float32)  # ACEScg luminance weights, rounded


def scene(
    count: int, width: int = 64, height: int = 48, pan: int = 1, seed: int = 1, blur: float = 1.5
) -> list[np.ndarray]:
    """``count`` (height, width) float32 luminance frames of a smooth random texture panning ``pan`` px/frame."""
    rng = np.random.default_rng(seed)
    big = rng.random((height + 8, width + pan * count + 8)).astype(np.float32)
    big = cv2.GaussianBlur(big, (0, 0), blur)
    big = 0.03 + 0.5 * (big - big.min()) / (big.max() - big.min())
    return [np.ascontiguousarray(big[4 : 4 + height, 4 + pan * t : 4 + pan * t + width]) for t in range(count)]


def grainy(frames: Sequence[np.ndarray], sigma: float, seed: int = 2) -> list[np.ndarray]:
    """Frames with grain of std ``sigma`` in the square-root signal."""
    rng = np.random.default_rng(seed)
    out = []
    for y in frames:
        v = np.sqrt(np.maximum(y, 0)) + rng.normal(0, sigma, y.shape).astype(np.float32)
        out.append((np.sign(v) * v * v).astype(np.float32))
    return out


def source(rgb: np.ndarray, channels: Sequence[str] = ("R", "G", "B")) -> SourceFrame:
    """An in-memory source frame of (H, W, C) pixels whose first three channels are ACEScg RGB."""
    import OpenImageIO as oiio

    pixels = np.ascontiguousarray(rgb, dtype=np.float32)
    image = Image(
        pixels,
        list(channels),
        oiio.ImageSpec(pixels.shape[1], pixels.shape[0], pixels.shape[2], "float"),
        Path("memory.exr"),
    )
    working = np.ascontiguousarray(pixels[..., :3])
    return SourceFrame(image, working, (working @ WEIGHTS).astype(np.float32))


def grey_rgb(y: np.ndarray) -> np.ndarray:
    return np.repeat(y[..., None], 3, axis=-1)


def write_sequence(
    folder: Path, frames: Sequence[np.ndarray], first: int = 1001, channels: Sequence[str] = ("R", "G", "B")
) -> str:
    """Write (H, W) grey frames (or (H, W, C) pixels with ``channels``) as float EXRs; returns the pattern."""
    for i, frame in enumerate(frames):
        pixels = grey_rgb(frame) if frame.ndim == 2 else frame
        write_exr(
            folder / f"shot.{first + i:04d}.exr", pixels, list(channels), pixel_type="float", attributes=ATTRIBUTES
        )
    return str(folder / "shot.####.exr")
