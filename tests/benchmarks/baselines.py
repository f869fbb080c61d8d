"""The three keyframe-propagation baselines of docs/FIELD.md, as streaming colourisers.

Each baseline is called as ``baseline(grey_frames, keyframes, weights)`` and yields
``(index, rgb)`` in the order the frames came:

- ``grey_frames``: iterable of ``(index, y)``, ``y`` an (H, W) float32 scene-linear luminance
  (ACEScg weights), in increasing frame order;
- ``keyframes``: ``{index: (H, W, 3) float32 scene-linear ACEScg}``, the true colour of those frames;
- ``weights``: (3,) luminance weights of ACEScg (``ColourManager.luminance_weights()``);
- output ``rgb``: (H, W, 3) float32 scene-linear ACEScg ``apply_chroma(y, ratio, weights)``, so its
  luminance is the grey frame's exactly; only the chroma ratio (:mod:`tinct.core.chroma`) differs.

At a keyframe index the output is the keyframe's chroma ratio on the grey luminance; with the grey
made from the keyframe, that is the keyframe itself up to the ratio's dark offset ``e``
(``DARK_OFFSET``): each channel ``c`` of a pixel of luminance ``Y`` comes out off by
``e (Y - c) / (Y + e)``, negligible except in dark, saturated pixels.

Memory does not grow with the shot: one frame at a time, except :class:`FlowChain`'s leading
segment (frames before the first keyframe), which is buffered to be chained backwards.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

import cv2
import numpy as np

from tinct.core.chroma import apply_chroma, chroma_ratio

Frames = Iterable[tuple[int, np.ndarray]]
Keyframes = Mapping[int, np.ndarray]
Output = Iterator[tuple[int, np.ndarray]]


class Grey:
    """No colour: chroma ratio (1, 1, 1), so the output is the grey frame on all three channels."""

    name = "grey"

    def __call__(self, grey_frames: Frames, keyframes: Keyframes, weights: np.ndarray) -> Output:
        w = _check_weights(weights)
        neutral = np.ones(3, dtype=np.float32)
        for index, y in grey_frames:
            yield index, apply_chroma(_check_grey(index, y, None), neutral, w)


class HoldNearestKey:
    """The chroma ratio of the nearest keyframe (by frame distance, ties to the earlier), held still.

    Raises:
        ValueError: no keyframes, or a frame's size differs from the keyframes'.
    """

    name = "hold-nearest-key"

    def __call__(self, grey_frames: Frames, keyframes: Keyframes, weights: np.ndarray) -> Output:
        w = _check_weights(weights)
        shape = _check_keyframes(keyframes)
        keys = sorted(keyframes)
        held_key, held_ratio = None, None
        for index, y in grey_frames:
            y = _check_grey(index, y, shape)
            nearest = min(keys, key=lambda k: (abs(k - index), k))
            if nearest != held_key:
                held_key, held_ratio = nearest, chroma_ratio(keyframes[nearest], w)
            yield index, apply_chroma(y, held_ratio, w)


class FlowChain:
    """Chain the previous frame's chroma ratio through dense optical flow, from the last keyframe.

    At a keyframe the ratio is the keyframe's. Any other frame takes the previous frame's ratio,
    warped by OpenCV DIS flow (``DISOPTICAL_FLOW_PRESET_MEDIUM``, full resolution) computed from the
    current frame to the previous one on 8-bit sRGB-encoded luminance, gathered with ``cv2.remap``
    (bilinear, replicated border). Frames before the first keyframe of the stream are buffered and
    chained backwards from it (flow from each frame to the next), then emitted in order; they
    hold an (H, W) float32 luminance and an (H, W) uint8 guide per leading frame, and their
    (H, W, 3) float32 outputs while those are emitted. This is the field's
    standard baseline, kept deliberately plain: no occlusion handling, no confidence.

    Raises:
        ValueError: no keyframes, no keyframe among the frames, or a frame's size differs.
    """

    name = "flow-chain"

    def __call__(self, grey_frames: Frames, keyframes: Keyframes, weights: np.ndarray) -> Output:
        w = _check_weights(weights)
        shape = _check_keyframes(keyframes)
        dis = cv2.DISOpticalFlow.create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
        grid = _pixel_grid(*shape)
        leading: list[tuple[int, np.ndarray, np.ndarray]] = []
        previous: tuple[np.ndarray, np.ndarray] | None = None  # the last frame's (guide, ratio)
        for index, y in grey_frames:
            y = _check_grey(index, y, shape)
            guide = _flow_guide(y)
            if index in keyframes:
                ratio = chroma_ratio(keyframes[index], w)
            elif previous is None:
                leading.append((index, y, guide))
                continue
            else:
                ratio = _warp(previous[1], _flow(dis, guide, previous[0]), grid)
            if leading:
                yield from _chain_backward(leading, guide, ratio, dis, grid, w)
                leading = []
            yield index, apply_chroma(y, ratio, w)
            previous = guide, ratio
        if leading:
            raise ValueError(
                f"no keyframe among frames {leading[0][0]}..{leading[-1][0]}; keyframes are {sorted(keyframes)}"
            )


def _chain_backward(
    leading: list[tuple[int, np.ndarray, np.ndarray]],
    next_guide: np.ndarray,
    next_ratio: np.ndarray,
    dis: cv2.DISOpticalFlow,
    grid: np.ndarray,
    weights: np.ndarray,
) -> Output:
    """Chain ``next_ratio`` backwards over the buffered ``(index, y, guide)`` frames; yield in order."""
    outputs = []
    for index, y, guide in reversed(leading):
        next_ratio = _warp(next_ratio, _flow(dis, guide, next_guide), grid)
        next_guide = guide
        outputs.append((index, apply_chroma(y, next_ratio, weights)))
    yield from reversed(outputs)


def _flow_guide(y: np.ndarray) -> np.ndarray:
    """(H, W) linear luminance -> (H, W) uint8 sRGB-encoded, clipped to [0, 1] and scaled by 255.

    Pinned here (not shared with the product's flow module) so the baseline never changes.
    """
    y = np.clip(y, 0.0, 1.0)
    encoded = np.where(y <= 0.0031308, 12.92 * y, 1.055 * np.power(y, 1.0 / 2.4) - 0.055)
    return np.rint(encoded * 255.0).astype(np.uint8)


def _flow(dis: cv2.DISOpticalFlow, target: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """(H, W, 2) float32 backward flow: pixel (x, y) of ``target`` is at (x, y) + flow in ``reference``."""
    # None lets DIS allocate the output (OpenCV's stubs omit it; a passed array changes the result).
    return dis.calc(target, reference, None)  # type: ignore[call-overload]


def _pixel_grid(height: int, width: int) -> np.ndarray:
    """(H, W, 2) float32 pixel-centre coordinates (x, y)."""
    xs, ys = np.meshgrid(np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32))
    return np.dstack([xs, ys])


def _warp(ratio: np.ndarray, flow: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Gather (H, W, 3) ``ratio`` at ``grid + flow`` (backward flow, (H, W, 2) pixels)."""
    coords = grid + flow
    return cv2.remap(ratio, coords[..., 0], coords[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def _check_weights(weights: np.ndarray) -> np.ndarray:
    w = np.asarray(weights, dtype=np.float32)
    if w.shape != (3,):
        raise ValueError(f"expected (3,) luminance weights, got shape {w.shape}")
    return w


def _check_keyframes(keyframes: Keyframes) -> tuple[int, int]:
    """Validate the keyframes; returns their common (H, W)."""
    if not keyframes:
        raise ValueError("this baseline needs at least one keyframe")
    shapes = {np.shape(rgb) for rgb in keyframes.values()}
    shape = next(iter(shapes))
    if len(shapes) != 1 or len(shape) != 3 or shape[2] != 3:
        raise ValueError(f"expected keyframes of one (H, W, 3) shape, got {sorted(shapes)}")
    return shape[0], shape[1]


def _check_grey(index: int, y: np.ndarray, shape: tuple[int, int] | None) -> np.ndarray:
    y = np.asarray(y, dtype=np.float32)
    if y.ndim != 2 or (shape is not None and y.shape != shape):
        expected = "(H, W)" if shape is None else f"{shape} like the keyframes"
        raise ValueError(f"frame {index}: expected grey luminance of shape {expected}, got {y.shape}")
    return y
