"""Synthetic gate weave, for the stabilise tests and the restore benchmark, and its measurement.

A weave is a similarity about the frame's centre: the picture moves by ``(dx, dy)`` pixels and
turns by ``angle`` degrees (positive: from +x towards +y, i.e. clockwise on screen), so the
content at pixel ``p`` of the clean frame appears at ``R (p - c) + c + (dx, dy)`` in the weaved one.

- :func:`weave` is a pure function of (seed, frame index): independent per frame, or lightly
  correlated from frame to frame like a real gate (``correlation``), never beyond the amplitudes.
- :func:`apply_weave` applies one to a scene-linear frame (bicubic, edges replicated, unclipped).
- :func:`measure_residual` fits, frame by frame, the similarity between output frames and the
  clean frames (image alignment on a central region) and reports the residual displacement over the frame:
  ``rms`` after removing the shot's constant offset, and ``jitter``, the frame-to-frame part.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

import cv2
import numpy as np

# Frames of history the correlated weave carries (its weights fall as correlation ** k).
_HISTORY = 64
# Blur (sigma, pixels) of the measured frames, and the most Gauss-Newton steps of the alignment.
BLUR = 1.0
ITERATIONS = 50


@dataclass(frozen=True)
class Weave:
    """One frame's weave: shift (pixels) and rotation (degrees) about the frame's centre."""

    dx: float = 0.0
    dy: float = 0.0
    angle: float = 0.0

    def matrix(self, height: int, width: int) -> np.ndarray:
        """(2, 3) float64 map from clean pixel coordinates to weaved ones."""
        a = math.radians(self.angle)
        c, s = math.cos(a), math.sin(a)
        cx, cy = (width - 1) / 2, (height - 1) / 2
        return np.array([[c, -s, cx + self.dx - c * cx + s * cy], [s, c, cy + self.dy - s * cx - c * cy]])


def _draw(seed: int, frame: int, amplitude: float, rotation: float) -> np.ndarray:
    """The independent (dx, dy, angle) of one frame: shift uniform in a disc, angle uniform."""
    rng = np.random.default_rng([seed, frame & 0xFFFFFFFF, 0x77EAFE])
    radius = amplitude * math.sqrt(rng.random())
    direction = 2 * math.pi * rng.random()
    return np.array([radius * math.cos(direction), radius * math.sin(direction), rotation * (2 * rng.random() - 1)])


def weave(seed: int, frame: int, amplitude: float = 4.0, rotation: float = 0.3, correlation: float = 0.0) -> Weave:
    """The weave of ``frame``: a pure function of ``(seed, frame)``.

    The shift is at most ``amplitude`` pixels long and the angle at most ``rotation`` degrees. With
    ``correlation`` 0 each frame is independent (shift uniform over the disc, angle uniform); with
    ``correlation`` in (0, 1) each frame leans on the ones before it (an AR(1) process of
    coefficient ``correlation`` with the same spread, clipped to the amplitudes).
    """
    if not 0.0 <= correlation < 1.0:
        raise ValueError(f"correlation must be in [0, 1), got {correlation}")
    if correlation == 0.0:
        dx, dy, angle = _draw(seed, frame, amplitude, rotation)
    else:
        total = np.zeros(3)
        for k in range(_HISTORY):
            total += correlation**k * _draw(seed, frame - k, amplitude, rotation)
        dx, dy, angle = total * math.sqrt(1.0 - correlation**2)
        length = math.hypot(dx, dy)
        if length > amplitude:
            dx, dy = dx * amplitude / length, dy * amplitude / length
        angle = min(max(angle, -rotation), rotation)
    return Weave(float(dx), float(dy), float(angle))


def apply_weave(frame: np.ndarray, w: Weave) -> np.ndarray:
    """A (H, W) or (H, W, C<=4) float32 scene-linear frame weaved by ``w``: bicubic, edges replicated,
    values above 1 and negative values unclipped."""
    height, width = frame.shape[:2]
    out = cv2.warpAffine(
        np.ascontiguousarray(frame, np.float32),
        w.matrix(height, width),
        (width, height),
        flags=cv2.INTER_CUBIC,
        borderMode=cv2.BORDER_REPLICATE,
    )
    return out.reshape(frame.shape)


def estimate_weave(image: np.ndarray, clean: np.ndarray, margin: int = 8, max_side: int = 1024) -> Weave:
    """The similarity carrying ``clean`` onto ``image`` (both (H, W) luminance or (H, W, 3) RGB, float).

    Gauss-Newton image alignment (inverse compositional Lucas-Kanade) of shift, rotation and an
    exposure gain and offset, on sqrt-encoded luminance lightly blurred, warping with bicubic
    interpolation, started from phase correlation; ``margin`` pixels of edges are left out. Frames
    are first reduced to ``max_side`` pixels at most (the result is in the original pixels).
    """
    a, b = _signal(image), _signal(clean)
    height, width = a.shape
    scale = min(1.0, max_side / max(height, width))
    if scale < 1.0:
        size = (max(8, round(width * scale)), max(8, round(height * scale)))
        a = cv2.resize(a, size, interpolation=cv2.INTER_AREA)
        b = cv2.resize(b, size, interpolation=cv2.INTER_AREA)
    a = cv2.GaussianBlur(a, (0, 0), BLUR)
    b = cv2.GaussianBlur(b, (0, 0), BLUR)
    h, w = a.shape
    fx, fy = w / width, h / height
    m = max(1, math.ceil(margin * max(fx, fy)))
    cx, cy = (w - 1) / 2, (h - 1) / 2
    ys, xs = np.mgrid[m : h - m, m : w - m].astype(np.float64)
    x, y = (xs - cx).ravel(), (ys - cy).ravel()
    template = b[m : h - m, m : w - m].astype(np.float64).ravel()
    gy, gx = np.gradient(b.astype(np.float64))
    gx, gy = gx[m : h - m, m : w - m].ravel(), gy[m : h - m, m : w - m].ravel()
    jacobian = np.stack([gx, gy, gx * -y + gy * x, template, np.ones_like(template)], axis=1)
    hessian = jacobian.T @ jacobian
    # The start: the shift by phase correlation of the frames further blurred (grain whitens the
    # spectrum otherwise), through a Hanning window (edges would correlate with themselves).
    window = cv2.createHanningWindow((w, h), cv2.CV_32F)
    coarse_a, coarse_b = cv2.GaussianBlur(a, (0, 0), 2.0), cv2.GaussianBlur(b, (0, 0), 2.0)
    (dx, dy), _ = cv2.phaseCorrelate(coarse_b - coarse_b.mean(), coarse_a - coarse_a.mean(), window)
    warp = np.array([[1.0, 0.0, dx], [0.0, 1.0, dy], [0.0, 0.0, 1.0]])  # about the centre
    gain, offset = 1.0, 0.0
    for _ in range(ITERATIONS):
        px = warp[0, 0] * x + warp[0, 1] * y + warp[0, 2] + cx
        py = warp[1, 0] * x + warp[1, 1] * y + warp[1, 2] + cy
        seen = cv2.remap(
            a,
            px.reshape(xs.shape).astype(np.float32),
            py.reshape(xs.shape).astype(np.float32),
            cv2.INTER_CUBIC,
            borderMode=cv2.BORDER_REPLICATE,
        ).ravel()
        error = (seen - offset) / gain - template
        step = np.linalg.solve(hessian, jacobian.T @ error)
        tx, ty, t = step[:3]
        update = np.array([[math.cos(t), -math.sin(t), tx], [math.sin(t), math.cos(t), ty], [0.0, 0.0, 1.0]])
        warp = warp @ np.linalg.inv(update)
        gain, offset = gain * (1.0 + step[3]), offset + gain * step[4]
        if abs(tx) + abs(ty) + abs(t) * max(w, h) < 1e-5:
            break
    angle = math.degrees(math.atan2(warp[1, 0], warp[0, 0]))
    return Weave(float(warp[0, 2] / fx), float(warp[1, 2] / fy), angle)


def _signal(image: np.ndarray) -> np.ndarray:
    luminance = image if image.ndim == 2 else image[..., :3].mean(axis=-1)
    return np.sqrt(np.maximum(luminance, 0.0)).astype(np.float32)


@dataclass(frozen=True)
class Residual:
    """The motion left between output frames and clean ones."""

    weaves: tuple[Weave, ...]  # per frame: clean -> output
    rms: float  # px: RMS over frames and pixels of the displacement, the shot's constant offset removed
    jitter: float  # px: RMS over pixels and frame pairs of the frame-to-frame displacement change / sqrt(2)
    peak: float  # px: largest per-frame RMS displacement, constant offset removed


def field_rms(dx: float, dy: float, a: np.ndarray, height: int, width: int) -> float:
    """RMS over a height x width frame of the displacement ``(dx, dy) + a (p - c)`` (a: (2, 2))."""
    ex2, ey2 = (width * width - 1) / 12.0, (height * height - 1) / 12.0
    return math.sqrt(dx * dx + dy * dy + (a[0, 0] ** 2 + a[1, 0] ** 2) * ex2 + (a[0, 1] ** 2 + a[1, 1] ** 2) * ey2)


def _linear(w: Weave) -> tuple[float, float, np.ndarray]:
    """A weave's displacement field ``(dx, dy) + A (p - c)``: (dx, dy, A) with A = R - I."""
    t = math.radians(w.angle)
    return w.dx, w.dy, np.array([[math.cos(t) - 1, -math.sin(t)], [math.sin(t), math.cos(t) - 1]])


def residual_of(weaves: Sequence[Weave], height: int, width: int) -> Residual:
    """:class:`Residual` of per-frame displacements (clean -> output) of height x width frames."""
    fields = [_linear(w) for w in weaves]
    mean_dx = float(np.mean([f[0] for f in fields]))
    mean_dy = float(np.mean([f[1] for f in fields]))
    mean_a = np.mean([f[2] for f in fields], axis=0)
    each = [field_rms(dx - mean_dx, dy - mean_dy, a - mean_a, height, width) for dx, dy, a in fields]
    steps = [
        field_rms(d1[0] - d0[0], d1[1] - d0[1], d1[2] - d0[2], height, width) / math.sqrt(2)
        for d0, d1 in pairwise(fields)
    ]
    return Residual(
        tuple(weaves),
        float(np.sqrt(np.mean(np.square(each)))),
        float(np.sqrt(np.mean(np.square(steps)))) if steps else 0.0,
        float(max(each)),
    )


def measure_residual(
    outputs: Sequence[np.ndarray], clean: Sequence[np.ndarray], margin: int = 8, max_side: int = 1024
) -> Residual:
    """The residual weave of ``outputs`` against ``clean`` frames (same length and size, (H, W) or (H, W, 3)).

    Each frame's similarity is fitted by :func:`estimate_weave`; its displacement field is averaged
    over the frame's pixels (RMS). ``rms`` removes the shot's constant offset (a fixed shift does
    no harm); ``jitter`` is the frame-to-frame part (a slow drift, indistinguishable from a camera
    move, does not count; an independent shake counts as its RMS).
    """
    if len(outputs) != len(clean) or not outputs:
        raise ValueError(f"need as many output frames as clean ones, got {len(outputs)} and {len(clean)}")
    height, width = clean[0].shape[:2]
    return residual_of(
        [estimate_weave(o, c, margin, max_side) for o, c in zip(outputs, clean, strict=True)], height, width
    )
