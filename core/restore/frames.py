"""One source frame prepared for restoration, and the motion between two prepared frames.

Restoration measures and repairs in one *signal*: ``v = sqrt(max(Y, 0))`` of the scene-linear
luminance ``Y``. The square root is close to a perceptual encoding (mid grey 0.18 -> 0.42, like
sRGB's 0.46), roughly evens out film grain's signal dependence, costs one instruction and inverts
exactly (``Y = v ** 2``), so a repair goes back to scene-linear as a luminance change that is zero
wherever ``v`` was not changed. Values above 1.0 stay above 1.0.

Motion is DIS optical flow on uint8 guides at a working scale (long side <= ``flow_max_side``):
``flow[y, x] = (dx, dy)`` finds pixel (x, y) of the *target* at (x + dx, y + dy) in the reference.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from tinct.core.flow import FlowEstimator, forward_backward_error, identity_grid, inside
from tinct.core.source import SourceFrame

# Infrared channel names scanners write (the "digital wet gate" of PFClean and DRS Nova).
INFRARED_NAMES = ("IR", "ir", "infrared", "Infrared", "IR.I")


def signal(luminance: np.ndarray) -> np.ndarray:
    """(H, W) scene-linear luminance -> (H, W) float32 restoration signal ``sqrt(max(Y, 0))``."""
    return cv2.sqrt(np.maximum(luminance, 0.0).astype(np.float32, copy=False))


@dataclass
class Plate:
    """A frame as restoration sees it. ``source`` is kept until the frame is written."""

    frame: int
    source: SourceFrame
    v: np.ndarray               # (H, W) float32 restoration signal
    small: np.ndarray           # (h, w) float32 ``v`` at the working scale (area filtered)
    guide: np.ndarray           # (h, w) uint8 flow guide
    infrared: np.ndarray | None  # (H, W) float32 defect opacity from an infrared channel, or None


class Geometry:
    """Full and working sizes of a shot, and conversions between them."""

    def __init__(self, height: int, width: int, flow_max_side: int) -> None:
        self.height, self.width = height, width
        scale = min(1.0, flow_max_side / max(height, width))
        self.small_size = (max(8, round(width * scale)), max(8, round(height * scale)))  # (w, h)
        self.small_shape = (self.small_size[1], self.small_size[0])
        self._grid = identity_grid(height, width)

    def shrink(self, image: np.ndarray) -> np.ndarray:
        return cv2.resize(image, self.small_size, interpolation=cv2.INTER_AREA)

    def enlarge(self, small: np.ndarray, interpolation: int = cv2.INTER_LINEAR) -> np.ndarray:
        """A working-scale field (values, not coordinates) at full size."""
        return cv2.resize(small, (self.width, self.height), interpolation=interpolation)

    def full_map(self, flow: np.ndarray) -> np.ndarray:
        """(h, w, 2) working-scale flow -> (H, W, 2) float32 absolute full-size sampling coordinates."""
        full = cv2.resize(flow, (self.width, self.height), interpolation=cv2.INTER_LINEAR)
        full[..., 0] *= self.width / flow.shape[1]
        full[..., 1] *= self.height / flow.shape[0]
        full += self._grid
        return full


def prepare(frame: int, source: SourceFrame, geometry: Geometry, infrared: str, infrared_threshold: float) -> Plate:
    """Build the :class:`Plate` of one frame (thread-safe: runs in the reader pool)."""
    v = signal(source.luminance)
    small = geometry.shrink(v)
    guide = (np.clip(small, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    channel = infrared_channel(source.image.channels, infrared)
    opacity = None
    if channel is not None:
        opacity = infrared_opacity(source.image.pixels[..., source.image.index(channel)], infrared_threshold)
    return Plate(frame, source, v, small, guide, opacity)


def infrared_channel(channels: list[str], wanted: str) -> str | None:
    """The channel holding a scanner's infrared pass: ``wanted`` by name, any known name for 'auto', '' for none."""
    if not wanted:
        return None
    if wanted == "auto":
        return next((c for c in INFRARED_NAMES if c in channels), None)
    return wanted if wanted in channels else None


def infrared_opacity(infrared: np.ndarray, threshold: float) -> np.ndarray:
    """(H, W) infrared transmission -> (H, W) float32 defect opacity in [0, 1].

    Dyes are transparent to infrared, dust and scratches are not: where the transmission drops
    more than ``threshold`` below the clean film's (the 90th percentile), the opacity ramps to 1 at
    twice that drop. (Silver in black-and-white film blocks infrared too, so this needs colour stock.)
    """
    infrared = infrared.astype(np.float32, copy=False)
    reference = max(float(np.percentile(infrared[::4, ::4], 90)), 1e-6)
    drop = 1.0 - infrared / reference
    opacity = np.clip((drop - threshold) / max(threshold, 1e-6), 0.0, 1.0)
    return cv2.dilate(opacity, np.ones((3, 3), np.uint8))


@dataclass
class Motion:
    """Flows between a target frame and a reference frame, both directions, at the working scale."""

    to_reference: np.ndarray    # (h, w, 2): target pixel -> position in the reference
    to_target: np.ndarray       # (h, w, 2): reference pixel -> position in the target

    @classmethod
    def measure(cls, flow: FlowEstimator, target: Plate, reference: Plate) -> Motion:
        return cls(flow(target.guide, reference.guide), flow(reference.guide, target.guide))

    def reversed(self) -> Motion:
        return Motion(self.to_target, self.to_reference)

    def consistency(self, tolerance: float) -> np.ndarray:
        """(h, w) float32 in [0, 1]: 1 where the target pixel is seen in the reference (no occlusion)."""
        error = forward_backward_error(self.to_reference, self.to_target)
        h, w = error.shape
        limit = tolerance + 0.05 * np.linalg.norm(self.to_reference, axis=-1)
        reach = np.clip(2.0 - error / limit, 0.0, 1.0)
        return (reach * inside(identity_grid(h, w) + self.to_reference, h, w)).astype(np.float32)
