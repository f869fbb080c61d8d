"""Chroma as a ratio to luminance, the representation every colouriser in Tinct works in.

A scene-linear RGB pixel is split into its luminance ``Y = w . RGB`` and its chroma ratio
``c = RGB / Y`` (so ``w . c == 1``). Recolouring a grey frame is then ``Y_source * c``: the output
luminance is the source's exactly, whatever ``c`` is, and ``c == (1, 1, 1)`` gives back a neutral
source untouched. The ratio is exposure-invariant, so a keyframe graded brighter or darker than
the plate gives the same chroma.
"""

from __future__ import annotations

import numpy as np

# Below this linear luminance a pixel's ratio is dominated by noise; the offset pulls it to neutral.
DARK_OFFSET = 1e-3


def luminance(rgb: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """(..., 3) scene-linear RGB -> (...) luminance with the colour space's Y weights."""
    return np.einsum("...c,c->...", rgb, weights.astype(rgb.dtype, copy=False))


def chroma_ratio(rgb: np.ndarray, weights: np.ndarray, dark_offset: float = DARK_OFFSET) -> np.ndarray:
    """(..., 3) scene-linear RGB -> (..., 3) float32 chroma ratio; dark and negative pixels go neutral."""
    rgb = np.asarray(rgb, dtype=np.float32)
    y = luminance(rgb, weights)[..., None]
    positive = np.maximum(rgb, 0.0) + dark_offset
    ratio = positive / np.maximum(luminance(positive, weights)[..., None], 1e-12)
    # Pixels at or below zero luminance carry no usable chroma.
    return np.where(y > 0, ratio, 1.0).astype(np.float32)


def apply_chroma(y: np.ndarray, ratio: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Luminance (...) and chroma ratio (..., 3) -> scene-linear RGB whose luminance is exactly ``y``.

    The ratio is renormalised so that ``w . c == 1`` even after blending or filtering.
    """
    ratio = np.asarray(ratio, dtype=np.float32)
    norm = luminance(ratio, weights)[..., None]
    ratio = np.where(norm > 1e-6, ratio / np.maximum(norm, 1e-6), 1.0)
    return (y[..., None] * ratio).astype(np.float32)
