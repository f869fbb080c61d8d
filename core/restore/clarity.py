"""Clarity, the last step of a restore: resolution enhancement of the restored frames.

The engine only needs an :class:`Upscaler`, a callable that takes a scene-linear working-space frame
and returns it ``scale`` times larger, still scene-linear (the networks and how they keep values
above 1.0 live in :mod:`tinct.models.upscale`, which the node layer loads). Everything else a
written frame carries is enlarged here: extra channels (alpha, AOVs) and the defect matte
bilinearly, and the data and display windows of the header.
"""

from __future__ import annotations

from typing import Protocol

import cv2
import numpy as np
import OpenImageIO as oiio


class Upscaler(Protocol):
    """Scene-linear (H, W, 3) float32 -> (scale*H, scale*W, 3) float32."""

    @property
    def scale(self) -> int: ...

    def __call__(self, linear: np.ndarray) -> np.ndarray: ...


def enlarge(channels: np.ndarray, scale: int) -> np.ndarray:
    """(H, W, C) float32 channels -> (scale*H, scale*W, C), bilinear with half-pixel centres."""
    if scale == 1:
        return channels
    height, width = channels.shape[:2]
    big = cv2.resize(channels, (width * scale, height * scale), interpolation=cv2.INTER_LINEAR)
    return big.reshape(height * scale, width * scale, -1)


def scaled_spec(spec: oiio.ImageSpec, scale: int) -> oiio.ImageSpec:
    """A copy of a header with its data and display windows ``scale`` times larger."""
    out = oiio.ImageSpec(spec)
    for name in ("width", "height", "x", "y", "full_width", "full_height", "full_x", "full_y"):
        setattr(out, name, getattr(spec, name) * scale)
    return out
