"""Dense optical flow (OpenCV DIS) and the warping helpers built on it.

Flow fields are (H, W, 2) float32 in pixels, ``flow[y, x] = (dx, dy)``: the pixel (x, y) of the
*target* frame is found at (x + dx, y + dy) in the *reference* frame (a backward map, so warping is
a gather with ``cv2.remap``). Flow is computed at a reduced working scale and returned at full size.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import cv2
import numpy as np

# DIS settings by name: an OpenCV preset; the finest pyramid level the field is found at where it
# differs from the preset's (0: the full working size, 1: half of it, 2: a quarter); and the
# fixed-point iterations of a variational refinement at the full working size after it (0: none).
PRESETS = {
    "ultrafast": (cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST, None, 0),
    "fast": (cv2.DISOPTICAL_FLOW_PRESET_FAST, None, 0),
    # Fast's patch search down to medium's finest level: on grainy footage the field found at a
    # quarter of the working size misplaces fine detail (restore: +0.4 dB on real clips), and
    # medium's denser search adds nothing to that. About 4x fast's time, 0.7x medium's.
    "balanced": (cv2.DISOPTICAL_FLOW_PRESET_FAST, 1, 0),
    # Balanced, refined once more at the full working size, where DIS itself stops at half of it
    # and enlarges: the field places fine detail closer (restore's neighbours are averaged more in
    # register: +0.07 dB on the nine real clips, each gaining 0.01 to 0.15). Two iterations: on
    # those clips' first 30 frames 1 gave +0.04, 2 +0.07, 5 +0.10 for twice 2's time. About 1.7x
    # balanced's time (restore's whole time +5 %).
    "refined": (cv2.DISOPTICAL_FLOW_PRESET_FAST, 1, 2),
    "medium": (cv2.DISOPTICAL_FLOW_PRESET_MEDIUM, None, 0),
}


def srgb_encode(linear: np.ndarray) -> np.ndarray:
    """The sRGB transfer function, unclamped above 1 and odd-symmetric below 0."""
    a = np.abs(linear)
    encoded = np.where(a <= 0.0031308, a * 12.92, 1.055 * np.power(a, 1 / 2.4) - 0.055)
    return (np.sign(linear) * encoded).astype(np.float32)


def srgb_decode(encoded: np.ndarray) -> np.ndarray:
    """Inverse of :func:`srgb_encode`: unclamped, odd-symmetric below 0."""
    a = np.abs(encoded)
    linear = np.where(a <= 0.04045, a / 12.92, np.power((a + 0.055) / 1.055, 2.4))
    return (np.sign(encoded) * linear).astype(np.float32)


def flow_guide(luminance: np.ndarray) -> np.ndarray:
    """(H, W) scene-linear luminance -> (H, W) uint8 perceptual image for flow estimation."""
    return (np.clip(srgb_encode(luminance), 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


@functools.lru_cache(maxsize=8)
def identity_grid(height: int, width: int) -> np.ndarray:
    """(H, W, 2) float32 absolute pixel coordinates (x, y), read-only: one per size, made once (a
    walk needs it several times a frame)."""
    xs, ys = np.meshgrid(np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32))
    grid = np.dstack([xs, ys])
    grid.flags.writeable = False
    return grid


def warp(image: np.ndarray, coords: np.ndarray, border_value: float = 0.0) -> np.ndarray:
    """Gather ``image`` at absolute coordinates (H, W, 2); outside samples take ``border_value``."""
    return cv2.remap(
        image,
        coords[..., 0],
        coords[..., 1],
        cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=border_value,
    )


def inside(coords: np.ndarray, height: int, width: int) -> np.ndarray:
    """(H, W) bool: which absolute coordinates (H, W, 2) fall inside a height x width image (a host
    array, or a torch tensor on its device)."""
    if isinstance(coords, np.ndarray) and coords.dtype == np.float32:
        # One pass of OpenCV over both channels (NaN falls outside, as with comparisons): 2.5 times
        # the speed of four comparisons of strided channels.
        return cv2.inRange(coords, (0.0, 0.0), (width - 1.0, height - 1.0)) != 0
    return inside_points(coords[..., 0], coords[..., 1], height, width)


def inside_points(x: np.ndarray, y: np.ndarray, height: int, width: int) -> np.ndarray:
    """Bool, per point: which positions ``x``, ``y`` (same shape) fall inside a height x width image."""
    return (x >= 0) & (x <= width - 1) & (y >= 0) & (y <= height - 1)


def compose(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """The flow ``first`` (frame A -> B) followed by ``second`` (B -> C): the flow A -> C, (H, W, 2)
    at one scale. ``second`` is read bilinearly where ``first`` lands (at the nearest edge pixel
    where that is outside the frame)."""
    h, w = first.shape[:2]
    # The map as one two-channel array: OpenCV copies the strided channels of an (H, W, 2) array
    # each time it is given one.
    chained = cv2.remap(second, identity_grid(h, w) + first, None, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    chained += first
    return chained


def magnitude(vectors: np.ndarray) -> np.ndarray:
    """(H, W) float32 length of (H, W, 2) float32 vectors, each of numpy's multiplies, adds and
    square roots rounded once, so that a length depends on its vector alone, not on the array's
    layout or address: ``cv2.magnitude`` gave lengths a last bit apart for the same vectors from
    one call to the next, which broke a chunked render's equality with a whole one."""
    x, y = vectors[..., 0], vectors[..., 1]
    squared = x * x
    squared += y * y
    return np.sqrt(squared, out=squared)


def forward_backward_error(flow: np.ndarray, back: np.ndarray) -> np.ndarray:
    """(H, W) consistency error of ``flow`` (target -> reference) against ``back`` (reference -> target).

    For a pixel visible in both frames, following ``flow`` then ``back`` returns to where it
    started; a large error marks occlusions and unreliable flow.
    """
    return magnitude(compose(flow, back))


class Motion:
    """Flows between a target frame and a reference frame, both directions, at one scale."""

    def __init__(self, to_reference: np.ndarray, to_target: np.ndarray) -> None:
        self.to_reference = to_reference  # (h, w, 2): target pixel -> position in the reference
        self.to_target = to_target  # (h, w, 2): reference pixel -> position in the target
        self._consistency: dict[float, np.ndarray] = {}

    def reversed(self) -> Motion:
        """The same motion with the roles of the two frames swapped."""
        return Motion(self.to_target, self.to_reference)

    def then(self, onward: Motion) -> Motion:
        """This motion followed by ``onward`` (from this motion's reference into a further frame):
        the motion between this target and that frame, each direction chained (:func:`compose`)."""
        return Motion(compose(self.to_reference, onward.to_reference), compose(onward.to_target, self.to_target))

    def consistency(self, tolerance: float) -> np.ndarray:
        """(h, w) float32 in [0, 1]: how well the flows both ways agree at each target pixel.

        Following the flow there and back returns near the start where the pixel is seen in both
        frames; agreement falls from 1 to 0 as the error grows from ``tolerance`` (plus 5 % of the
        motion) to twice that. Computed once per tolerance.
        """
        if tolerance not in self._consistency:
            error = forward_backward_error(self.to_reference, self.to_target)
            limit = magnitude(self.to_reference)
            limit *= np.float32(0.05)
            limit += np.float32(tolerance)
            agreement = np.subtract(np.float32(2.0), np.divide(error, limit, out=error), out=error)
            self._consistency[tolerance] = np.clip(agreement, 0.0, 1.0, out=agreement)
        return self._consistency[tolerance]

    def forget_consistency(self) -> None:
        """Let the consistency maps made so far go (they are made again, the same, if asked)."""
        self._consistency.clear()


def dominant_motions(
    points: np.ndarray, targets: np.ndarray, count: int, tolerance: float = 1.0, min_agreement: float = 0.5
) -> list[np.ndarray]:
    """Up to ``count`` homographies, each the dominant motion of the points the earlier ones leave
    unexplained (sequential RANSAC): the camera over the main plane, then other planes or movers."""
    models: list[np.ndarray] = []
    for _ in range(count):
        model = dominant_motion(points, targets, tolerance, min_agreement)
        if model is None:
            break
        models.append(model)
        predicted = cv2.perspectiveTransform(points.reshape(-1, 1, 2).astype(np.float64), model).reshape(-1, 2)
        left = np.linalg.norm(predicted - targets, axis=-1) > tolerance
        points, targets = points[left], targets[left]
    return models


def dominant_motion(
    points: np.ndarray, targets: np.ndarray, tolerance: float = 1.0, min_agreement: float = 0.5
) -> np.ndarray | None:
    """The homography that carries most ``points`` (N, 2) to their ``targets`` (N, 2), or None.

    Fitted by RANSAC (``tolerance`` in pixels); None when fewer than 64 points are given or fewer
    than ``min_agreement`` of them agree with the best model (no motion dominates: several
    independent movers, strong parallax). OpenCV's RANSAC is seeded, so the result is repeatable.

    A model needs ``min_agreement`` of the points, so RANSAC only draws as many samples as find
    one that many agree with all but surely (a miss once in a billion): OpenCV's 2000 draws were
    spent, in full, showing that none exists (on strong parallax, every frame).
    """
    if len(points) < 64:
        return None
    draws = math.ceil(math.log(1e-9) / math.log(1.0 - min_agreement**4))
    model, agreeing = cv2.findHomography(
        points.astype(np.float32), targets.astype(np.float32), cv2.RANSAC, tolerance, maxIters=draws
    )
    if model is None or agreeing.mean() < min_agreement:
        return None
    return model


@dataclass
class FlowEstimator:
    """DIS optical flow on uint8 guides, computed with the long side at most ``max_side`` pixels."""

    preset: str = "medium"
    max_side: int = 1024

    def __post_init__(self) -> None:
        # One DIS instance per estimator; an estimator is not shared between threads.
        preset, finest_scale, refinement = PRESETS[self.preset]
        self._dis = cv2.DISOpticalFlow_create(preset)
        if finest_scale is not None:
            self._dis.setFinestScale(finest_scale)
        self._refinement = None
        if refinement:
            self._refinement = cv2.VariationalRefinement_create()
            self._refinement.setFixedPointIterations(refinement)
            # The energy DIS minimises at its own levels.
            self._refinement.setAlpha(self._dis.getVariationalRefinementAlpha())
            self._refinement.setDelta(self._dis.getVariationalRefinementDelta())
            self._refinement.setGamma(self._dis.getVariationalRefinementGamma())

    def scale_for(self, height: int, width: int) -> float:
        return min(1.0, self.max_side / max(height, width))

    def __call__(self, target: np.ndarray, reference: np.ndarray) -> np.ndarray:
        """uint8 (H, W) guides -> (H, W, 2) float32 flow from ``target`` into ``reference``."""
        h, w = target.shape
        scale = self.scale_for(h, w)
        if scale < 1.0:
            size = (max(8, round(w * scale)), max(8, round(h * scale)))
            small_t = cv2.resize(target, size, interpolation=cv2.INTER_AREA)
            small_r = cv2.resize(reference, size, interpolation=cv2.INTER_AREA)
            small = self._field(small_t, small_r)
            flow = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
            flow[..., 0] *= w / size[0]
            flow[..., 1] *= h / size[1]
            return flow
        return self._field(target, reference)

    def _field(self, target: np.ndarray, reference: np.ndarray) -> np.ndarray:
        """The field between two guides of the working size."""
        flow = self._dis.calc(target, reference, None)
        if self._refinement is not None:
            self._refinement.calc(target, reference, flow)  # in place
        return flow
